// The MPSC box concept shared by xfer and central.
//
// A box holds free objects of one (shard, size class). Any thread may push a
// linked batch (head..tail, n objects, tail->next == nullptr); only the owner
// of the shard pops. Two forms satisfy the concept and are chosen at compile
// time: a mutex form (mpsc_mutex.h) and the S142 lock-free form
// (mpsc_lockfree.h). Code above this layer is written once against the concept.
#pragma once
#include <concepts>
#include <cstdint>

#include "hz3/platform.h"

namespace hz3 {

// Identifies a box in failure reports; passed in rather than stored so that
// the boxes stay constant-initializable.
struct BoxCtx {
  uint16_t shard;
  uint16_t sc;
  const char* where;  // "xfer" or "central"
};

// A linked run of objects. Empty when n == 0 (head/tail then null). The last
// node's next is null. `tail` may be null in a non-empty batch popped with a
// limit: the box handed over a whole list without walking to its end.
struct Batch {
  void* head = nullptr;
  void* tail = nullptr;
  uint32_t n = 0;
};

// Returns false to stop the walk (a corrupt list must not loop forever).
using NodeVisitor = bool (*)(void* obj, void* arg);

template <class B>
concept MpscBox = requires(B& box, const BoxCtx& ctx, void* p, uint32_t n, Batch& out,
                           NodeVisitor visit) {
  // Producer side, any thread. Returns false only when a bounded form is full
  // and the caller must route the batch elsewhere (xfer mutex -> central).
  { box.push(ctx, p, p, n) } -> std::same_as<bool>;
  // Consumer side, owner only: at least min(want, held) and at most `limit`
  // (>= want) objects into `out`; returns out.n. More than want only when the
  // form can hand over a whole list without walking it; out.tail is then null.
  { box.pop(ctx, n, n, out) } -> std::same_as<uint32_t>;
  // The same with limit == want and out.tail always set (walks if needed).
  { box.pop(ctx, n, out) } -> std::same_as<uint32_t>;
  // Consumer side: may a pop find something? (Approximate under concurrency.)
  { box.pending() } -> std::same_as<bool>;
  // Quiescent walk over every object held, for the heap check.
  { box.walk_quiescent(visit, p) } -> std::same_as<void>;
  // Fork: hold / release whatever lock the form has.
  { box.fork_lock() } -> std::same_as<void>;
  { box.fork_unlock() } -> std::same_as<void>;
};

// A box any thread may also empty whole, when it holds at least `min` nodes
// (xfer_steal.h): the consumer's own pop stays single.
template <class B>
concept StealableBox = requires(B& box, const BoxCtx& ctx, uint32_t min, Batch& out) {
  { box.steal(ctx, min, out) } -> std::same_as<uint32_t>;
};

// Walk a null-terminated list, stopping when the visitor says so.
inline bool walk_null_terminated(void* p, NodeVisitor visit, void* arg) {
  while (p) {
    if (!visit(p, arg)) return false;
    p = next_of(p);
  }
  return true;
}

// The last node of a non-empty null-terminated run of n nodes: O(n).
inline void* last_node(void* head, uint32_t n) {
  void* t = head;
  for (uint32_t i = 1; i < n; ++i) t = next_of(t);
  return t;
}

// Split the first k (>= 1) nodes off a null-terminated list: O(k).
// Returns the k-th node (new tail of the prefix); *rest gets the remainder.
inline void* split_prefix(void* head, uint32_t k, void** rest) {
  void* t = last_node(head, k);
  *rest = next_of(t);
  set_next(t, nullptr);
  return t;
}

// Set b.tail when a limited pop left it unknown: O(n).
inline void batch_find_tail(Batch& b) {
  if (b.n && !b.tail) b.tail = last_node(b.head, b.n);
}

// Join two batches into one (either may be empty, either tail may be
// unknown). Walks only when neither tail is known. The result's tail is
// known when b's was.
inline void batch_join(Batch& a, Batch b) {
  if (!b.n) return;
  if (!a.n) {
    a = b;
    return;
  }
  if (!a.tail && b.tail) {  // b in front of a: link through b's known tail
    set_next(b.tail, a.head);
    a.head = b.head;
    a.n += b.n;
    return;
  }
  batch_find_tail(a);
  set_next(a.tail, b.head);
  a.tail = b.tail;
  a.n += b.n;
}

// Append batch b after a (either may be empty; both tails known).
// Appends one node; the tail's next is left stale until the caller ends the
// list (set_next(tail, nullptr)) once, after the last push.
inline void batch_push_back(Batch& a, void* p) {
  if (a.n) set_next(a.tail, p);
  else a.head = p;
  a.tail = p;
  ++a.n;
}

inline void batch_append(Batch& a, const Batch& b) {
  if (!b.n) return;
  if (!a.n) {
    a = b;
    return;
  }
  set_next(a.tail, b.head);
  a.tail = b.tail;
  a.n += b.n;
}

}  // namespace hz3
