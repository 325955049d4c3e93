// Xfer (S42): the per-owner, per-size-class inbox for remote frees. Its
// lists are carriers (carrier.h) and its counts count carriers.
// Producers: any thread flushing its remote stash (push_remote_list).
// Consumer: the owner's refill path (alloc_slow), first stop before central;
// and, for a whole backlog only, any thread about to carve (xfer_steal.h).
//
// Form, chosen by HZ3_S142_XFER_LOCKFREE:
//   1: LockFreeMpscList, unbounded; nothing overflows into central (S142-B).
//   0: MutexSlots, 8 batches; a full inbox overflows the batch into central.
#pragma once
#include <type_traits>

#include "hz3/config.h"
#include "hz3/mpsc_lockfree.h"
#include "hz3/mpsc_mutex.h"

namespace hz3 {

using XferMpsc = LockFreeMpscList<LockFreeChecks{.consumer_token = kS142Failfast,
                                                 .structure = kS142Failfast || kXferStructFailfast}>;
using XferMutex = MutexSlots<SlotsChecks{.structure = kXferStructFailfast}>;
using XferBox = std::conditional_t<kXferLockFree, XferMpsc, XferMutex>;
static_assert(MpscBox<XferMpsc> && MpscBox<XferMutex>);

// Both forms also let any thread take a whole backlog (xfer_steal.h).
static_assert(StealableBox<XferMpsc> && StealableBox<XferMutex>);

}  // namespace hz3
