#!/usr/bin/env python3
"""Write the hand-made seeds of mpsc_fuzz into corpora/seed/mpsc_fuzz/.

Format (fuzz/mpsc_fuzz.cc, version 0x01): byte 0 = 0x01, byte 1 = flags
(bit 0 concurrent, bits 1-2 producers - 1), then ops: op byte (kind = o & 7,
arg = o >> 3) and, for PUSH/STAGE/POP/BURST, one argument byte.
Run: python3 fuzz/seeds/make_mpsc_fuzz_seeds.py [OUTDIR]
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "corpora", "seed", "mpsc_fuzz")

PUSH, STAGE, PUBLISH, POP, POPS, DRAIN, CHECK, BURST = range(8)


def flags(concurrent=False, producers=1):
    return bytes([(1 if concurrent else 0) | ((producers - 1) << 1)])


def push(p, n):      # n in 1..64
    return bytes([PUSH | (p << 3), n - 1])


def stage(p, n):
    return bytes([STAGE | (p << 3), n - 1])


def publish(p):
    return bytes([PUBLISH | (p << 3)])


def pop(want):       # 0..255
    return bytes([POP, want])


def pops(want):      # 0..31
    return bytes([POPS | (want << 3)])


def drain():
    return bytes([DRAIN])


def check():
    return bytes([CHECK])


def burst(p, batches, each):  # batches 1..8, each 1..32
    return bytes([BURST | (p << 3), (batches - 1) | ((each - 1) << 3)])


def write(name, fl, body):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\x01" + fl + body)


def main():
    os.makedirs(OUT, exist_ok=True)
    # One producer, every op once.
    write("every_op", flags(), push(0, 3) + stage(0, 2) + check() + publish(0) + pop(1) +
          pops(2) + check() + burst(0, 2, 3) + pop(0) + pops(0) + drain() + check())
    # Overflow of the 8 xfer slots into central (slots form), then partial pops
    # that split slots, then the lock-free priv_/shared interplay.
    body = b"".join(push(0, 1 + i) for i in range(12)) + check()
    body += pop(5) + pops(1) + push(0, 4) + pop(30) + check() + push(0, 2) + pop(200) + drain() + check()
    write("slots_overflow", flags(), body)
    # Interleaved producers staging and publishing out of order.
    body = (stage(0, 3) + stage(1, 5) + stage(2, 1) + stage(3, 64) + publish(2) + pop(2) +
            publish(0) + stage(2, 7) + publish(3) + pops(9) + publish(1) + publish(2) + check() +
            pop(255) + check())
    write("interleaved_producers", flags(producers=4), body)
    # Big batches up to the arena (nodes reused after pops).
    body = b"".join(burst(i % 2, 8, 32) for i in range(10)) + pop(128) + check()
    body += b"".join(push(1, 64) for _ in range(40)) + drain() + check()
    body += b"".join(push(0, 64) + pop(63) for _ in range(20)) + check()
    write("arena_pressure", flags(producers=2), body)
    # Pop-heavy with an empty box, want 0.
    write("empty_pops", flags(), pop(0) + pops(0) + pops(31) + drain() + check() + push(0, 1) +
          pop(0) + check() + pop(1) + check())
    # Concurrent mode, 1..4 producers.
    for p in range(1, 5):
        body = b""
        for i in range(16):
            body += push(i % p, 1 + (i * 7) % 64) + pops(i % 32)
            body += burst((i + 1) % p, 1 + i % 8, 1 + (i * 5) % 32) + pop(3 * i)
        body += stage(0, 5) + drain()
        write("concurrent_%dp" % p, flags(concurrent=True, producers=p), body)


if __name__ == "__main__":
    main()
