// api_fuzz: the C API's edge cases through the hz3_* entry points, checked
// against the documented contract (include/hz3.h, src/hz3/alloc.cc, api.cc):
//
//   malloc(n)            n <= 64 MiB: non-NULL (malloc(0) too); n > 2^46: NULL, errno ENOMEM
//   calloc(c, n)         c*n overflows: NULL, ENOMEM; else as malloc(c*n), memory zeroed
//   realloc(NULL, n)     = malloc(n)
//   realloc(p, 0)        frees p, returns NULL
//   realloc(p, n)        failure: NULL, ENOMEM, p untouched and still live;
//                        success: the first min(old, n) bytes preserved
//   memalign(a, n)       a == 0 or not a power of two: NULL, EINVAL; else a-aligned
//   aligned_alloc(a, n)  as memalign
//   posix_memalign(&o,a,n) a < sizeof(void*) or not a power of two: EINVAL; no memory:
//                        ENOMEM; on failure *o untouched and errno unchanged; else 0
//   valloc(n)            4096-aligned
//   pvalloc(n)           4096-aligned, usable >= n rounded up to 4096 (0 -> 4096);
//                        n > SIZE_MAX - 4096: NULL, ENOMEM
//   malloc_usable_size   >= the request; (NULL) == 0
// Sizes between 64 MiB and 2^46 and alignments above 2^26 may or may not be
// mapped (the OS decides): either a correct object or NULL with ENOMEM. Above
// 2^46 bytes or an alignment above 2^40, hz3 refuses: NULL, ENOMEM.
// Every object is filled with a tag (its first 1 KiB and last 256 bytes of
// the request) and checked before it is freed or reallocated; nothing reads an
// object after it was freed. At the end everything is freed, the thread is
// flushed, and the conservation heap check (hz3_debug_heap_check_or_die) runs.
//
// Input format, version 0x01:
//   byte 0  version 0x01 (anything else: input ignored)
//   then ops: an op byte `o` (kind = o & 15, slot = o >> 4: one of 16 slots)
//   followed by its operands; a missing operand byte ends the program.
//   Operands: SZ = 2 bytes (x, y) ->
//        x <  0x40: kEdgeSizes[x % count]          (class boundaries +-1, 64 KiB,
//                                                   4 MiB, SIZE_MAX, PTRDIFF_MAX, ...)
//        x <  0x80: ((x & 63) << 8 | y)            0 .. 16383
//        x <  0xC0: ((x & 63) << 8 | y) * 16       0 .. 256 KiB
//        else     : ((x & 63) << 8 | y) << 10      0 .. 16 MiB
//     AL = 1 byte a ->
//        a <  64 : 1 << a                          every power of two
//        a < 128 : kOddAligns[a % count]           0 and non-powers (EINVAL)
//        else    : (1 << (a & 63)) + (bit 6 of a ? 16 : 1)   mixed: the oracle decides
//   kinds:
//     0 MALLOC   slot SZ        1 CALLOC  slot SZ(count) SZ(size)
//     2 REALLOC  slot SZ        3 FREE    slot
//     4 MEMALIGN slot AL SZ     5 POSIX_MEMALIGN slot AL SZ
//     6 ALIGNED_ALLOC slot AL SZ
//     7 VALLOC   slot SZ        8 PVALLOC slot SZ
//     9 REALLOC0 slot (realloc(p, 0), p may be NULL -> malloc(0))
//    10 USABLE   slot           11 FREE_NULL (free(NULL), usable_size(NULL) == 0)
//    12 FLUSH (hz3_debug_flush_thread)
//    13 HEAPCHECK (hz3_debug_heap_check with every live slot)
//    14 REALLOC_SAME slot (realloc to the same size: contents kept)
//    15 CALLOC_EDGE slot SZ (calloc(n, SIZE_MAX / n + 1): overflow unless n <= 1)
//   An allocation into an occupied slot frees the old object first.
//
// A violation prints one line "hz3-fuzz: ORACLE api ..." and aborts.
#include <errno.h>
#include <stdint.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hz3.h"

