"""Failures: the signature, the backtrace, and the crash directory.

Signature = check id + box + top 3 frames of our code:
  check id  the FAILFAST check ("hz3: FAILFAST <check> where=<box> ..."), the
            sanitizer error type ("asan:heap-use-after-free", "tsan:data-race",
            "ubsan:<kind>"), the stress program's own check ("<prog>: FAILED
            <what>"; the heap check's "<what> in <box> ..."), else "timeout",
            "signal-<NAME>" or "exit-<rc>";
  box       where= of the FAILFAST line, the heap check's box, else "-";
  frames    the first 3 frames of the backtrace in hz3 or stress code (src/,
            stress/, include/, hz3:: or stress:: functions), names only.
A failure is saved once per signature under <crash dir>/<signature>/ (seed,
command, stderr, the fail-fast lines, backtrace, repro.sh, meta.json); a known
signature only increments meta.json's count (and records the seed).
"""
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import time

FAIL_LINE_RE = re.compile(r"(hz3: FAILFAST .*|.*\bFAILED\b.*|.*ERROR: \w+Sanitizer.*|.*WARNING: ThreadSanitizer.*|"
                          r".*runtime error:.*|.*SUMMARY: \w+Sanitizer.*)")
FAILFAST_RE = re.compile(r"hz3: FAILFAST (\S+) where=(\S+)")
ASAN_RE = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")
TSAN_RE = re.compile(r"WARNING: ThreadSanitizer: ([\w -]+?)(?: \(|$)", re.M)
UBSAN_RE = re.compile(r"runtime error: ([a-z -]+)")
PROG_FAIL_RE = re.compile(r"^(\w+): FAILED (\S+)(?: (\S+) in (\S+))?", re.M)
FRAME_RE = re.compile(r"^\s*#(\d+)\s+(?:0x[0-9a-f]+ in )?(.+?)(?: \(|\s+/|\s+at\s|$)(.*)$", re.M)
OUR_CODE_RE = re.compile(r"(/src/hz3/|/src/shim/|/stress/|/include/hz3|\bhz3::|\bstress::|\bhz3_)")


def fail_lines(text, limit=40):
    return [l for l in text.splitlines() if FAIL_LINE_RE.fullmatch(l)][:limit]


def frames_of_our_code(bt_text, n=3):
    names = []
    for m in FRAME_RE.finditer(bt_text):
        func, rest = m.group(2).strip(), m.group(3)
        line = m.group(0)
        if not OUR_CODE_RE.search(line):
            continue
        func = func.replace("(anonymous namespace)", "anon")
        func = re.sub(r"\(.*", "", func)          # drop argument lists
        func = re.sub(r"<.*>", "<>", func)         # collapse template arguments
        func = func.split(" ")[-1]
        if func in ("??", "") or func.startswith("0x"):
            continue
        if func.startswith("stress::fail") or func == "abort" or "failfast" == func.split("::")[-1]:
            continue  # the reporting helpers are the same for every failure
        if not names or names[-1] != func:
            names.append(func)
        if len(names) == n:
            break
    return names


def check_and_box(res):
    err = res["stderr"] + "\n" + res["stdout"]
    m = FAILFAST_RE.search(err)
    if m:
        return m.group(1), m.group(2)
    m = ASAN_RE.search(err)
    if m and not (m.group(1) == "ABRT" and PROG_FAIL_RE.search(err)):  # an abort after a FAILED line: that line says why
        return "asan:" + m.group(1), "-"
    m = TSAN_RE.search(err)
    if m:
        return "tsan:" + m.group(1).strip().replace(" ", "-"), "-"
    m = UBSAN_RE.search(err)
    if m:
        return "ubsan:" + m.group(1).strip().replace(" ", "-"), "-"
    m = PROG_FAIL_RE.search(err)
    if m:
        prog, what = m.group(1), m.group(2)
        if what == "heap_check" and m.group(3):
            return "heap_check:" + m.group(3), m.group(4) or "-"
        if what == "child":
            return "fork_child", "-"
        return "stress:" + what, "-"
    if res["timed_out"]:
        return "timeout", "-"
    rc = res["rc"]
    if rc < 0:
        try:
            return "signal-" + signal.Signals(-rc).name, "-"
        except ValueError:
            return f"signal-{-rc}", "-"
    if rc != 0:
        return f"exit-{rc}", "-"
    return "result-FAIL", "-"


