// Front end slow paths, the C-level operations built on the fast paths, and
// process-wide setup (config print, fork handlers).
#include "hz3/alloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>

#include "hz3/failfast.h"
#include "hz3/flight_recorder.h"
#include "hz3/large.h"
#include "hz3/list_failfast.h"
#include "hz3/meta_arena.h"
#include "hz3/shard.h"

namespace hz3 {
namespace {

constinit LineBuf g_config;
constinit std::atomic<int> g_init_state{0};  // 0 none, 1 running, 2 done

void build_config_line() {
  g_config.str("lane=").str(kLane);
  g_config.kv("shards", kNumShards);
  g_config.str(" xfer=").str(XferBox::kFormName);
  g_config.str(" central=").str(CentralBox::kFormName);
  g_config.kv("collision_failfast", kCollisionFailfast);
  g_config.kv("owner_excl_always", kOwnerExclAlways);
  g_config.kv("s142_failfast", kS142Failfast);
  g_config.kv("list_failfast", kListFailfast);
  g_config.kv("xfer_struct_failfast", kXferStructFailfast);
  g_config.kv("s86_shadow", kS86Shadow);
  g_config.kv("xfer_steal", kXferSteal);
  g_config.kv("free_failfast", kFreeFailfast);
  g_config.kv("flight_recorder", kFlightRecorder);
  g_config.kv("sched", kSched);
  g_config.kv("classes", kNumClasses);
  g_config.kv("max_class", kMaxClassSize);
  g_config.kv("segment", kSegmentSize);
  g_config.kv("page", kPageSize);
}

[[noreturn]] HZ3_COLD void invalid_pointer(const char* where, const void* p, const char* why) {
  failfast("invalid_free", where, kNoShardField, kNoScField, p,
           LineBuf().str(" reason=").str(why));
}

HZ3_COLD void* enomem() {
  errno = ENOMEM;
  return nullptr;
}

ThreadCache* cache_or_init() {
  ThreadCache* tc = t_cache;
  if (HZ3_UNLIKELY(cache_is_empty_sentinel(tc))) {
    global_init();
    tc = thread_cache_init();
  }
  return tc;
}

__attribute__((constructor)) void hz3_process_init() {
  global_init();
  // Locks held across fork() so the child finds every box consistent; the
  // child's only thread (the one that forked) keeps its cache and shard.
  pthread_atfork(fork_prepare, fork_release, fork_release);
}

}  // namespace

void fork_prepare() {
  shards_fork_lock();
  segments_fork_lock();
  meta_fork_lock();
  large_fork_lock();
  registry_fork_lock();
}

void fork_release() {
  registry_fork_unlock();
  large_fork_unlock();
  meta_fork_unlock();
  segments_fork_unlock();
  shards_fork_unlock();
}

void global_init() {
  if (HZ3_LIKELY(g_init_state.load(std::memory_order_acquire) == 2)) return;
  int expected = 0;
  if (!g_init_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    while (g_init_state.load(std::memory_order_acquire) != 2) {
    }
    return;
  }
  build_config_line();
  if constexpr (kFlightRecorder) failfast_set_flight_dump(flight_dump);
  const char* env = getenv("HZ3_PRINT_CONFIG");  // getenv does not allocate
  if (env && env[0] == '1') {
    LineBuf line;
    line.str("hz3: config ").str(g_config.c_str()).str("\n");
    line.write_stderr();
  }
  g_init_state.store(2, std::memory_order_release);
}

const char* config_line() {
  global_init();
  return g_config.c_str();
}

void* alloc_slow(uint32_t sc) {
  ThreadCache* tc = cache_or_init();
  if (!tc) return enomem();
  Batch b;
  Bin& bin = tc->bins[sc];
  if constexpr (kListFailfast) {
    if (bin.count != 0)
      failfast("list_short", "bin", tc->shard, static_cast<int>(sc), nullptr,
               LineBuf().kv("count", bin.count).str(" (the bin's list ended before its count)"));
  }
  // The bin is empty here. Carriers kept back by an earlier refill (on the
  // shelf, unless a thread about to carve took them: stock_shelf.h) come
  // first: a batch of them is unpacked (the next carrier's line was
  // prefetched a batch of mallocs ago), so the bin gets objects whose links
  // were just written and are still in cache; a whole backlog unpacked at
  // once had left the cache before malloc read them (docs/measurements/
  // 2026-12-03-carrier-stock.md). Else the boxes hand over whatever they can
  // without walking (a whole remote backlog costs O(1)): xfer's carriers
  // beyond a batch go to the stock, and the bin holds the rest of the refill
  // (a central list handed over whole; 8 batches at most where threads share
  // shards, config.h kShardsShared): its cap grows to what it got and
  // returns to the class cap when it next runs empty, so frees in between do
  // not drain (and walk) the cold rest.
  CarrierList& stock = tc->stock[sc];
  shelf_take(tc->shelf, sc, stock);  // empty unless another thread took it
  if (stock.head) {
    b = carrier_unpack_some(BoxCtx{stock.owner, static_cast<uint16_t>(sc), "stock"}, stock.head, stock.carriers,
                            class_batch(sc), stock);
  } else if (!shard_refill(tc->shard, sc, class_batch(sc), UINT32_MAX, b, tc)) {
    return enomem();
  }
  shelf_put(tc->shelf, sc, stock);  // what is left, where a thread about to carve can take it
  const uint32_t cap = bin_cap(sc);
  bin.cap = b.n - 1 > cap ? b.n - 1 : cap;
  void* p = b.head;
  bin.head = next_of(p);
  bin.count = b.n - 1;
  asan_unpoison(p, class_size(sc));
  return p;
}

void* large_alloc_slow(size_t size) {
  global_init();
  return large_alloc(size, 16);
}

void free_nonsegment_slow(void* p, GranuleKind kind) {
  if (!p) return;
  if (kind == GranuleKind::kNone) invalid_pointer("free", p, "not_ours");
  LargeHeader* h = large_header(p, kind);
  if (!h) invalid_pointer("free", p, "not_large_object_start");
  large_free(h);
}

void free_remote_slow(void* p, uint16_t owner, uint32_t sc) {
  ThreadCache* tc = cache_or_init();
  Bin& b = tc->bins[sc];
  // Our own object (the first free of a thread that just got this shard)
  // goes into the bin as free_fast's would. So does another owner's while
  // the bin has room, to be handed out by the next malloc of the class here;
  // it keeps its owner and goes home through the stash when a drain or the
  // thread's exit takes it out of the bin (bin_take_own). Sending every
  // remote free home moved each object back to the core that allocated it:
  // with a ~450 ns cross-core round trip this is 15% faster at T2 R50 and 5%
  // at T2 R90 (2-3% slower at ~100 ns, where a line crossing cores is cheap;
  // larson 1.45x; docs/measurements/2026-12-04-remote-to-bin.md). A full bin
  // sends another owner's object home at once: the stash, then its xfer.
  if (owner == tc->shard || (kXferSteal && b.count < b.cap)) {
    set_next(p, b.head);
    b.head = p;
    if (++b.count > b.cap) bin_drain(tc, sc);  // only ever for our own: another owner's found room
    return;
  }
  stash_push(tc->stash, p, owner, sc);
}

[[noreturn]] HZ3_COLD void free_invalid(const void* p) {
  const char* why = object_defect(p, -1, -1);
  invalid_pointer("free", p, why ? why : "segment_object_ok_disagrees");
}

[[noreturn]] HZ3_COLD void free_double(const void* p, const ThreadCache* tc) {
  const Segment* seg = segment_of(p);
  uint32_t sc = page_desc_of(p).sc;
  // Where the first free put it: the bin (an own object, or another owner's
  // while the bin had room: free_remote_slow), else the stash.
  failfast("double_free", tc->bins[sc].head == p ? "tcache" : "stash", seg->owner, static_cast<int>(sc), p,
           "object freed twice in a row");
}

void* calloc_impl(size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) return enomem();
  if (bytes > kMaxClassSize) return large_alloc_slow(bytes);  // fresh mapping: already zero
  void* p = malloc_fast(bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

size_t usable_size_impl(const void* p) {
  if (!p) return 0;
  GranuleKind kind = granule_kind(p);
  if (kind == GranuleKind::kSegment) {
    if constexpr (kFreeFailfast) {
      if (const char* why = object_defect(p, -1, -1)) invalid_pointer("malloc_usable_size", p, why);
    }
    return class_size(segment_of(p)->pages[page_index_of(p)].sc);
  }
  if (kind == GranuleKind::kNone) invalid_pointer("malloc_usable_size", p, "not_ours");
  LargeHeader* h = large_header(p, kind);
  if (!h) invalid_pointer("malloc_usable_size", p, "not_large_object_start");
  return h->usable;
}

void* realloc_impl(void* p, size_t size) {
  if (!p) return malloc_fast(size);
  if (size == 0) {  // glibc's behaviour: free and return NULL
    free_fast(p);
    return nullptr;
  }
  size_t old = usable_size_impl(p);
  // Stay in place when the request fits and would not waste more than half.
  if (size <= old && size >= old / 2) return p;
  void* q = malloc_fast(size);
  if (!q) return nullptr;  // p is left untouched
  memcpy(q, p, size < old ? size : old);
  free_fast(p);
  return q;
}

void* memalign_impl(size_t align, size_t size) {
  if (align == 0 || (align & (align - 1))) {
    errno = EINVAL;
    return nullptr;
  }
  if (align <= 16) return malloc_fast(size);
  if (align <= kMaxClassSize) {
    uint32_t sc = aligned_size_to_class(size, align);
    if (sc < kNumClasses) return alloc_class(sc);
  }
  global_init();
  return large_alloc(size, align);
}

int posix_memalign_impl(void** out, size_t align, size_t size) {
  if (align < sizeof(void*) || (align & (align - 1))) return EINVAL;
  int saved = errno;
  void* p = memalign_impl(align, size);
  if (!p) {
    errno = saved;
    return ENOMEM;
  }
  *out = p;
  return 0;
}

void* aligned_alloc_impl(size_t align, size_t size) { return memalign_impl(align, size); }

}  // namespace hz3