namespace {

constexpr uint8_t kVersion = 0x01;
constexpr int kSlots = 16;
constexpr size_t kSureSize = size_t{64} << 20;  // below: must succeed
constexpr size_t kRefuseSize = size_t{1} << 46;  // above: hz3 refuses
constexpr size_t kSureAlign = size_t{1} << 26;
constexpr size_t kRefuseAlign = size_t{1} << 40;
constexpr size_t kHead = 1024, kTail = 256;

const size_t kEdgeSizes[] = {
    0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 127, 128, 129, 2047, 2048, 2049, 4095, 4096, 4097,
    8191, 8192, 8193, 61439, 61440, 61441, 65535, 65536, 65537, 131071, 131072, 131073,
    (size_t{1} << 20) - 1, size_t{1} << 20, (size_t{4} << 20) - 1, size_t{4} << 20,
    (size_t{4} << 20) + 1, SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 4095, SIZE_MAX - 4096,
    SIZE_MAX - 4097, SIZE_MAX / 2, SIZE_MAX / 2 + 1, PTRDIFF_MAX, size_t{PTRDIFF_MAX} + 1,
    kRefuseSize + 1, kRefuseSize << 1, SIZE_MAX - 65535, size_t{1} << 63, 24, 48, 96, 1000,
};
constexpr size_t kNumEdge = sizeof(kEdgeSizes) / sizeof(kEdgeSizes[0]);

const size_t kOddAligns[] = {0, 3, 5, 6, 7, 12, 24, 48, 96, 100, 4095, 4097, 65535, 65537,
                             (size_t{1} << 20) + 1, SIZE_MAX, SIZE_MAX / 2, 3 << 10};
constexpr size_t kNumOdd = sizeof(kOddAligns) / sizeof(kOddAligns[0]);

[[noreturn]] __attribute__((format(printf, 1, 2))) void oracle(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "hz3-fuzz: ORACLE api %s\n", buf);
  abort();
}

bool pow2(size_t a) { return a && !(a & (a - 1)); }

struct Obj {
  unsigned char* p = nullptr;
  size_t size = 0;
  uint8_t tag = 0;
};

struct Reader {
  const uint8_t* d;
  size_t n, i;
  bool ok = true;
  uint8_t byte() {
    if (i >= n) {
      ok = false;
      return 0;
    }
    return d[i++];
  }
  size_t sz() {
    uint8_t x = byte(), y = byte();
    size_t v = (size_t{x} & 63) << 8 | y;
    if (x < 0x40) return kEdgeSizes[x % kNumEdge];
    if (x < 0x80) return v;
    if (x < 0xC0) return v * 16;
    return v << 10;
  }
  size_t al() {
    uint8_t a = byte();
    if (a < 64) return size_t{1} << a;
    if (a < 128) return kOddAligns[a % kNumOdd];
    return (size_t{1} << (a & 63)) + ((a >> 6) & 1 ? 16 : 1);
  }
};

unsigned char pattern(uint8_t tag, size_t i) { return static_cast<unsigned char>(tag * 131u + i * 7u + (i >> 8)); }

// The bytes we fill: [0, min(size, kHead)) and [max(kHead, size - kTail), size).
template <class F>
void for_filled(size_t size, size_t upto, F f) {
  size_t lim = size < upto ? size : upto;
  size_t h = lim < kHead ? lim : kHead;
  for (size_t i = 0; i < h; ++i) f(i);
  size_t t0 = size > kHead + kTail ? size - kTail : kHead;
  for (size_t i = t0; i < lim; ++i) f(i);
}

void fill(Obj& o) {
  for_filled(o.size, o.size, [&](size_t i) { o.p[i] = pattern(o.tag, i); });
}

void verify(const Obj& o, size_t upto, const char* what) {
  for_filled(o.size, upto, [&](size_t i) {
    if (o.p[i] != pattern(o.tag, i))
      oracle("%s: object %p size=%zu byte %zu is %#x, expected %#x (lost or overwritten)", what,
             (void*)o.p, o.size, i, o.p[i], pattern(o.tag, i));
  });
}

void check_zero(const unsigned char* p, size_t size, const char* what) {
  for_filled(size, size, [&](size_t i) {
    if (p[i]) oracle("%s: calloc memory %p size=%zu byte %zu is %#x, not zero", what, (void*)p, size, i, p[i]);
  });
}

class Api {
 public:
  ~Api() {
    for (Obj& o : objs_) release(o);
    hz3_debug_flush_thread();
    hz3_debug_heap_check_or_die(nullptr, 0);
  }

  void release(Obj& o) {
    if (!o.p) return;
    verify(o, o.size, "free");
    hz3_free(o.p);
    o = Obj{};
  }

  // A successful allocation of `size` bytes aligned to `align`.
  void adopt(Obj& o, void* p, size_t size, size_t align, const char* what) {
    if (reinterpret_cast<uintptr_t>(p) % align)
      oracle("%s(%zu) align=%zu returned %p: misaligned", what, size, align, p);
    size_t us = hz3_malloc_usable_size(p);
    if (us < size) oracle("%s(%zu) returned %p with usable size %zu < request", what, size, p, us);
    o.p = static_cast<unsigned char*>(p);
    o.size = size;
    o.tag = ++tag_;
    fill(o);
  }

