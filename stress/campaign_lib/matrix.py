"""The campaign matrix: lane x build x program x threads.

A cell is one combination. Release cells run the plain program with
LD_PRELOAD=<build dir>/libhz3.so; asan and tsan cells run the in-process
<program>_hz3 (libhz3.so is not built under sanitizers). collision_storm needs
a lane where shard collisions are allowed (HZ3_SHARD_COLLISION_FAILFAST=0): on
the other lanes it would abort by design, so its cells there are "n/a".
"""
import json
import os
from dataclasses import dataclass

LANES = ["scale", "fast", "p32", "tolerant", "mutex"]
# "inproc": the release configuration (same build) running <program>_hz3:
# hz3 in-process, so the full conservation check runs and finds lost
# objects, which the LD_PRELOAD form cannot tell from libc's live ones.
BUILDS = ["release", "inproc", "asan", "tsan"]
ALL_BUILDS = BUILDS
PROGRAMS = ["mt_remote", "producer_consumer", "thread_churn", "collision_storm", "realloc_storm", "fork_storm"]
THREADS = [2, 4, 8]


@dataclass(frozen=True)
class Cell:
    lane: str
    build: str
    program: str
    threads: int

    @property
    def id(self):
        return f"{self.lane}/{self.build}/{self.program}/T{self.threads}"

    @property
    def build_key(self):
        return f"{self.lane}-{self.build}"


def lane_cache(source, lane):
    """The cache variables of configure preset `lane` in <source>/CMakePresets.json (with inherits)."""
    with open(os.path.join(source, "CMakePresets.json")) as f:
        presets = {p["name"]: p for p in json.load(f)["configurePresets"]}
    if lane not in presets:
        raise SystemExit(f"campaign: no configure preset {lane!r} in {source}/CMakePresets.json")

    def resolve(name):
        p = presets[name]
        out = {}
        inh = p.get("inherits", [])
        for parent in [inh] if isinstance(inh, str) else inh:
            out.update(resolve(parent))
        out.update(p.get("cacheVariables", {}))
        return out

    return resolve(lane)


def not_applicable(cell, cache):
    """Why `cell` cannot run on its lane, or None."""
    if cell.program == "collision_storm" and str(cache.get("HZ3_SHARD_COLLISION_FAILFAST", "1")) != "0":
        return "lane fails fast on shard collisions (HZ3_SHARD_COLLISION_FAILFAST=1): collision_storm would abort by design"
    return None


def program_threads(cell, cache):
    """The --threads value of a run: the cell's T, except collision_storm, which
    runs T x shards threads so that every shard has several owners."""
    if cell.program == "collision_storm":
        return cell.threads * int(cache.get("HZ3_NUM_SHARDS", 8))
    return cell.threads


def build_matrix(source, lanes, builds, programs, threads):
    """(runnable cells in rotation order, {cell id: reason} for n/a cells, {lane: cache})."""
    caches = {lane: lane_cache(source, lane) for lane in lanes}
    cells, na = [], {}
    # Rotation order: threads and programs vary slowest, lanes and builds
    # fastest, so the first pass touches every (lane, build) early.
    for t in threads:
        for prog in programs:
            for build in builds:
                for lane in lanes:
                    c = Cell(lane, build, prog, t)
                    why = not_applicable(c, caches[lane])
                    if why:
                        na[c.id] = why
                    else:
                        cells.append(c)
    return cells, na, caches


def shard_slice(cells, shard):
    """--shard K/N: the cells whose index is K-1 modulo N (a disjoint slice)."""
    if not shard:
        return cells
    k, n = (int(x) for x in shard.split("/"))
    if not (1 <= k <= n):
        raise SystemExit(f"campaign: bad --shard {shard} (want K/N with 1 <= K <= N)")
    mine = {c.id for i, c in enumerate(sorted(cells, key=lambda c: c.id)) if i % n == k - 1}
    return [c for c in cells if c.id in mine]


def parse_cell_id(cid):
    lane, build, prog, t = cid.split("/")
    return Cell(lane, build, prog, int(t.lstrip("T")))
