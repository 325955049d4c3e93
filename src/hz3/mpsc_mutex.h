// The mutex forms of the MPSC boxes (the pre-S142 design, kept for A/B and
// for the `fast` and `mutex` lanes).
//
// MutexList (central): one list and its exact count under a mutex.
// MutexSlots (xfer, S42): a bounded array of pushed batches under a mutex; a
// push that finds every slot taken is refused and the caller overflows the
// batch into central.
//
// Both are safe with several consumers, so they need no consumer token.
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/mpsc.h"
#include "hz3/mpsc_failfast.h"
#include "hz3/mutex.h"
#include "hz3/platform.h"
#include "hz3/sched_point.h"
#include "hz3/shadow.h"

namespace hz3 {


// kShadow: HZ3_S86_CENTRAL_SHADOW, every object's presence and next link are
// recorded while it sits in the list (shadow.h); only sound under the mutex.
template <bool kShadow>
class alignas(kCacheLine) MutexList {
 public:
  static constexpr const char* kFormName = "mutex";

  constexpr MutexList() = default;

  bool push(const BoxCtx& ctx, void* head, void* tail, uint32_t n) {
    LockGuard g(mu_);
    set_next(tail, head_);
    head_ = head;
    n_.store(n_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    if constexpr (kShadow) shadow_on_push(ctx, head, n);
    return true;
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, uint32_t limit, Batch& out) {
    out = Batch{};
    if (want == 0) return 0;
    LockGuard g(mu_);
    uint32_t have = n_.load(std::memory_order_relaxed);
    if (!have) return 0;
    if constexpr (!kShadow) {
      if (have <= limit) {  // the whole list, without walking it
        out = Batch{head_, nullptr, have};
        head_ = nullptr;
        n_.store(0, std::memory_order_relaxed);
        return have;
      }
    }
    return take_prefix(ctx, want < have ? want : have, have, out);
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, Batch& out) {
    uint32_t n = pop(ctx, want, want, out);
    batch_find_tail(out);
    return n;
  }

  // Any thread (xfer_steal.h): the whole list when it holds at least `min`
  // nodes (min >= 1), else nothing. out.head..(tail unknown) with out.n
  // nodes, as the lock-free form's steal; returns out.n. With `max` (>= min),
  // a longer list gives only its first `max` nodes (walked: tail known) and
  // keeps the rest.
  uint32_t steal(const BoxCtx& ctx, uint32_t min, Batch& out, uint32_t max = UINT32_MAX) {
    out = Batch{};
    if (n_.load(std::memory_order_relaxed) < min) return 0;  // a hint: saves the lock
    LockGuard g(mu_);
    const uint32_t have = n_.load(std::memory_order_relaxed);
    if (have < min) return 0;
    if (have > max) return take_prefix(ctx, max, have, out);
    if constexpr (kShadow) shadow_on_pop(ctx, head_, have);
    out = Batch{head_, nullptr, have};
    head_ = nullptr;
    n_.store(0, std::memory_order_relaxed);
    return have;
  }

  // Read without the lock: a hint that saves locking an empty box.
  bool pending() const {
    HZ3_SCHED_POINT("box", "pending", &n_);
    return n_.load(std::memory_order_relaxed) != 0;
  }

  void walk_quiescent(NodeVisitor visit, void* arg) const { walk_null_terminated(head_, visit, arg); }

  void fork_lock() { mu_.lock(); }
  void fork_unlock() { mu_.unlock(); }

 private:
  // Under mu_: the first k (<= have) of the list's `have` nodes, walked: O(k).
  uint32_t take_prefix(const BoxCtx& ctx, uint32_t k, uint32_t have, Batch& out) {
    if constexpr (kShadow) shadow_on_pop(ctx, head_, k);
    out.head = head_;
    out.tail = split_prefix(head_, k, &head_);
    out.n = k;
    n_.store(have - k, std::memory_order_relaxed);
    return k;
  }

  Mutex mu_;
  void* head_ = nullptr;          // under mu_
  std::atomic<uint32_t> n_{0};    // written under mu_, exact; relaxed reads outside for pending()
};

struct SlotsChecks {
  bool structure = false;  // HZ3_XFER_STRUCT_FAILFAST
};

template <SlotsChecks kChecks, uint32_t kSlots = 8>
class alignas(kCacheLine) MutexSlots {
 public:
  static constexpr const char* kFormName = "mutex";
  static constexpr uint32_t kCapacity = kSlots;

