#include "hz3/thread_cache.h"

#include <pthread.h>

#include <atomic>
#include <new>

#include "hz3/config.h"
#include "hz3/list_failfast.h"
#include "hz3/meta_arena.h"
#include "hz3/mutex.h"
#include "hz3/shard.h"
#include "hz3/stash_shadow.h"

namespace hz3 {

constinit ThreadCache g_empty_cache;
HZ3_TLS ThreadCache* t_cache = &g_empty_cache;
constinit std::atomic<uint32_t> g_bin_batches{kBinMaxBatches};

namespace {

constinit Mutex g_registry_lock;
constinit ThreadCache* g_registry = nullptr;    // live caches, under g_registry_lock
constinit ThreadCache* g_recycled = nullptr;    // caches of exited threads, under g_registry_lock
constinit uint32_t g_live_caches = 0;           // caches in g_registry, under g_registry_lock
constinit uint32_t g_pinned_batches = 0;        // hz3_debug_pin_bin_batches, under g_registry_lock
constinit pthread_key_t g_exit_key;
constinit std::atomic<int> g_key_state{0};      // 0 none, 1 creating, 2 ready

void on_thread_exit(void*) { thread_cache_teardown(); }

// Under g_registry_lock, after g_live_caches changed.
void share_bin_budget() {
  uint32_t b = g_pinned_batches ? g_pinned_batches
                                : (g_live_caches ? kBinBudgetBatches / g_live_caches : kBinMaxBatches);
  b = b < 2 ? 2 : (b > kBinMaxBatches ? kBinMaxBatches : b);
  g_bin_batches.store(b, std::memory_order_relaxed);
}

void ensure_exit_key() {
  if (HZ3_LIKELY(g_key_state.load(std::memory_order_acquire) == 2)) return;
  int expected = 0;
  if (g_key_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    pthread_key_create(&g_exit_key, on_thread_exit);
    g_key_state.store(2, std::memory_order_release);
    return;
  }
  while (g_key_state.load(std::memory_order_acquire) != 2) {
  }
}

}  // namespace

ThreadCache* thread_cache_init() {
  ensure_exit_key();
  ThreadCache* tc;
  {
    LockGuard g(g_registry_lock);
    tc = g_recycled;
    if (tc) g_recycled = tc->reg_next;
  }
  // A recycled cache keeps its stash shadow (fail-fast lanes): the meta arena
  // never frees, so a new one per thread would grow with thread churn.
  decltype(RemoteStash::shadow) shadow{};
  if (tc) shadow = tc->stash.shadow;
  else tc = static_cast<ThreadCache*>(meta_alloc(sizeof(ThreadCache)));
  tc = new (tc) ThreadCache;
  tc->stash.shadow = stash_shadow_attach(shadow);
  tc->shard = shard_claim();
  tc->flight.note(FlightOp::kClaim, FlightBox::kShard, tc->shard, 0, nullptr, 0);
  {
    LockGuard g(g_registry_lock);
    tc->reg_next = g_registry;
    if (g_registry) g_registry->reg_prev = tc;
    g_registry = tc;
    ++g_live_caches;
    share_bin_budget();
  }
  reset_bin_caps(tc);
  t_cache = tc;
  // A non-null value makes the key's destructor run at thread exit.
  pthread_setspecific(g_exit_key, tc);
  return tc;
}

void thread_cache_flush(ThreadCache* tc) {
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
    Bin& b = tc->bins[sc];
    if (!b.count) continue;
    Batch own = bin_take_own(tc, sc, b.head, b.count);
    b.count = 0;
    if (own.n) central_push_list(tc->shard, sc, own.head, own.tail, own.n);
  }
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
    // Carriers go back as they came, to their owner's xfer: a walk of the
    // carriers only, not of the objects they carry.
    CarrierList& st = tc->stock[sc];
    shelf_take(tc->shelf, sc, st);
    if (!st.head) continue;
    push_remote_list(st.owner, sc, st.head, last_node(st.head, st.carriers), st.carriers);
    st = CarrierList{};
  }
  stash_flush_all(tc->stash);
}

