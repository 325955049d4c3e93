#include "hz3/large.h"

#include <cerrno>
#include <cstdint>

#include "hz3/mutex.h"
#include "hz3/thread_cache.h"

namespace hz3 {
namespace {
constinit Mutex g_large_lock;
constinit LargeHeader* g_large_list = nullptr;  // under g_large_lock
constinit size_t g_large_count = 0;             // under g_large_lock
}  // namespace

void* large_alloc(size_t size, size_t align) {
  if (align < 16) align = 16;
  size_t offset = align < kLargeHeaderSize ? kLargeHeaderSize : align;
  if (size > (size_t{1} << 46) || align > (size_t{1} << 40)) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t len = align_up(offset + size, kOsPage);
  bool far = offset >= kSegmentSize;
  char* base = static_cast<char*>(os_map_aligned(len, far ? align : kSegmentSize));
  if (!base) {
    errno = ENOMEM;
    return nullptr;
  }
  char* user = base + offset;
  auto* h = reinterpret_cast<LargeHeader*>(far ? user - kLargeHeaderSize : base);
  h->magic = kLargeMagic;
  h->map_base = base;
  h->map_len = len;
  h->user = user;
  h->usable = len - offset;
  {
    LockGuard g(g_large_lock);
    h->prev = nullptr;
    h->next = g_large_list;
    if (g_large_list) g_large_list->prev = h;
    g_large_list = h;
    ++g_large_count;
  }
  granule_set(user, far ? GranuleKind::kLargeFar : GranuleKind::kLarge);
  flight_note(FlightOp::kLargeMap, FlightBox::kLarge, 0, 0, user, static_cast<uint32_t>(len >> 12));
  return user;
}

LargeHeader* large_header(const void* p, GranuleKind kind) {
  uintptr_t g = reinterpret_cast<uintptr_t>(p) & ~(kSegmentSize - 1);
  auto* h = reinterpret_cast<LargeHeader*>(kind == GranuleKind::kLargeFar ? g - kLargeHeaderSize : g);
  if (h->magic != kLargeMagic || h->user != p) return nullptr;
  return h;
}

void large_free(LargeHeader* h) {
  flight_note(FlightOp::kLargeUnmap, FlightBox::kLarge, 0, 0, h->user, static_cast<uint32_t>(h->map_len >> 12));
  {
    LockGuard g(g_large_lock);
    if (h->prev) h->prev->next = h->next; else g_large_list = h->next;
    if (h->next) h->next->prev = h->prev;
    --g_large_count;
  }
  h->magic = 0;
  granule_set(h->user, GranuleKind::kNone);
  os_unmap(h->map_base, h->map_len);
}

size_t large_count() {
  LockGuard g(g_large_lock);
  return g_large_count;
}

void large_fork_lock() { g_large_lock.lock(); }
void large_fork_unlock() { g_large_lock.unlock(); }

}  // namespace hz3