  constexpr MutexSlots() = default;

  bool push(const BoxCtx& ctx, void* head, void* tail, uint32_t n) {
    LockGuard g(mu_);
    if constexpr (kChecks.structure) check_locked(ctx, "push");
    uint32_t used = used_.load(std::memory_order_relaxed);
    if (used == kSlots) return false;  // full: caller overflows into central
    slots_[used] = Batch{head, tail, n};
    used_.store(used + 1, std::memory_order_relaxed);
    return true;
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, uint32_t limit, Batch& out) {
    out = Batch{};
    if (want == 0) return 0;
    LockGuard g(mu_);
    if constexpr (kChecks.structure) check_locked(ctx, "pop");
    uint32_t used = used_.load(std::memory_order_relaxed);
    // Whole slots while short of want, or while they fit the limit (a whole
    // slot costs no walk: its tail is known).
    while (used && (out.n < want || out.n + slots_[used - 1].n <= limit)) {
      Batch& s = slots_[used - 1];  // newest batch first: its objects are warmest
      uint32_t need = out.n < want ? want - out.n : s.n;
      if (s.n <= need) {
        batch_append(out, s);
        s = Batch{};
        --used;
      } else {
        Batch part;
        part.head = s.head;
        part.tail = split_prefix(s.head, need, &s.head);
        part.n = need;
        s.n -= need;
        batch_append(out, part);
      }
    }
    used_.store(used, std::memory_order_relaxed);
    return out.n;
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, Batch& out) { return pop(ctx, want, want, out); }

  // Any thread (xfer_steal.h): every slot when they hold at least `min`
  // nodes (min >= 1), else nothing. Returns out.n; out's tail is known.
  uint32_t steal(const BoxCtx& ctx, uint32_t min, Batch& out) {
    out = Batch{};
    if (!pending()) return 0;
    LockGuard g(mu_);
    if constexpr (kChecks.structure) check_locked(ctx, "steal");
    uint32_t used = used_.load(std::memory_order_relaxed);
    uint32_t total = 0;
    for (uint32_t i = 0; i < used; ++i) total += slots_[i].n;
    if (total < min) return 0;
    for (uint32_t i = used; i-- > 0;) {
      batch_append(out, slots_[i]);
      slots_[i] = Batch{};
    }
    used_.store(0, std::memory_order_relaxed);
    return out.n;
  }

  // Read without the lock: a hint that saves locking an empty inbox.
  bool pending() const {
    HZ3_SCHED_POINT("box", "pending", &used_);
    return used_.load(std::memory_order_relaxed) != 0;
  }

  void walk_quiescent(NodeVisitor visit, void* arg) const {
    uint32_t used = used_.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < used; ++i)
      if (!walk_null_terminated(slots_[i].head, visit, arg)) return;
  }

  void fork_lock() { mu_.lock(); }
  void fork_unlock() { mu_.unlock(); }

  // Test hook: corrupt a slot so the structure check has something to find.
  void debug_set_slot(uint32_t i, Batch b, uint32_t used) {
    slots_[i] = b;
    used_.store(used, std::memory_order_relaxed);
  }

 private:
  void check_locked(const BoxCtx& ctx, const char* op) const {
    slots_check(ctx, op, slots_, used_.load(std::memory_order_relaxed), kSlots);
  }

  Mutex mu_;
  std::atomic<uint32_t> used_{0};  // written under mu_; relaxed reads outside for pending()
  Batch slots_[kSlots]{};          // under mu_
};

}  // namespace hz3
