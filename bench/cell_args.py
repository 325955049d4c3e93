"""The command-line pieces bench/ab and bench/rss_curve share: the work order's
cell of bench_random_mixed_mt_remote_malloc, T,R cells, NAME=LIB allocators
(`glibc` for no preload) and the checks of a parsed command line; and the
cross-core probe's reader, which bench/run uses too."""
import argparse
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(os.path.dirname(HERE), "build", "scale", "bench_random_mixed_mt_remote_malloc")
WS, MIN, MAX = "400", "16", "2048"  # the work order's cell


def core_roundtrip(probe):
    """Runs bench_core_latency at PROBE: (ns per cross-core round trip, None when
    it is missing, fails or has one CPU; its output or error, for a note)."""
    try:
        p = subprocess.run([probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    out = p.stdout + p.stderr
    m = re.search(r"roundtrip_ns=(\d+)", p.stdout)
    return (int(m.group(1)) if p.returncode == 0 and m else None), out


def parse_cell(text):
    m = re.fullmatch(r"(\d+),(\d+)", text.strip())
    if not m or not 1 <= int(m.group(1)) or not 0 <= int(m.group(2)) <= 100:
        raise argparse.ArgumentTypeError(f"bad cell {text!r}: want T,R with T >= 1 and 0 <= R <= 100")
    return m.group(1), m.group(2)


def parse_cells(text):
    """A ';'- or space-separated list of T,R cells."""
    return [parse_cell(part) for part in re.split(r"[;\s]+", text.strip())]


def parse_alloc(text):
    name, sep, lib = text.partition("=")
    if not sep or not name or not lib:
        raise argparse.ArgumentTypeError(f"bad allocator {text!r}: want NAME=LIB or NAME=glibc")
    if lib != "glibc" and not os.path.isfile(lib):
        raise argparse.ArgumentTypeError(f"{name}: no such library: {lib}")
    return name, lib


def preload_env(lib):
    """The environment of a run under LIB: LD_PRELOAD=LIB, or none for glibc."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if lib != "glibc":
        env["LD_PRELOAD"] = lib
    return env


def check_common(ap, a):
    """Usage errors shared by both tools: no benchmark binary, duplicate allocator names."""
    if not os.access(a.bin, os.X_OK):
        ap.error(f"no benchmark at {a.bin} (cmake --build --preset scale --target bench_random_mixed_mt_remote_malloc)")
    names = [n for n, _ in a.allocs]
    if len(set(names)) != len(names):
        ap.error("allocator names must differ")
    return names