def signature(check, box, frames):
    text = "|".join([check, box, *frames])
    h = hashlib.sha1(text.encode()).hexdigest()[:8]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{check}-{box}").strip("_")[:60]
    return f"{slug}-{h}", text


# ---- backtraces -------------------------------------------------------------------

def find_core(cwd):
    cores = [f for f in os.listdir(cwd) if f == "core" or f.startswith("core.")]
    cores.sort(key=lambda f: os.path.getmtime(os.path.join(cwd, f)), reverse=True)
    return os.path.join(cwd, cores[0]) if cores else None


def gdb_core(binary, core, timeout=120):
    try:
        r = subprocess.run(["gdb", "-batch", "-nx", "-ex", "bt", "-ex", "info threads", binary, core],
                           capture_output=True, text=True, timeout=timeout, errors="replace")
        return r.stdout + r.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"campaign: gdb on core failed: {e}\n"


def gdb_rerun(argv, env_extra, cwd, timeout):
    """Reruns argv once under gdb (the environment set inside gdb, so gdb
    itself is not preloaded with hz3); bt of the thread that stopped."""
    exec_argv = [a for a in argv]
    wrapper = []
    while exec_argv and exec_argv[0] in ("setarch",):  # setarch ARCH -R prog ...
        wrapper, exec_argv = exec_argv[:3], exec_argv[3:]
    cmd = [*wrapper, "gdb", "-batch", "-nx"]
    for k, v in env_extra.items():
        cmd += ["-ex", f"set environment {k}={v}"]
    cmd += ["-ex", "set startup-with-shell off", "-ex", "run", "-ex", "bt", "-ex", "info threads",
            "--args", *exec_argv]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, errors="replace")
        return r.stdout + r.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"campaign: gdb rerun failed: {e}\n"


