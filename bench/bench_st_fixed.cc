// bench_st_fixed N [SIZES]
//
// The single-thread fast path: one thread, no remote frees (R=0), N pairs of
// malloc(size) + free of the same object, the size cycling through a small
// fixed set (default 16,32,48,64,128,256,512,1024 bytes: eight size classes,
// so each pair meets a bin the previous pair did not touch). Nothing else
// happens in the loop but a one-byte write into the object, so the cost per
// pair is the allocator's malloc+free fast path plus a few instructions of
// loop. bench/run also runs it under valgrind --tool=callgrind for two values
// of N and divides the difference of the instruction counts by the
// difference of N: instructions per pair, with startup cancelled.
//
// SIZES is a comma-separated list of 1..16 sizes in [1, 1048576].
// Prints: bench_st_fixed N=<n> sizes=<list>: ops=<2n> secs=... ops_per_sec=... pairs=<n> ns_per_pair=...
#include <chrono>
#include <cstdio>
#include <cstring>

#include "bench_util.h"

namespace {

constexpr const char* kUsage = "N [SIZES]   (N pairs of malloc+free, SIZES e.g. 16,32,64; default 16,32,48,64,128,256,512,1024)";

bool parse_sizes(const char* text, size_t* sizes, int& n) {
  n = 0;
  const char* s = text;
  while (*s) {
    char* end = nullptr;
    if (*s < '0' || *s > '9') return false;
    unsigned long v = strtoul(s, &end, 10);
    if (v < 1 || v > (1ul << 20) || n == 16) return false;
    sizes[n++] = v;
    s = end;
    if (*s == ',') {
      ++s;
      if (*s == '\0') return false;
    } else if (*s != '\0') {
      return false;
    }
  }
  return n > 0;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args(argc, argv, 1, kUsage);
  const uint64_t n = args.get(1, 1, 1ull << 40);
  size_t sizes[16] = {16, 32, 48, 64, 128, 256, 512, 1024};
  int nsizes = 8;
  if (argc > 2 && !parse_sizes(argv[2], sizes, nsizes)) args.fail("bad SIZES");
  if (argc > 3) args.fail("too many arguments");
  // A power-of-two table makes the size pick a mask, the same for every N.
  size_t table[16];
  for (int i = 0; i < 16; ++i) table[i] = sizes[i % nsizes];

  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    const size_t sz = table[i & 15];
    void* p = bench::xmalloc(sz);
    *static_cast<volatile char*>(p) = static_cast<char>(i);
    // The pointer escapes: the compiler may not pair the malloc with the
    // free and delete both.
    asm volatile("" : : "r"(p) : "memory");
    free(p);
  }
  const double secs = bench::seconds_since(t0);

  char list[16 * 9] = "";
  for (int i = 0; i < nsizes; ++i)
    snprintf(list + strlen(list), sizeof list - strlen(list), i ? ",%zu" : "%zu", sizes[i]);
  const uint64_t ops = 2 * n;
  printf("bench_st_fixed N=%llu sizes=%s: ops=%llu secs=%.3f ops_per_sec=%.0f pairs=%llu ns_per_pair=%.2f\n",
         static_cast<unsigned long long>(n), list, static_cast<unsigned long long>(ops), secs,
         secs > 0 ? ops / secs : 0.0, static_cast<unsigned long long>(n), 1e9 * secs / n);
  return 0;
}
