// XferSteal: a thread about to carve a fresh page for a class first takes
// the xfer backlog of another owner, if one has piled up.
//
// Why: every remote free goes back to the object's owner, and only the owner
// drains its inbox. With more threads than cores an owner runs one time
// slice in several; what the others free for it waits in its xfer until it
// runs, while the threads that do run find their own boxes empty and carve.
// That backlog grew with the run (T16 R90 on 2 cores: 600-700 MiB peak RSS
// against tcmalloc's ~190, most of it free objects waiting for their owner;
// docs/measurements/2026-12-03-xfer-steal.md). A thread that would carve
// takes such a backlog instead, so carving starts only when no owner has one.
//
// What stays as it was: an object belongs to the shard whose page carved it,
// for life. A stolen object is malloc'd by the thief and, when freed, is a
// remote free like any other. Until it goes home it may sit in the thief's
// bin or carrier stock, so those may hold foreign objects (as a bin does
// after a remote free that found room in it): a bin that drains or flushes
// sends each foreign object to its owner through the stash
// (thread_cache.h), and page reclaim leaves them out of its counts.
//
// Safety: the steal is the box's take-all (an exchange in the lock-free form,
// every slot under the lock in the mutex form). It never touches the
// consumer's private list, so the owner's pop stays single-consumer; the
// carriers are checked as any refill's are (fail-fast lanes), naming "steal".
// The mutex xfer holds 8 batches and overflows the rest into central, so in
// the lanes with a mutex central (any number of consumers) an owner's central
// is stolen too, after every xfer, the same way (MutexList::steal).
#pragma once
#include <cstdint>

#include "hz3/carrier.h"
#include "hz3/mpsc.h"

namespace hz3 {

// Smallest backlog worth taking, in carriers: a few carriers already hold
// more than a batch, and a shorter list is likely to be its owner's next
// refill.
inline constexpr uint32_t kStealMinCarriers = 4;

// For `thief`'s refill of class sc: look through the other shards' xfer in
// turn (only shards ever claimed) and take the first backlog of at least
// kStealMinCarriers. Unpacks at least `want` objects into `out` (tail known)
// and leaves the other carriers in `stock` (empty on entry; its owner becomes
// the victim). With a mutex central (HZ3_S142_CENTRAL_LOCKFREE=0), when no
// xfer has one, central_steal follows at once. Returns out.n, 0 when no
// backlog was found.
uint32_t xfer_steal(uint16_t thief, uint32_t sc, uint32_t want, Batch& out, CarrierList& stock);

// For `thief`'s refill of class sc: take the first other shard's central
// list of at least kStealMinCarriers batches, whole into `out` (tail unknown,
// as an owner's own central refill); where threads share shards, a mutex
// central gives its first kSharedRefillBatches batches only (config.h).
// Returns out.n, 0 when none had one.
// Central holds what an owner's own frees drained there, and its bins when it
// exits or flushes: at the end of a T16 R90 run, owners whose threads had
// finished held up to 110 MiB there while the threads still running carved
// (docs/measurements/2026-12-04-central-steal.md). With the lock-free central
// it is the last refill before carving (shard_refill), after the thread's own
// stash: it only replaces a fresh page (taken right after the xfer steal, it
// measured 4% slower at T2 R90).
uint32_t central_steal(uint16_t thief, uint32_t sc, Batch& out);

}  // namespace hz3
