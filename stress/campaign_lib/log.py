"""results.jsonl: one JSON object per line, appended as the campaign goes.

kinds: "start" (a campaign invocation: arguments, matrix, shard), "build" (one
(lane, build) configured and built, ok or not), "run" (one run of one cell:
cell, seed, cmd, rc, seconds, ops_per_sec, result, signature, crash_dir),
"stop" (end of an invocation: why). --resume reads it back; merge concatenates
several logs.
"""
import json
import os


def append(path, rec):
    with open(path, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # a line cut by a kill: skip it
    return out


def merge(paths):
    """Records of several logs, de-duplicated by run id, in time order."""
    seen, out = set(), []
    for p in paths:
        for r in read(p):
            key = r.get("id") or json.dumps(r, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            out.append(r)
    out.sort(key=lambda r: r.get("ts", 0))
    return out
