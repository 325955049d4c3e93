// Central: the per-shard, per-size-class bin of spare objects.
// Producers: the owner draining a full thread-cache bin, exiting threads, and
// (mutex xfer only) remote batches that overflowed a full xfer.
// Consumer: the owner's refill path, after xfer and before carving a page;
// and, for a list of several batches only, any thread about to carve
// (central_steal, xfer_steal.h).
//
// Form, chosen by HZ3_S142_CENTRAL_LOCKFREE:
//   1: LockFreeMpscList (S142-A).
//   0: MutexList, with the S86 shadow when HZ3_S86_CENTRAL_SHADOW=1.
#pragma once
#include <type_traits>

#include "hz3/config.h"
#include "hz3/mpsc_lockfree.h"
#include "hz3/mpsc_mutex.h"

namespace hz3 {

using CentralMpsc = LockFreeMpscList<LockFreeChecks{.consumer_token = kS142Failfast,
                                                    .structure = kS142Failfast}>;
using CentralMutex = MutexList<kS86Shadow>;
using CentralBox = std::conditional_t<kCentralLockFree, CentralMpsc, CentralMutex>;
static_assert(MpscBox<CentralMpsc> && MpscBox<CentralMutex>);
// Both forms also let any thread take the whole list (xfer_steal.h).
static_assert(StealableBox<CentralMpsc> && StealableBox<CentralMutex>);

}  // namespace hz3
