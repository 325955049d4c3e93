"""The hz3 stress campaign runner (stress/campaign). Python 3 standard library only.

Modules, one concept each:
  matrix.py  the cell matrix (lane x build x program x threads), n/a cells, --shard slices
  build.py   configuring and building one (lane, build) pair of a source tree
  execute.py running one cell once: command, environment, timeout, result line
  triage.py  failure signature, backtrace, the crash directory and its repro.sh
  report.py  report.md and the self-contained report.html
  log.py     results.jsonl (append, read, merge)
"""