void thread_cache_teardown() {
  ThreadCache* tc = t_cache;
  if (cache_is_empty_sentinel(tc)) return;
  tc->flight.note(FlightOp::kFlush, FlightBox::kCache, tc->shard, 0, nullptr, 0);
  thread_cache_flush(tc);
  tc->flight.note(FlightOp::kRelease, FlightBox::kShard, tc->shard, 0, nullptr, 0);
  // Back to the sentinel before the shard is released: any later call from
  // this thread (another TLS destructor) sets up a fresh cache.
  t_cache = &g_empty_cache;
  shard_release(tc->shard);
  LockGuard g(g_registry_lock);
  if (tc->reg_prev) tc->reg_prev->reg_next = tc->reg_next; else g_registry = tc->reg_next;
  if (tc->reg_next) tc->reg_next->reg_prev = tc->reg_prev;
  --g_live_caches;
  share_bin_budget();
  tc->reg_prev = nullptr;
  tc->reg_next = g_recycled;
  g_recycled = tc;
}

void bin_drain(ThreadCache* tc, uint32_t sc) {
  Bin& b = tc->bins[sc];
  // Bring the bin back to a batch under its cap by moving its newest objects
  // to central. They were just freed here, so walking them to split the list
  // is cheap. After a large refill the cap is that refill's size (alloc_slow)
  // and the bin's older end is a whole list handed over cold from xfer: the
  // drain moves only the batch or so above it and leaves the cold rest, and
  // the cap returns to the class cap when the bin next runs empty.
  const uint32_t keep = b.cap - class_batch(sc);
  if (b.count <= keep) return;
  Batch own = bin_take_own(tc, sc, b.head, b.count - keep);
  b.count = keep;
  if (own.n) central_push_list(tc->shard, sc, own.head, own.tail, own.n);
}

Batch bin_take_own(ThreadCache* tc, uint32_t sc, void*& list, uint32_t n) {
  Batch own;
  if (!n) return own;
  if constexpr (!kXferSteal && !kListFailfast) {  // every object is the thread's own
    own.head = list;
    own.tail = split_prefix(list, n, &list);
    own.n = n;
    return own;
  }
  void* p = list;
  [[maybe_unused]] PageView v;
  for (uint32_t i = 0; i < n; ++i) {
    // Fail-fast lanes: a broken link is reported here, before the node is
    // read; the boundary check after this walk would come too late.
    if constexpr (kListFailfast) bin_walk_check(tc, sc, p, n, i, v);
    void* next = next_of(p);
    const uint16_t owner = kXferSteal ? segment_of(p)->owner : tc->shard;
    if (owner == tc->shard) {
      batch_push_back(own, p);
    } else {
      stash_push(tc->stash, p, owner, sc);  // another owner's (a steal or a stash take) goes home
    }
    p = next;
  }
  list = p;
  if (own.n) set_next(own.tail, nullptr);
  return own;
}

void registry_for_each(void (*fn)(ThreadCache*, void*), void* arg) {
  LockGuard g(g_registry_lock);
  for (ThreadCache* tc = g_registry; tc; tc = tc->reg_next) fn(tc, arg);
}

bool registry_try_for_each(void (*fn)(ThreadCache*, void*), void* arg) {
  if (!g_registry_lock.try_lock()) return false;
  for (ThreadCache* tc = g_registry; tc; tc = tc->reg_next) fn(tc, arg);
  g_registry_lock.unlock();
  return true;
}

ThreadCache* registry_head_unlocked() { return g_registry; }

uint32_t live_caches() {
  LockGuard g(g_registry_lock);
  return g_live_caches;
}

void pin_bin_batches(uint32_t n) {
  LockGuard g(g_registry_lock);
  g_pinned_batches = n;
  share_bin_budget();
}

void reset_bin_caps(ThreadCache* tc) {
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) tc->bins[sc].cap = bin_cap(sc);
}

void registry_fork_lock() { g_registry_lock.lock(); }
void registry_fork_unlock() { g_registry_lock.unlock(); }

}  // namespace hz3
