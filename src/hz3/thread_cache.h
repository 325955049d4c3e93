// ThreadCache: per-thread bins of free objects, the carriers it has taken
// but not unpacked (the stock, kept on its shelf: stock_shelf.h), and its
// remote stash. Bins and stock hold the thread's own shard's objects, and
// some of another owner's: remote frees that found room in the bin
// (free_remote_slow, HZ3_XFER_STEAL), and what a steal (xfer_steal.h,
// stock_shelf.h) or a stash take (remote_stash.h) brought; those leave
// through the stash when the bin drains or the thread exits (bin_take_own).
// The fast path (malloc/free hitting a bin) touches only this thread's
// bins: no locks, no ordered atomics, no checks.
//
// Every thread starts pointing at a shared, immutable empty cache (kNoShard,
// all bins empty), so the fast path needs no "initialized?" test: the first
// malloc misses, the first free looks remote, and both slow paths set up the
// real cache. A cache is owned by its thread; the registry links it for the
// quiescent heap check.
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/carrier.h"
#include "hz3/flight_recorder.h"
#include "hz3/platform.h"
#include "hz3/remote_stash.h"
#include "hz3/size_class.h"
#include "hz3/stock_shelf.h"

namespace hz3 {

struct Bin {
  void* head = nullptr;
  uint32_t count = 0;
  uint32_t cap = 0;
};

// Batches a bin of any class holds now: kBinBudgetBatches (config.h) over the
// live thread caches, within [2, kBinMaxBatches]. Written under the registry
// lock when a cache starts or ends, read by refills (relaxed: a refill that
// reads a stale share only sizes one bin by it until its next refill).
extern std::atomic<uint32_t> g_bin_batches;
inline uint32_t bin_cap(uint32_t sc) { return g_bin_batches.load(std::memory_order_relaxed) * class_batch(sc); }
// Live thread caches (tests).
uint32_t live_caches();
// hz3_debug_pin_bin_batches: n batches for every bin from now on, 0 = the share.
void pin_bin_batches(uint32_t n);
// Every bin of tc to bin_cap now (a new cache; the caller's after a pin).
void reset_bin_caps(ThreadCache* tc);

struct ThreadCache {
  Bin bins[kNumClasses];
  uint16_t shard = 0xffff;
  // Carriers a refill took (from its own xfer, another owner's in a steal,
  // its stash, another thread's shelf: stock[sc].owner) and did not unpack
  // yet (carrier.h): the next refills of the class unpack them a batch at a
  // time, before the boxes. Between mallocs they wait on the shelf, where a
  // thread about to carve may take them; `stock` holds them only inside
  // alloc_slow (taken off the shelf, unpacked from, put back).
  CarrierList stock[kNumClasses];
  StockShelf shelf;
  RemoteStash stash;
  ThreadCache* reg_prev = nullptr;  // registry, under the registry lock
  ThreadCache* reg_next = nullptr;
  [[no_unique_address]] FlightRing flight;  // empty unless HZ3_FLIGHT_RECORDER
};

extern ThreadCache g_empty_cache;
extern HZ3_TLS ThreadCache* t_cache;

HZ3_ALWAYS_INLINE bool cache_is_empty_sentinel(const ThreadCache* tc) { return tc == &g_empty_cache; }

// Set up the calling thread's cache (claims a shard); nullptr if out of memory.
ThreadCache* thread_cache_init();
// Flush bins to the shard's central, the carrier stock (off the shelf) back
// to its owner's xfer and the stash to the owners' xfer.
void thread_cache_flush(ThreadCache* tc);
// Flush, release the shard, recycle the cache; the thread reverts to the sentinel.
void thread_cache_teardown();
// Drain a bin that went over its cap: move its newest objects to central
// until it is a batch under the cap (the cap itself is reset by alloc_slow).
void bin_drain(ThreadCache* tc, uint32_t sc);
// Take the first n objects off `list` (objects of class sc leaving tc's bin):
// other owners' objects go to them through the stash (with HZ3_XFER_STEAL a
// bin may hold some), the thread's own come back as a list (tail known).
Batch bin_take_own(ThreadCache* tc, uint32_t sc, void*& list, uint32_t n);

// A flight-recorder note in the calling thread's ring (nothing before its
// cache is set up, nor in builds without the recorder).
HZ3_ALWAYS_INLINE void flight_note(FlightOp op, FlightBox box, uint16_t shard, uint32_t sc,
                                   const void* ptr, uint32_t n) {
  if constexpr (kFlightRecorder) {
    ThreadCache* tc = t_cache;
    if (!cache_is_empty_sentinel(tc)) tc->flight.note(op, box, shard, sc, ptr, n);
  }
}

// Registry walk (heap check); fn gets every live cache under the registry lock.
void registry_for_each(void (*fn)(ThreadCache*, void*), void* arg);
// The same walk only if the lock is free now (false, nothing walked, if not):
// for a refill, which never waits on another thread's walk (stock_shelf.h).
bool registry_try_for_each(void (*fn)(ThreadCache*, void*), void* arg);
// First live cache, read without the lock (only for the dump of a failing process).
ThreadCache* registry_head_unlocked();
void registry_fork_lock();
void registry_fork_unlock();

}  // namespace hz3
