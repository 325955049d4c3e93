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
// Checks (compile-time): kConsumerToken takes a token by CAS at pop entry, so
// a second concurrent consumer aborts (HZ3_S142_FAILFAST). kStructure checks
// the invariants that hold under every legal interleaving: a pushed batch is
// non-empty and does not link to itself; no count is asserted exact, since the
// design keeps none across threads (HZ3_S142_FAILFAST / HZ3_XFER_STRUCT_FAILFAST).
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/failfast.h"
#include "hz3/mpsc.h"
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
    if constexpr (kChecks.structure) {
      if (!head || !tail || n == 0)
        fail(ctx, "mpsc_push_empty", head, LineBuf().kvp("tail", tail).kv("n", n));
    }
    void* old = head_.load(std::memory_order_relaxed);
    do {
      if constexpr (kChecks.structure) {
        // Pushing an object that is already the published head would link it
        // to itself: the same object freed twice, or a list reused after push.
        if (old == head || old == tail)
          fail(ctx, "mpsc_push_self_link", head, LineBuf().kvp("tail", tail).kvp("old_head", old));
      }
      *static_cast<void**>(tail) = old;
    } while (!head_.compare_exchange_weak(old, head, std::memory_order_release,
                                          std::memory_order_relaxed));
    return true;
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, Batch& out) {
    out = Batch{};
    if (want == 0) return 0;
    if constexpr (kChecks.consumer_token) acquire_token(ctx);
    take_from(priv_, want, out);
    if (out.n < want && head_.load(std::memory_order_relaxed) != nullptr) {
      // priv_ is empty here: it was drained before reaching the shared list.
      void* drained = head_.exchange(nullptr, std::memory_order_acquire);
      priv_ = drained;
      Batch more;
      take_from(priv_, want - out.n, more);
      batch_append(out, more);
    }
    if constexpr (kChecks.consumer_token) token_.store(0, std::memory_order_release);
    return out.n;
  }

  bool pending() const {
    return priv_ != nullptr || head_.load(std::memory_order_relaxed) != nullptr;
  }

  void walk_quiescent(NodeVisitor visit, void* arg) const {
    if (walk_list(priv_, visit, arg)) walk_list(head_.load(std::memory_order_acquire), visit, arg);
  }

  void fork_lock() {}
  void fork_unlock() {}

  // Test hook: pretend a consumer is inside pop(), so the next pop() is a
  // second concurrent consumer.
  void debug_hold_consumer_token() { token_.store(1, std::memory_order_relaxed); }
  void debug_release_consumer_token() { token_.store(0, std::memory_order_relaxed); }

 private:
  // Move up to `want` nodes from the front of `list` into `out`: O(want).
  static void take_from(void*& list, uint32_t want, Batch& out) {
    if (!list) return;
    void* head = list;
    void* tail = head;
    uint32_t n = 1;
    void* next = *static_cast<void**>(tail);
    while (n < want && next) {
      tail = next;
      next = *static_cast<void**>(tail);
      ++n;
    }
    *static_cast<void**>(tail) = nullptr;
    list = next;
    out.head = head;
    out.tail = tail;
    out.n = n;
  }

  static bool walk_list(void* p, NodeVisitor visit, void* arg) {
    while (p) {
      if (!visit(p, arg)) return false;
      p = *static_cast<void**>(p);
    }
    return true;
  }

  void acquire_token(const BoxCtx& ctx) {
    uint32_t expected = 0;
    if (!token_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                        std::memory_order_relaxed))
      fail(ctx, "mpsc_second_consumer", nullptr,
           LineBuf().str(" another consumer is inside pop (MPSC violated)"));
  }

  [[noreturn]] static void fail(const BoxCtx& ctx, const char* check, const void* ptr,
                                const LineBuf& detail) {
    LineBuf d;
    d.str(" form=lockfree").str(detail.c_str());
    failfast(check, ctx.where, ctx.shard, ctx.sc, ptr, d);
  }

  std::atomic<void*> head_{nullptr};  // producers CAS, consumer exchanges
  void* priv_ = nullptr;              // consumer only
  std::atomic<uint32_t> token_{0};    // consumer token (kConsumerToken only)
};

}  // namespace hz3
