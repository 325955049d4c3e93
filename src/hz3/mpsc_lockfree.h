// LockFreeMpscList: the S142 lock-free form of an MPSC box (S142-A central,
// S142-B xfer).
//
// Invariant: `head_` is a null-terminated list of objects pushed by any
// number of producers; `priv_` is a null-terminated list that only the
// consumer touches. The consumer is single by construction: the shard's owner
// thread, or whoever holds the shard's OwnerExcl when threads share a shard.
//
//   push: link the batch (tail->next = old head), CAS-publish its head with
//         release so the consumer's acquire sees every link.
//   pop:  serve from priv_ first; if short, exchange(head_, nullptr) with
//         acquire drains everything, take what is needed and keep the rest in
//         priv_ without walking it. A pop costs O(want), never O(backlog).
//
// No Treiber pop (CAS head to head->next): that is MPMC and ABA-prone. The
// push CAS is ABA-safe: whatever the head is when the CAS succeeds is exactly
// what tail->next points to.
//
// Checks (compile-time, mpsc_failfast.h): a consumer token taken at pop entry
// and the push invariants; both compile to nothing when off.
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/mpsc.h"
#include "hz3/mpsc_failfast.h"
#include "hz3/platform.h"

namespace hz3 {

struct LockFreeChecks {
  bool consumer_token = false;
  bool structure = false;
};

template <LockFreeChecks kChecks>
class alignas(kCacheLine) LockFreeMpscList {
 public:
  static constexpr const char* kFormName = "lockfree";

  constexpr LockFreeMpscList() = default;

  bool push(const BoxCtx& ctx, void* head, void* tail, uint32_t n) {
    void* old = head_.load(std::memory_order_relaxed);
    do {
      if constexpr (kChecks.structure) push_checks(ctx, head, tail, n, old);
      set_next(tail, old);
    } while (!head_.compare_exchange_weak(old, head, std::memory_order_release,
                                          std::memory_order_relaxed));
    return true;
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, Batch& out) {
    out = Batch{};
    if (want == 0) return 0;
    token_.acquire(ctx);
    take_from(priv_, want, out);
    if (out.n < want && head_.load(std::memory_order_relaxed) != nullptr) {
      // priv_ is empty here: it was drained before reaching the shared list.
      void* drained = head_.exchange(nullptr, std::memory_order_acquire);
      priv_ = drained;
      Batch more;
      take_from(priv_, want - out.n, more);
      batch_append(out, more);
    }
    token_.release();
    return out.n;
  }

  bool pending() const {
    return priv_ != nullptr || head_.load(std::memory_order_relaxed) != nullptr;
  }

  void walk_quiescent(NodeVisitor visit, void* arg) const {
    if (walk_null_terminated(priv_, visit, arg))
      walk_null_terminated(head_.load(std::memory_order_acquire), visit, arg);
  }

  void fork_lock() {}
  void fork_unlock() {}

  // Test hook: pretend a consumer is inside pop(), so the next pop() is a
  // second concurrent consumer.
  void debug_hold_consumer_token() { token_.debug_hold(); }
  void debug_release_consumer_token() { token_.debug_release(); }

 private:
  // Move up to `want` nodes from the front of `list` into `out`: O(want).
  static void take_from(void*& list, uint32_t want, Batch& out) {
    if (!list) return;
    void* head = list;
    void* tail = head;
    uint32_t n = 1;
    void* next = next_of(tail);
    while (n < want && next) {
      tail = next;
      next = next_of(tail);
      ++n;
    }
    set_next(tail, nullptr);
    list = next;
    out.head = head;
    out.tail = tail;
    out.n = n;
  }

  std::atomic<void*> head_{nullptr};  // producers CAS, consumer exchanges
  void* priv_ = nullptr;              // consumer only
  [[no_unique_address]] ConsumerToken<kChecks.consumer_token> token_;
};

}  // namespace hz3
