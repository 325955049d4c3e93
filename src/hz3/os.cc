// Raw OS mappings and the metadata arena.
#include <sys/mman.h>

#include <atomic>
#include <cerrno>

#include "hz3/config.h"
#include "hz3/failfast.h"
#include "hz3/meta_arena.h"
#include "hz3/mutex.h"
#include "hz3/platform.h"

namespace hz3 {

void* os_map(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

#if HZ3_SCHED
// Schedule build: segments and large mappings come from a fixed region, in
// order, so a replayed input gets the same addresses in a fresh process
// (sched_fuzz's crash files replay bit-exactly). os_region_reset() starts the
// region over once the heap is empty (sched::heap_reset). A request the
// region cannot hold (a huge alignment, or a process that never resets and
// runs past the region's end) takes the ordinary path below.
namespace {
constexpr uintptr_t kRegionBase = uintptr_t{0x200000000000};  // 32 TiB: clear of ASan's shadow and heap
constexpr uintptr_t kRegionEnd = uintptr_t{0x400000000000};   // 64 TiB
constinit uintptr_t g_region_next = kRegionBase;  // under the scheduler's baton, or quiescent

void* region_map(size_t bytes, size_t align) {
  bytes = align_up(bytes, kOsPage);
  for (int tries = 0; tries < 8; ++tries) {
    uintptr_t at = align_up(g_region_next, align);
    if (at < g_region_next || at > kRegionEnd || kRegionEnd - at < bytes) return nullptr;
    void* p = ::mmap(reinterpret_cast<void*>(at), bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == reinterpret_cast<void*>(at)) {
      g_region_next = at + bytes;
      return p;
    }
    if (p != MAP_FAILED) ::munmap(p, bytes);  // a kernel without MAP_FIXED_NOREPLACE
    g_region_next = at + bytes;               // taken by someone else: try past it
  }
  return nullptr;
}
}  // namespace

void os_region_reset() { g_region_next = kRegionBase; }
#endif

void* os_map_aligned(size_t bytes, size_t align) {
  if (bytes + align < bytes) return nullptr;
#if HZ3_SCHED
  if (void* p = region_map(bytes, align)) return p;
#endif
  char* raw = static_cast<char*>(os_map(bytes + align));
  if (!raw) return nullptr;
  uintptr_t start = align_up(reinterpret_cast<uintptr_t>(raw), align);
  size_t lead = start - reinterpret_cast<uintptr_t>(raw);
  size_t trail = align - lead;
  if (lead) ::munmap(raw, lead);
  if (trail) ::munmap(reinterpret_cast<char*>(start) + bytes, trail);
  return reinterpret_cast<void*>(start);
}

void os_unmap(void* p, size_t bytes) { ::munmap(p, bytes); }

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older headers lack the name
#endif

namespace {
// The kernel said no once (no MADV_POPULATE_WRITE, or pages over 4 KiB, where
// carve's kOsPage-aligned ranges are EINVAL): stop asking.
constinit std::atomic<bool> g_populate_off{false};
constinit std::atomic<size_t> g_populated{0};
}  // namespace

void os_populate(void* p, size_t bytes) {
  if (g_populate_off.load(std::memory_order_relaxed)) return;
  const int saved = errno;  // a malloc that succeeds leaves errno as it found it
  if (::madvise(p, bytes, MADV_POPULATE_WRITE) == 0)
    g_populated.fetch_add(bytes, std::memory_order_relaxed);
  else if (errno == EINVAL || errno == ENOSYS)
    g_populate_off.store(true, std::memory_order_relaxed);
  // Anything else (ENOMEM, EINTR): the carve's own writes fault the pages in, as before.
  errno = saved;
}

size_t os_populated_bytes() { return g_populated.load(std::memory_order_relaxed); }

namespace {
constinit Mutex g_meta_lock;
constinit char* g_meta_cur = nullptr;  // under g_meta_lock
constinit char* g_meta_end = nullptr;  // under g_meta_lock
constexpr size_t kMetaChunk = size_t{1} << 20;
}  // namespace

void* meta_alloc(size_t bytes) {
  bytes = align_up(bytes, kCacheLine);
  LockGuard g(g_meta_lock);
  if (static_cast<size_t>(g_meta_end - g_meta_cur) < bytes) {
    size_t chunk = bytes > kMetaChunk ? align_up(bytes, kOsPage) : kMetaChunk;
    char* c = static_cast<char*>(os_map(chunk));
    if (!c) failfast("os_out_of_memory", "meta_arena", kNoShardField, kNoScField, nullptr,
                     LineBuf().kv("bytes", chunk));
    g_meta_cur = c;
    g_meta_end = c + chunk;
  }
  void* p = g_meta_cur;
  g_meta_cur += bytes;
  return p;
}

void meta_fork_lock() { g_meta_lock.lock(); }
void meta_fork_unlock() { g_meta_lock.unlock(); }

}  // namespace hz3