  // Outcome of an allocation that may fail: `must` = must succeed,
  // `refuse` = must fail (with ENOMEM).
  void outcome(void* p, int err, bool must, bool refuse, const char* what, size_t size, size_t align) {
    if (!p && must) oracle("%s(size=%zu align=%zu) returned NULL (errno %d), must succeed", what, size, align, err);
    if (p && refuse) oracle("%s(size=%zu align=%zu) returned %p, must fail", what, size, align, p);
    if (!p && err != ENOMEM) oracle("%s(size=%zu align=%zu) returned NULL with errno %d, not ENOMEM", what, size, align, err);
  }

  void op_malloc(Obj& o, size_t n) {
    release(o);
    errno = 0;
    void* p = hz3_malloc(n);
    outcome(p, errno, n <= kSureSize, n > kRefuseSize, "malloc", n, 1);
    if (p) adopt(o, p, n, 16, "malloc");
  }

  void op_calloc(Obj& o, size_t c, size_t n) {
    release(o);
    size_t bytes;
    bool ovf = __builtin_mul_overflow(c, n, &bytes);
    errno = 0;
    void* p = hz3_calloc(c, n);
    int err = errno;
    if (ovf) {
      if (p) oracle("calloc(%zu, %zu) overflows but returned %p", c, n, p);
      if (err != ENOMEM) oracle("calloc(%zu, %zu) overflow: errno %d, not ENOMEM", c, n, err);
      return;
    }
    outcome(p, err, bytes <= kSureSize, bytes > kRefuseSize, "calloc", bytes, 1);
    if (!p) return;
    check_zero(static_cast<unsigned char*>(p), bytes, "calloc");
    adopt(o, p, bytes, 16, "calloc");
  }

  void op_realloc(Obj& o, size_t n) {
    errno = 0;
    void* p = hz3_realloc(o.p, n);
    int err = errno;
    if (!o.p) {  // realloc(NULL, n) == malloc(n)
      outcome(p, err, n <= kSureSize, n > kRefuseSize, "realloc(NULL)", n, 1);
      if (p) adopt(o, p, n, 16, "realloc(NULL)");
      return;
    }
    if (n == 0) {
      if (p) oracle("realloc(%p, 0) returned %p, must free and return NULL", (void*)o.p, p);
      o = Obj{};  // freed by realloc: never touched again
      return;
    }
    outcome(p, err, n <= kSureSize, n > kRefuseSize, "realloc", n, 1);
    if (!p) {
      verify(o, o.size, "failed realloc");  // p untouched and still ours
      return;
    }
    Obj old = o;
    old.p = static_cast<unsigned char*>(p);  // the preserved prefix, read through the new pointer
    verify(old, n < o.size ? n : o.size, "realloc");
    adopt(o, p, n, 16, "realloc");
  }

  void op_memalign(Obj& o, int kind, size_t a, size_t n) {
    release(o);
    static const char* names[] = {"memalign", "posix_memalign", "aligned_alloc"};
    const char* what = names[kind];
    void* p = nullptr;
    int err;
    if (kind == 1) {
      void* sentinel = reinterpret_cast<void*>(uintptr_t{0x5a5a5a5a5a5a5a50});
      void* out = sentinel;
      errno = 4242;
      int rc = hz3_posix_memalign(&out, a, n);
      err = errno;
      bool bad = a < sizeof(void*) || !pow2(a);
      if (bad) {
        if (rc != EINVAL) oracle("posix_memalign(align=%zu, %zu) returned %d, expected EINVAL", a, n, rc);
      } else if (rc != 0 && rc != ENOMEM) {
        oracle("posix_memalign(align=%zu, %zu) returned %d", a, n, rc);
      }
      if (rc != 0) {
        if (out != sentinel) oracle("posix_memalign(align=%zu, %zu) failed (%d) but wrote *out=%p", a, n, rc, out);
        if (err != 4242) oracle("posix_memalign(align=%zu, %zu) failed (%d) and changed errno to %d", a, n, rc, err);
        if (rc == ENOMEM) outcome(nullptr, ENOMEM, must_align(a, n), refuse_align(a, n), what, n, a);
        return;
      }
      if (!out) oracle("posix_memalign(align=%zu, %zu) returned 0 with *out == NULL", a, n);
      if (refuse_align(a, n)) oracle("posix_memalign(align=%zu, %zu) succeeded, must fail", a, n);
      adopt(o, out, n, a, what);
      return;
    }
    errno = 0;
    p = kind == 0 ? hz3_memalign(a, n) : hz3_aligned_alloc(a, n);
    err = errno;
    if (!pow2(a)) {
      if (p) oracle("%s(align=%zu, %zu) returned %p, expected EINVAL", what, a, n, p);
      if (err != EINVAL) oracle("%s(align=%zu, %zu): errno %d, expected EINVAL", what, a, n, err);
      return;
    }
    outcome(p, err, must_align(a, n), refuse_align(a, n), what, n, a);
    if (p) adopt(o, p, n, a, what);
  }

