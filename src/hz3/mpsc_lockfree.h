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
//   pop:  serve from priv_ first; if short, exchange(head_, 0) with acquire
//         drains everything. When the drained list fits the caller's limit it
//         is handed over whole, without touching a node; otherwise take what
//         is needed and keep the rest in priv_ without walking it. A pop
//         costs O(want), never O(backlog).
//
// The head word packs the list's object count above the pointer (x86-64 user
// addresses fit in 48 bits), so a producer's CAS updates both at once and the
// consumer learns the exact count of what it drained without walking the
// list: the nodes are cold in the consumer's cache (a remote thread wrote
// them last), and walking them was the biggest cost of a remote-heavy load.
// The count saturates at kCountUnknown; such a list is walked as before.
//
// steal (xfer and central, xfer_steal.h): any thread may take the whole
// shared list with the same exchange. Taking everything has no ABA and steal
// never touches priv_, so the consumer's pop stays single: at worst its
// exchange comes back empty. The consumer token is not taken (the owner may be inside
// pop meanwhile, legitimately).
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
#include "hz3/sched_point.h"

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
    HZ3_SCHED_POINT_N(ctx.where, "push.load", &head_, n);
    uintptr_t old = head_.load(std::memory_order_relaxed);
    uintptr_t word;
    do {
      if constexpr (kChecks.structure) {
        push_checks(ctx, head, tail, n, ptr_of(old));
        if (reinterpret_cast<uintptr_t>(head) & ~kPtrMask)
          mpsc_fail(ctx, kFormName, "mpsc_push_high_address", head,
                    LineBuf().str(" (the head word keeps a count above bit 48)"));
      }
      set_next(tail, ptr_of(old));
      uint64_t count = uint64_t{count_of(old)} + n;
      if (count > kCountUnknown) count = kCountUnknown;
      word = reinterpret_cast<uintptr_t>(head) | (count << kCountShift);
      // The batch is linked, not yet published: the window a push bug lives in.
      HZ3_SCHED_POINT_N(ctx.where, "push.cas", &head_, n);
    } while (!head_.compare_exchange_weak(old, word, std::memory_order_release,
                                          std::memory_order_relaxed));
    HZ3_SCHED_POINT_N(ctx.where, "push.published", head, n);
    return true;
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, uint32_t limit, Batch& out) {
    out = Batch{};
    if (want == 0) return 0;
    HZ3_SCHED_POINT_N(ctx.where, "pop.enter", &head_, want);
    token_.acquire(ctx);
    take_from(priv_, want, out);
    HZ3_SCHED_POINT_N(ctx.where, "pop.peek", &head_, out.n);
    if (out.n < want && head_.load(std::memory_order_relaxed) != 0) {
      // priv_ is empty here: it was drained before reaching the shared list.
      HZ3_SCHED_POINT(ctx.where, "pop.exchange", &head_);
      uintptr_t word = head_.exchange(0, std::memory_order_acquire);
      uint32_t count = count_of(word);
      HZ3_SCHED_POINT_N(ctx.where, "pop.drained", ptr_of(word), count);
      if (count != kCountUnknown && out.n + count <= limit) {
        batch_join(out, Batch{ptr_of(word), nullptr, count});
      } else {
        priv_ = ptr_of(word);
        Batch more;
        take_from(priv_, want - out.n, more);
        batch_append(out, more);
      }
    }
    token_.release();
    HZ3_SCHED_POINT_N(ctx.where, "pop.leave", &head_, out.n);
    return out.n;
  }

  uint32_t pop(const BoxCtx& ctx, uint32_t want, Batch& out) {
    uint32_t n = pop(ctx, want, want, out);
    batch_find_tail(out);
    return n;
  }

  // Any thread: the whole shared list when it holds at least `min` (min >= 1),
  // else nothing. out.head..(tail unknown) with out.n nodes; returns out.n.
  uint32_t steal(const BoxCtx& ctx, uint32_t min, Batch& out) {
    out = Batch{};
    HZ3_SCHED_POINT_N(ctx.where, "steal.peek", &head_, min);
    uintptr_t word = head_.load(std::memory_order_relaxed);
    if (count_of(word) < min) return 0;
    word = head_.exchange(0, std::memory_order_acquire);
    out.head = ptr_of(word);
    out.n = count_of(word);
    if (out.n == kCountUnknown) {  // saturated: count by walking (rare, a huge backlog)
      out.n = 0;
      for (void* p = out.head; p; p = next_of(p)) ++out.n;
    }
    HZ3_SCHED_POINT_N(ctx.where, "steal.taken", out.head, out.n);
    return out.n;
  }

  bool pending() const {
    if (priv_ != nullptr) return true;
    HZ3_SCHED_POINT("box", "pending", &head_);
    return head_.load(std::memory_order_relaxed) != 0;
  }

  void walk_quiescent(NodeVisitor visit, void* arg) const {
    if (walk_null_terminated(priv_, visit, arg))
      walk_null_terminated(ptr_of(head_.load(std::memory_order_acquire)), visit, arg);
  }

  // The exact number of objects in the shared list (quiescent; tests).
  uint32_t debug_shared_count() const { return count_of(head_.load(std::memory_order_acquire)); }

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

  static constexpr unsigned kCountShift = 48;
  static constexpr uint32_t kCountUnknown = 0xffff;
  static constexpr uintptr_t kPtrMask = (uintptr_t{1} << kCountShift) - 1;
  static void* ptr_of(uintptr_t word) { return reinterpret_cast<void*>(word & kPtrMask); }
  static uint32_t count_of(uintptr_t word) { return static_cast<uint32_t>(word >> kCountShift); }

  std::atomic<uintptr_t> head_{0};  // list | count << 48; producers CAS, consumer exchanges
  void* priv_ = nullptr;              // consumer only
  [[no_unique_address]] ConsumerToken<kChecks.consumer_token> token_;
};

}  // namespace hz3
