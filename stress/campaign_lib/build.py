"""Configuring and building one (lane, build) pair of a source tree.

release = the lane with every fail-fast flag on (inproc: the same build dir,
its in-process <program>_hz3 targets); asan adds
HZ3_SANITIZE=address,undefined, tsan adds HZ3_SANITIZE=thread. The S86 central
shadow is not enabled: it applies to mutex central only and the build refuses
it on lock-free lanes. Only the stress targets (and libhz3.so for release) are
built, into <build root>/<lane>-<build>.
"""
import os
import subprocess
import time

FAILFAST_FLAGS = ["-DHZ3_S142_FAILFAST=1", "-DHZ3_LIST_FAILFAST=1", "-DHZ3_XFER_STRUCT_FAILFAST=1",
                  "-DHZ3_FREE_FAILFAST=1"]
SANITIZE = {"release": None, "inproc": None, "asan": "address,undefined", "tsan": "thread"}


def build_dir(build_root, lane, build):
    # inproc cells run the in-process programs of the release configuration
    return os.path.join(build_root, f"{lane}-{'release' if build == 'inproc' else build}")


def configure_cmd(source, build_root, lane, build):
    cmd = ["cmake", "--preset", lane, "-B", build_dir(build_root, lane, build), *FAILFAST_FLAGS,
           "-DBUILD_TESTING=OFF"]
    if SANITIZE[build]:
        cmd.append(f"-DHZ3_SANITIZE={SANITIZE[build]}")
    return cmd


def build_targets(build, programs):
    if build == "release":
        return ["hz3", *programs]
    return [f"{p}_hz3" for p in programs]


def build_cmd(build_root, lane, build, programs, jobs):
    return ["ninja", "-C", build_dir(build_root, lane, build), f"-j{jobs}", *build_targets(build, programs)]


def build(source, build_root, lane, build, programs, jobs, log_path):
    """Configure and build; returns (ok, seconds). Output goes to log_path."""
    t0 = time.time()
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "w") as log:
        for cmd in (configure_cmd(source, build_root, lane, build), build_cmd(build_root, lane, build, programs, jobs)):
            log.write("$ " + " ".join(cmd) + "\n")
            log.flush()
            rc = subprocess.call(cmd, cwd=source, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if rc != 0:
                log.write(f"campaign: exit status {rc}\n")
                return False, time.time() - t0
    return True, time.time() - t0