  void op_valloc(Obj& o, size_t n, bool pv) {
    release(o);
    errno = 0;
    void* p = pv ? hz3_pvalloc(n) : hz3_valloc(n);
    int err = errno;
    const char* what = pv ? "pvalloc" : "valloc";
    if (pv && n > SIZE_MAX - 4096) {
      if (p || err != ENOMEM) oracle("pvalloc(%zu) returned %p errno %d, expected NULL ENOMEM", n, p, err);
      return;
    }
    size_t need = pv ? ((n ? n : 1) + 4095) / 4096 * 4096 : n;
    outcome(p, err, need <= kSureSize, need > kRefuseSize, what, n, 4096);
    if (!p) return;
    adopt(o, p, need, 4096, what);
  }

  void op_usable(const Obj& o) {
    if (!o.p) {
      if (hz3_malloc_usable_size(nullptr) != 0) oracle("malloc_usable_size(NULL) != 0");
      return;
    }
    size_t us = hz3_malloc_usable_size(o.p);
    if (us < o.size) oracle("malloc_usable_size(%p) = %zu < request %zu", (void*)o.p, us, o.size);
    verify(o, o.size, "usable");
  }

  void op_heapcheck() {
    void* live[kSlots];
    size_t n = 0;
    for (Obj& o : objs_)
      if (o.p) live[n++] = o.p;
    hz3_heap_report rep;
    if (hz3_debug_heap_check(live, n, &rep) != 0 || !rep.ok)
      oracle("heap check with %zu live objects failed: %s", n, rep.error);
  }

  Obj& slot(int i) { return objs_[i & (kSlots - 1)]; }

 private:
  static bool must_align(size_t a, size_t n) {
    size_t need = n + a;
    return a <= kSureAlign && n <= kSureSize && need <= kSureSize + kSureAlign;
  }
  static bool refuse_align(size_t a, size_t n) { return a > kRefuseAlign || n > kRefuseSize; }

  Obj objs_[kSlots];
  uint8_t tag_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || data[0] != kVersion) return 0;
  Reader r{data, size, 1};
  Api api;
  while (r.i < r.n) {
    uint8_t o = r.byte();
    Obj& s = api.slot(o >> 4);
    switch (o & 15) {
      case 0: { size_t n = r.sz(); if (!r.ok) break; api.op_malloc(s, n); break; }
      case 1: {
        size_t c = r.sz(), n = r.sz();
        if (!r.ok) break;
        api.op_calloc(s, c, n);
        break;
      }
      case 2: { size_t n = r.sz(); if (!r.ok) break; api.op_realloc(s, n); break; }
      case 3: api.release(s); break;
      case 4:
      case 5:
      case 6: {
        size_t a = r.al(), n = r.sz();
        if (!r.ok) break;
        api.op_memalign(s, (o & 15) - 4, a, n);
        break;
      }
      case 7: { size_t n = r.sz(); if (!r.ok) break; api.op_valloc(s, n, false); break; }
      case 8: { size_t n = r.sz(); if (!r.ok) break; api.op_valloc(s, n, true); break; }
      case 9: api.op_realloc(s, 0); break;
      case 10: api.op_usable(s); break;
      case 11:
        hz3_free(nullptr);
        if (hz3_malloc_usable_size(nullptr) != 0) oracle("malloc_usable_size(NULL) != 0");
        break;
      case 12: hz3_debug_flush_thread(); break;
      case 13: api.op_heapcheck(); break;
      case 14: api.op_realloc(s, s.p ? s.size : 1); break;
      case 15: {
        size_t n = r.sz();
        if (!r.ok) break;
        size_t c = n ? SIZE_MAX / n + 1 : 1;
        api.op_calloc(s, n, c);
        break;
      }
    }
    if (!r.ok) break;
  }
  return 0;  // ~Api frees everything and runs the heap check
}