def gdb_attach(pid, timeout=60):
    try:
        r = subprocess.run(["gdb", "-batch", "-nx", "-p", str(pid), "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=timeout, errors="replace")
        return r.stdout + r.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"campaign: gdb attach failed: {e}\n"


def sanitizer_stack(stderr):
    """The first stack of a sanitizer report (or of the abort ASan reports), if any."""
    lines = stderr.splitlines()
    for i, l in enumerate(lines):
        if re.search(r"(ERROR|WARNING): \w+Sanitizer|runtime error:", l):
            return "\n".join(lines[i:i + 80])
    return ""


def backtrace(res, argv, env_extra, binary, rerun_timeout):
    """(backtrace text, how) for a failed run."""
    if res.get("hang_stacks"):
        return res["hang_stacks"], "gdb attach before the timeout kill"
    san = sanitizer_stack(res["stderr"])
    if san and re.search(r"^\s*#\d", san, re.M):
        return san, "sanitizer report"
    core = find_core(res["cwd"])
    if core:
        return gdb_core(binary, core), f"gdb -batch -ex bt on {os.path.basename(core)}"
    if res["rc"] > 0 and not res["timed_out"] and not san:
        # exited with a status (a check that reports and returns, e.g. the heap
        # check at the end): no crash, so no stack to take
        return "", f"none: the program exited with status {res['rc']} (a reported check, not a crash)"
    return gdb_rerun(argv, env_extra, res["cwd"], rerun_timeout), "no core: one rerun under gdb -batch -ex run -ex bt"


# ---- the crash directory ------------------------------------------------------------

REPRO_TEMPLATE = """#!/usr/bin/env bash
# repro.sh: reruns the failure {sig}
#   cell {cell}, seed {seed}, first seen {when}
# Rebuilds what the run needs ({targets} in {bdir_rel}), then reruns exactly the
# failing command up to REPRO_TRIES times (default 5; a race may need several)
# and stops at the first failing run. Exit status: that run's (non-zero) when
# the failure reproduces, 0 when it did not in REPRO_TRIES runs.
# HZ3_SRC overrides the source tree (default: the one the campaign built).
set -u
SRC="${{HZ3_SRC:-{source}}}"
cd "$SRC" || exit 2
{configure} >/dev/null || {{ echo "repro.sh: configure failed" >&2; exit 2; }}
{build} >/dev/null || {{ echo "repro.sh: build failed" >&2; exit 2; }}
ulimit -c unlimited 2>/dev/null
cd "$(mktemp -d)" || exit 2
for ((i = 1; i <= ${{REPRO_TRIES:-5}}; i++)); do
  {env} {cmd}
  rc=$?
  if ((rc != 0)); then
    echo "repro.sh: reproduced on try $i (exit status $rc; cores, if any, in $PWD)" >&2
    exit "$rc"
  fi
done
echo "repro.sh: not reproduced in ${{REPRO_TRIES:-5}} tries" >&2
exit 0
"""


def save(crash_root, sig, sig_text, check, box, frames, cell, seed, argv, env_extra, res, bt, bt_how,
         source, configure_cmd, build_cmd, targets, bdir):
    """Saves a new signature or counts a known one. Returns (dir, is_new, count)."""
    d = os.path.join(crash_root, sig)
    meta_path = os.path.join(d, "meta.json")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if os.path.exists(meta_path):
        meta = json.load(open(meta_path))
        meta["count"] += 1
        meta["last_seen"] = now
        if len(meta["seeds"]) < 100:
            meta["seeds"].append({"cell": cell.id, "seed": seed})
        if cell.id not in meta["cells"]:
            meta["cells"].append(cell.id)
        _write(meta_path, json.dumps(meta, indent=1) + "\n")
        return d, False, meta["count"]
    os.makedirs(d, exist_ok=True)
    cmd_str = " ".join(f"{k}={shlex.quote(v)}" for k, v in env_extra.items())
    cmd_str = (cmd_str + " " if cmd_str else "") + " ".join(shlex.quote(a) for a in argv)
    _write(os.path.join(d, "seed"), f"{seed}\n")
    _write(os.path.join(d, "command"), cmd_str + "\n")
    _write(os.path.join(d, "stderr"), res["stderr"])
    _write(os.path.join(d, "stdout"), res["stdout"])
    _write(os.path.join(d, "failfast"), "\n".join(fail_lines(res["stderr"] + "\n" + res["stdout"])) + "\n")
    _write(os.path.join(d, "backtrace"), f"# {bt_how}\n{bt}")
    env_str = " ".join(f"{k}={shlex.quote(v)}" for k, v in env_extra.items())

    def rel(text):  # paths inside the source tree follow HZ3_SRC
        return text if "'" in text else text.replace(source.rstrip("/") + "/", '"$SRC"/')

    repro = REPRO_TEMPLATE.format(
        sig=sig, cell=cell.id, seed=seed, when=now, targets=" ".join(targets),
        bdir_rel=os.path.relpath(bdir, source), source=source,
        configure=rel(" ".join(shlex.quote(a) for a in configure_cmd)),
        build=rel(" ".join(shlex.quote(a) for a in build_cmd)),
        env=rel("env " + env_str) if env_str else "", cmd=rel(" ".join(shlex.quote(a) for a in argv)))
    _write(os.path.join(d, "repro.sh"), repro)
    os.chmod(os.path.join(d, "repro.sh"), 0o755)
    meta = {"signature": sig, "signature_text": sig_text, "check": check, "box": box, "frames": frames,
            "count": 1, "first_seen": now, "last_seen": now, "cell": cell.id, "seed": seed, "rc": res["rc"],
            "timed_out": res["timed_out"], "cells": [cell.id], "seeds": [{"cell": cell.id, "seed": seed}],
            "backtrace_from": bt_how}
    _write(meta_path, json.dumps(meta, indent=1) + "\n")
    return d, True, 1


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
