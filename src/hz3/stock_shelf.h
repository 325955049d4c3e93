// StockShelf: where a thread keeps its carrier stock (carrier.h) between
// mallocs, so that another thread about to carve can take it.
//
// Why: a refill that takes a whole backlog (its own xfer, another owner's in
// a steal, an entry of its stash) unpacks a batch and keeps the rest. With
// more threads than cores the thread is then descheduled holding that rest,
// while the threads that run find no backlog and carve fresh pages. At T16
// R90 the stocks were the largest pool of free memory (30-45 MiB, nearly all
// stolen); giving a steal's rest back to its owner's box only moved it into
// the owner's stock (docs/measurements/2026-12-03-failfast-and-stocks.md).
// On the shelf it stays reachable: a thread that found no xfer backlog takes
// another thread's stock of the class before it takes its stash or carves
// (docs/measurements/2026-12-04-stock-shelf.md).
//
// Form: one word per class, the list of carriers | their count << 48 (as the
// lock-free xfer's head). Only the cache's own thread puts, and only into an
// empty word (it took the stock itself first); any thread takes with an
// exchange, so exactly one taker gets the list, whole. A taker learns whose
// objects they are from the first carrier's segment. The objects keep their
// owner, as a steal's do (xfer_steal.h).
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/carrier.h"
#include "hz3/size_class.h"

namespace hz3 {

struct Batch;        // mpsc.h
struct ThreadCache;  // thread_cache.h

struct StockShelf {
  std::atomic<uint64_t> word[kNumClasses] = {};
};

// Carriers a shelf word can count.
inline constexpr uint32_t kShelfMaxCarriers = 0xffff;
inline constexpr unsigned kShelfCountShift = 48;  // user-space addresses fit below it

// The word holding `carriers` carriers from `head` (carriers <= kShelfMaxCarriers).
inline uint64_t shelf_word(const void* head, uint32_t carriers) {
  return reinterpret_cast<uintptr_t>(head) | (uint64_t{carriers} << kShelfCountShift);
}

// The cache's own thread: put `st` (its stock of class sc) on the shelf,
// whose word is empty, and empty `st`. A list longer than a word can count
// (never seen: xfer's own count has the same width) goes home to its owner's
// xfer instead.
void shelf_put(StockShelf& shelf, uint32_t sc, CarrierList& st);
// Any thread: take what the shelf holds of class sc into `st` (empty on
// entry; its owner is the first carrier's). False when it held nothing. In
// the fail-fast lanes a head that is no object of the class fails first
// (FAILFAST shelf_bad_head).
bool shelf_take(StockShelf& shelf, uint32_t sc, CarrierList& st);
// What the shelf holds, without taking it or checking it (owner left 0): for
// the heap check of a quiescent heap, which checks every node itself, and
// for tests.
CarrierList shelf_peek(const StockShelf& shelf, uint32_t sc);

// For `thief`'s refill of class sc, after its own boxes and the xfer steal
// gave nothing: take the first other thread's stock of the class, unpack at
// least `want` objects into `out` (tail known) and keep the other carriers in
// `rest` (empty on entry). Returns out.n, 0 when no thread had one.
uint32_t stock_steal(const ThreadCache* thief, uint32_t sc, uint32_t want, Batch& out, CarrierList& rest);

}  // namespace hz3
