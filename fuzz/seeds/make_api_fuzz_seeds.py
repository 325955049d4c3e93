#!/usr/bin/env python3
"""Write the hand-made seeds of api_fuzz into corpora/seed/api_fuzz/.

Format (fuzz/api_fuzz.cc, version 0x01): byte 0 = 0x01, then ops: op byte
(kind = o & 15, slot = o >> 4) and operands. SZ is 2 bytes, AL 1 byte.
Run: python3 fuzz/seeds/make_api_fuzz_seeds.py [OUTDIR]
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "corpora", "seed", "api_fuzz")

(MALLOC, CALLOC, REALLOC, FREE, MEMALIGN, POSIX_MEMALIGN, ALIGNED_ALLOC, VALLOC, PVALLOC,
 REALLOC0, USABLE, FREE_NULL, FLUSH, HEAPCHECK, REALLOC_SAME, CALLOC_EDGE) = range(16)

# Index of each edge size in kEdgeSizes (fuzz/api_fuzz.cc); SZ operand x < 0x40.
EDGE = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 127, 128, 129, 2047, 2048, 2049, 4095, 4096,
        4097, 8191, 8192, 8193, 61439, 61440, 61441, 65535, 65536, 65537, 131071, 131072,
        131073, "1M-1", "1M", "4M-1", "4M", "4M+1", "SIZE_MAX", "SIZE_MAX-1", "SIZE_MAX-4095",
        "SIZE_MAX-4096", "SIZE_MAX-4097", "SIZE_MAX/2", "SIZE_MAX/2+1", "PTRDIFF_MAX",
        "PTRDIFF_MAX+1", "2^46+1", "2^47", "SIZE_MAX-65535", "2^63", 24, 48, 96, 1000]


def op(kind, slot=0):
    return bytes([(slot << 4) | kind])


def edge(name):
    return bytes([EDGE.index(name), 0])


def small(n):   # 0..16383
    assert n < 16384
    return bytes([0x40 | (n >> 8), n & 0xFF])


def mid(n16):   # n16 * 16, up to 256 KiB
    return bytes([0x80 | (n16 >> 8), n16 & 0xFF])


def big(kib):   # kib KiB, up to 16 MiB
    return bytes([0xC0 | (kib >> 8), kib & 0xFF])


def pow2(k):
    return bytes([k])


def odd(i):
    return bytes([64 + i])


def write(name, body):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\x01" + body)


def main():
    os.makedirs(OUT, exist_ok=True)
    # Every edge size through malloc, then usable size, then free (slot cycles).
    body = b""
    for i, e in enumerate(EDGE):
        body += op(MALLOC, i % 16) + edge(e) + op(USABLE, i % 16)
    write("malloc_edges", body + op(HEAPCHECK))
    # Class boundaries through realloc: grow, shrink, same, to and from large, to 0.
    body = op(REALLOC, 1) + small(1)
    for n in [15, 16, 17, 2047, 2048, 2049, 65535, 65536, 65537, 4095, 100, 16]:
        body += op(REALLOC, 1) + (small(n) if n < 16384 else mid(n // 16) if n % 16 == 0 else edge(n))
    body += op(REALLOC, 1) + big(4096) + op(REALLOC, 1) + small(8) + op(REALLOC_SAME, 1)
    body += op(REALLOC, 1) + edge("SIZE_MAX") + op(USABLE, 1) + op(REALLOC0, 1) + op(REALLOC0, 2)
    body += op(REALLOC, 3) + edge("PTRDIFF_MAX") + op(REALLOC, 3) + edge(0)
    write("realloc_edges", body + op(HEAPCHECK))
    # Every power-of-two alignment through memalign, posix_memalign, aligned_alloc.
    for kind, name in [(MEMALIGN, "memalign"), (POSIX_MEMALIGN, "posix_memalign"),
                       (ALIGNED_ALLOC, "aligned_alloc")]:
        body = b""
        for k in range(64):
            body += op(kind, k % 16) + pow2(k) + small(100 + k)
        for k in [5, 12, 16, 17, 22]:
            body += op(kind, k % 16) + pow2(k) + edge("SIZE_MAX")
            body += op(kind, k % 16) + pow2(k) + edge(65537)
        write(name + "_pow2", body)
        body = b""
        for i in range(18):
            body += op(kind, i % 16) + odd(i) + small(64)
        body += op(kind, 1) + bytes([128 + 3]) + small(5) + op(kind, 2) + bytes([192 + 4]) + small(5)
        write(name + "_einval", body)
    # calloc: zeroing (small, medium, large) and overflow.
    body = (op(CALLOC, 0) + small(3) + small(5) + op(CALLOC, 1) + small(16) + mid(256) +
            op(CALLOC, 2) + small(1) + big(1024) + op(CALLOC, 3) + edge("SIZE_MAX") + small(2) +
            op(CALLOC, 4) + edge("SIZE_MAX/2+1") + small(2) + op(CALLOC, 5) + edge(0) +
            edge("SIZE_MAX") + op(CALLOC_EDGE, 6) + small(3) + op(CALLOC_EDGE, 7) + small(1) +
            op(CALLOC_EDGE, 8) + small(0) + op(CALLOC_EDGE, 9) + edge("2^63"))
    write("calloc", body)
    # valloc / pvalloc, including pvalloc's overflow guard.
    body = b""
    for e in [0, 1, 4095, 4096, 4097, 65537, "4M+1", "SIZE_MAX-4095", "SIZE_MAX-4096",
              "SIZE_MAX-4097", "SIZE_MAX"]:
        body += op(VALLOC, 0) + edge(e) + op(PVALLOC, 1) + edge(e) + op(USABLE, 1)
    write("valloc_pvalloc", body)
    # Odds and ends: free(NULL), usable(NULL), flush, heap check with live objects.
    body = (op(FREE_NULL) + op(USABLE, 5) + op(MALLOC, 0) + small(10) + op(MALLOC, 1) + big(100) +
            op(FLUSH) + op(HEAPCHECK) + op(FREE, 0) + op(FREE, 1) + op(FREE, 2) + op(REALLOC0, 4) +
            op(HEAPCHECK) + op(FLUSH))
    write("misc", body)
    # Many small objects in one class, freed, reused.
    body = b""
    for r in range(4):
        for s in range(16):
            body += op(MALLOC, s) + small(24 + r)
        body += op(FLUSH)
    write("reuse", body + op(HEAPCHECK))


if __name__ == "__main__":
    main()
