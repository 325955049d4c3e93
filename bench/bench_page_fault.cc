// bench_page_fault [MIB]
//
// What a fresh 4 KiB page costs this machine: MIB of never-touched anonymous
// memory is written one byte a page, first with a fault per page (touch),
// then backed ahead of the writes by madvise(MADV_POPULATE_WRITE) over 8, 16
// and 64 KiB at a time. hz3's carve populates the pages it is about to write
// (src/hz3/shard.cc): this says what that saves here. On the 2-vCPU machines
// of docs/measurements/2026-12-05-populate.md a fault cost about 9.7 us, a
// populated page about 5-6.
// Each mode gets its own mapping, unmapped before the next, so every page it
// writes is fresh. Prints ns per page; populate*=na where the kernel lacks
// MADV_POPULATE_WRITE (before Linux 5.14).
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace {

constexpr size_t kOsPage = 4096;

// ns per page of writing `bytes` fresh bytes, populating `chunk` bytes ahead
// (0: no populate); negative when madvise refused.
double run(size_t bytes, size_t chunk) {
  char* p = static_cast<char*>(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  const size_t step = chunk ? chunk : bytes;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t off = 0; off < bytes; off += step) {
    if (chunk && madvise(p + off, step, MADV_POPULATE_WRITE) != 0) {
      munmap(p, bytes);
      return -1;
    }
    for (size_t q = off; q < off + step; q += kOsPage) p[q] = 1;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  munmap(p, bytes);
  return s * 1e9 / static_cast<double>(bytes / kOsPage);
}

void field(const char* name, double ns) {
  if (ns < 0)
    printf(" %s=na", name);
  else
    printf(" %s=%.0f", name, ns);
}

}  // namespace

int main(int argc, char** argv) {
  long mib = argc > 1 ? strtol(argv[1], nullptr, 10) : 64;
  if (argc > 2 || mib < 1 || mib > 65536) {
    fprintf(stderr, "usage: %s [MIB (1..65536, default 64)]\n", argv[0]);
    return 2;
  }
  const size_t bytes = static_cast<size_t>(mib) << 20;
  printf("bench_page_fault mib=%ld: ns per 4 KiB page:", mib);
  field("touch", run(bytes, 0));
  field("populate8k", run(bytes, 8 << 10));
  field("populate16k", run(bytes, 16 << 10));
  field("populate64k", run(bytes, 64 << 10));
  printf("\n");
  return 0;
}
