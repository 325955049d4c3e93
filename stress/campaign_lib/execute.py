"""Running one cell once: its command line, environment, timeout and result.

Release cells: LD_PRELOAD=<build dir>/libhz3.so <build dir>/stress/<program>.
asan/tsan cells: <build dir>/stress/<program>_hz3 (hz3 in-process), with the
sanitizer options of <source>/sanitizers/options.env; tsan runs under
`setarch <arch> -R` when the kernel randomizes mmap with more than 28 bits
(clang 14's TSan cannot map its shadow otherwise; see tools/test).
Every run happens in a fresh temporary directory with core dumps enabled, in
its own process group (Ctrl-C reaches the campaign, which then stops the run).
"""
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time

from . import build as buildmod
from .matrix import program_threads


def sanitizer_env(source):
    """ASAN_OPTIONS, UBSAN_OPTIONS, TSAN_OPTIONS as sanitizers/options.env sets them."""
    path = os.path.join(source, "sanitizers", "options.env")
    out = {}
    if os.path.exists(path):
        res = subprocess.run(["bash", "-c", 'source "$1" >/dev/null 2>&1; env -0', "_", path],
                             capture_output=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        for item in res.stdout.split(b"\0"):
            k, _, v = item.decode(errors="replace").partition("=")
            if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"):
                out[k] = v
    supp = os.path.join(source, "sanitizers")
    out.setdefault("ASAN_OPTIONS", f"suppressions={supp}/asan.supp:abort_on_error=1:halt_on_error=1:detect_leaks=0")
    out.setdefault("UBSAN_OPTIONS", f"suppressions={supp}/ubsan.supp:print_stacktrace=1:halt_on_error=1:abort_on_error=1")
    out.setdefault("TSAN_OPTIONS", f"suppressions={supp}/tsan.supp:halt_on_error=1:abort_on_error=1")
    if "detect_deadlocks=0" not in out["TSAN_OPTIONS"]:
        out["TSAN_OPTIONS"] += ":detect_deadlocks=0"
    return out


def tsan_wrapper():
    try:
        bits = int(open("/proc/sys/vm/mmap_rnd_bits").read())
    except OSError:
        bits = 28
    arch = platform.machine()
    if bits > 28 and shutil.which("setarch"):
        if subprocess.call(["setarch", arch, "-R", "true"], stderr=subprocess.DEVNULL) == 0:
            return ["setarch", arch, "-R"]
    return []


def command(cell, cache, source, build_root, seed, seconds):
    """(argv, extra environment) of one run of `cell`."""
    bdir = os.path.abspath(buildmod.build_dir(build_root, cell.lane, cell.build))
    args = ["--seed", str(seed), "--threads", str(program_threads(cell, cache)), "--seconds", f"{seconds:g}"]
    env = {}
    if cell.build == "release":
        argv = [os.path.join(bdir, "stress", cell.program), *args]
        env["LD_PRELOAD"] = os.path.join(bdir, "libhz3.so")
    elif cell.build == "inproc":
        argv = [os.path.join(bdir, "stress", cell.program + "_hz3"), *args]
    else:
        argv = [os.path.join(bdir, "stress", cell.program + "_hz3"), *args]
        san = sanitizer_env(source)
        if cell.build == "asan":
            env["ASAN_OPTIONS"] = san["ASAN_OPTIONS"]
            env["UBSAN_OPTIONS"] = san["UBSAN_OPTIONS"]
        else:
            env["TSAN_OPTIONS"] = san["TSAN_OPTIONS"]
            argv = tsan_wrapper() + argv
    return argv, env


def timeout_for(seconds, build):
    slow = {"release": 3, "inproc": 3, "asan": 6, "tsan": 12}[build]
    return seconds * slow + 60


RESULT_RE = re.compile(r"result=(PASS|FAIL)\b")
OPS_RE = re.compile(r"ops_per_sec=([0-9.]+)")


def _core_enabled():
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass
    os.setsid()


class Interrupted(Exception):
    pass


def run(argv, env_extra, timeout, on_hang=None):
    """Runs argv in a fresh temporary cwd. Returns a dict with rc, seconds,
    stdout, stderr, timed_out, cwd (kept; the caller removes it) and
    hang_stacks (from on_hang(pid) before a timed-out run is killed).
    Raises Interrupted (after stopping the run) on Ctrl-C."""
    cwd = tempfile.mkdtemp(prefix="hz3-campaign-")
    env = dict(os.environ)
    env.update(env_extra)
    out_path, err_path = os.path.join(cwd, "stdout.txt"), os.path.join(cwd, "stderr.txt")
    t0 = time.time()
    timed_out = False
    hang = ""
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             preexec_fn=_core_enabled)
        try:
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                if on_hang:
                    hang = on_hang(p.pid)
                _kill(p)
                rc = p.wait()
        except KeyboardInterrupt:
            _kill(p)
            p.wait()
            shutil.rmtree(cwd, ignore_errors=True)
            raise Interrupted()
    secs = time.time() - t0
    stdout = open(out_path, errors="replace").read()
    stderr = open(err_path, errors="replace").read()
    return {"rc": rc, "seconds": secs, "stdout": stdout, "stderr": stderr, "timed_out": timed_out, "cwd": cwd,
            "hang_stacks": hang}


def _kill(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def outcome(res):
    """(passed, result word, ops_per_sec or None) from a run's output."""
    m = RESULT_RE.findall(res["stdout"])
    ops = OPS_RE.findall(res["stdout"])
    ops_v = float(ops[-1]) if ops else None
    word = m[-1] if m else None
    passed = res["rc"] == 0 and word == "PASS" and not res["timed_out"]
    return passed, word, ops_v
