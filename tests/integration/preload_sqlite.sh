#!/usr/bin/env bash
# preload_sqlite <libhz3.so> <lane> <shards>: sqlite3 creates a table, inserts
# 50,000 rows in one transaction, builds an index and runs aggregate queries
# under hz3; the output must equal the run without hz3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_args "$@"
need sqlite3
need awk

{
  echo "PRAGMA journal_mode=WAL;"
  echo "CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL, blob BLOB);"
  echo "BEGIN;"
  awk 'BEGIN { s = 7;
    for (i = 1; i <= 50000; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      printf "INSERT INTO t VALUES(%d, %d, '\''name-%d-%s'\'', %d.%02d, randomblob(0));\n",
             i, s % 97, s % 5000, substr("abcdefghijklmnopqrstuvwxyz", 1 + s % 26), s % 100000, i % 100;
    } }'
  echo "COMMIT;"
  echo "CREATE INDEX t_grp ON t(grp, name);"
  echo "SELECT count(*), sum(grp), printf('%.2f', sum(val)), min(name), max(name) FROM t;"
  echo "SELECT grp, count(*), printf('%.2f', avg(val)), group_concat(DISTINCT length(name)) FROM t GROUP BY grp ORDER BY grp;"
  echo "SELECT name, count(*) AS c FROM t GROUP BY name HAVING c > 3 ORDER BY c DESC, name LIMIT 50;"
  echo "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 20000) SELECT count(*), sum(length(hex(x * 977))) FROM r;"
  echo "UPDATE t SET name = name || '-' || id WHERE id % 3 = 0;"
  echo "DELETE FROM t WHERE id % 7 = 0;"
  echo "SELECT count(*), sum(length(name)) FROM t;"
  echo "PRAGMA integrity_check;"
} >"$TMP/script.sql"

sqlite3 "$TMP/ref.db" <"$TMP/script.sql" >"$TMP/ref.out" || die "reference sqlite3 run failed"
set +e
hz3 sqlite3 "$TMP/hz3.db" <"$TMP/script.sql" >"$TMP/hz3.out" 2>"$TMP/hz3.err"
rc=$?
set -e
[[ $rc == 0 ]] || sed -n '1,40p' "$TMP/hz3.err" >&2
check_status sqlite3 "$rc"
expect_config "$TMP/hz3.err" exactly 1
cmp -s "$TMP/ref.out" "$TMP/hz3.out" || { diff "$TMP/ref.out" "$TMP/hz3.out" | head -20 >&2 || true; die "sqlite3 output differs under hz3"; }
grep -qx ok "$TMP/hz3.out" || die "integrity_check did not say ok"
head -n 3 "$TMP/hz3.out"
echo "preload_sqlite: ok ($(wc -l <"$TMP/hz3.out") result lines match)"
