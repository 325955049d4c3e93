// Fail-fast checks of the MPSC boxes, kept out of the boxes' own code:
//   HZ3_S142_FAILFAST        ConsumerToken: a token taken by CAS at pop entry,
//                            so a second concurrent consumer of one box aborts;
//                            push_checks: invariants that hold under every
//                            legal interleaving (a pushed batch is non-empty and
//                            does not link to the current head).
//   HZ3_XFER_STRUCT_FAILFAST the same push checks for the lock-free xfer, and
//                            slots_check for the mutex xfer's slot array.
// No count of a lock-free box is asserted: the design keeps none that is exact
// across threads, and asserting one is a known false-abort pitfall.
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/failfast.h"
#include "hz3/mpsc.h"

namespace hz3 {

[[noreturn]] inline void mpsc_fail(const BoxCtx& ctx, const char* form, const char* check,
                                   const void* ptr, const LineBuf& detail) {
  LineBuf d;
  d.str(" form=").str(form).str(detail.c_str());
  failfast(check, ctx.where, ctx.shard, ctx.sc, ptr, d);
}

// Single-consumer proof for a lock-free box. Disabled: no state, no code.
template <bool kEnabled>
class ConsumerToken {
 public:
  void acquire(const BoxCtx&) {}
  void release() {}
  void debug_hold() {}
  void debug_release() {}
};

template <>
class ConsumerToken<true> {
 public:
  constexpr ConsumerToken() = default;
  void acquire(const BoxCtx& ctx) {
    uint32_t expected = 0;
    if (!held_.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed))
      mpsc_fail(ctx, "lockfree", "mpsc_second_consumer", nullptr,
                LineBuf().str(" another consumer is inside pop (MPSC violated)"));
  }
  void release() { held_.store(0, std::memory_order_release); }
  // Test hooks: pretend a consumer is inside pop().
  void debug_hold() { held_.store(1, std::memory_order_relaxed); }
  void debug_release() { held_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint32_t> held_{0};
};

// Before publishing head..tail (n objects) on top of old_head.
inline void push_checks(const BoxCtx& ctx, const void* head, const void* tail, uint32_t n,
                        const void* old_head) {
  if (!head || !tail || n == 0)
    mpsc_fail(ctx, "lockfree", "mpsc_push_empty", head, LineBuf().kvp("tail", tail).kv("n", n));
  // Pushing an object that is already the published head would link it to
  // itself: the same object freed twice, or a list reused after its push.
  if (old_head == head || old_head == tail)
    mpsc_fail(ctx, "lockfree", "mpsc_push_self_link", head,
              LineBuf().kvp("tail", tail).kvp("old_head", old_head));
}

// The S42 slot array: used within capacity, every used slot a non-empty batch
// with both ends set, every unused slot empty. Called under the xfer mutex.
inline void slots_check(const BoxCtx& ctx, const char* op, const Batch* slots, uint32_t used,
                        uint32_t capacity) {
  if (used > capacity)
    failfast("xfer_struct", ctx.where, ctx.shard, ctx.sc, nullptr,
             LineBuf().str(" op=").str(op).kv("used", used).kv("capacity", capacity));
  for (uint32_t i = 0; i < capacity; ++i) {
    const Batch& s = slots[i];
    bool ok = i < used ? (s.head && s.tail && s.n) : (!s.head && !s.tail && !s.n);
    if (!ok)
      failfast("xfer_struct", ctx.where, ctx.shard, ctx.sc, s.head,
               LineBuf().str(" op=").str(op).kv("slot", i).kv("used", used).kvp("tail", s.tail).kv("n", s.n));
  }
}

}  // namespace hz3
