#!/usr/bin/env bash
# preload_git <libhz3.so> <lane> <shards>: git under hz3 (every git process and
# its children preloaded): init a repo, add and commit 200 files in a few
# commits, log, diff, gc, fsck. Every command must succeed and the history
# must read back as written.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_args "$@"
need git

export HOME="$TMP/home" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" \
  GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
mkdir -p "$HOME"
repo="$TMP/repo"
errlog="$TMP/git.err"
: >"$errlog"

g() {  # g <args...>: one git command under hz3, stderr appended to the log
  local rc
  set +e
  hz3 git -C "$repo" -c user.name=hz3 -c user.email=hz3@example.invalid -c gc.auto=0 \
    -c core.pager=cat "$@" 2>>"$errlog"
  rc=$?
  set -e
  if ((rc != 0)); then
    tail -n 20 "$errlog" >&2
    check_status "git $1" "$rc"
  fi
}

mkdir -p "$repo"
g init -q -b main
for batch in 0 1 2 3; do
  for i in $(seq $((batch * 50)) $((batch * 50 + 49))); do
    mkdir -p "$repo/d$((i % 10))"
    awk -v i="$i" 'BEGIN { for (k = 0; k < 50 + i; k++) printf "file %d line %d %s\n", i, k, (k * i) % 997 }' \
      >"$repo/d$((i % 10))/f$i.txt"
  done
  g add -A
  g commit -q -m "batch $batch"
done
files="$(g ls-files | wc -l)"
[[ "$files" == 200 ]] || die "git ls-files lists $files files, expected 200"
commits="$(g rev-list --count HEAD)"
[[ "$commits" == 4 ]] || die "git rev-list counts $commits commits, expected 4"
g log --stat --format='%H %s' >"$TMP/log.txt"
grep -q "batch 3" "$TMP/log.txt" || die "git log lost a commit"
echo "changed" >>"$repo/d0/f0.txt"
g diff --stat >"$TMP/diff.txt"
grep -q "d0/f0.txt" "$TMP/diff.txt" || die "git diff missed a change"
g commit -q -a -m "change"
g gc -q --aggressive
g fsck --full --strict >/dev/null
[[ "$(g rev-list --count HEAD)" == 5 ]] || die "history wrong after gc"
[[ "$(g cat-file -p HEAD:d0/f0.txt | tail -n 1)" == changed ]] || die "content wrong after gc"

expect_config "$errlog" at-least 14
echo "preload_git: ok ($(grep -c '^hz3: config ' "$errlog") git processes ran under hz3)"
