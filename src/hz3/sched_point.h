// Schedule points: the places in the boxes where another thread's move
// matters (before and after each shared atomic access of xfer, central, the
// remote stash flush, shard claim/release, and every lock). In the schedule
// build (HZ3_SCHED=1) each one calls the cooperative scheduler (sched.h),
// which may hand the CPU to another thread there; in every other build the
// macros expand to nothing and their arguments are never evaluated, so
// release code is unchanged (tests/integration/sched_fastpath.cmake compares
// the fast path's instructions with and without them).
//
//   HZ3_SCHED_POINT(where, what, addr)   where: the box ("xfer", "central",
//       "stash", "shard", "lock"); what: the step ("push.cas"); addr: the
//       shared word the step is about to touch (or just touched).
//   HZ3_SCHED_POINT_N(where, what, addr, n)   the same with a number (a count).
#pragma once
#include <cstdint>

#include "hz3/config.h"

#if HZ3_SCHED
namespace hz3::sched {
// Defined in sched.cc. A no-op on threads the scheduler does not run.
void point(const char* where, const char* what, const void* addr, uint64_t n);
// Mutex (mutex.h): the lock is taken, so the caller blocks until it is
// released; lock_released makes its waiters runnable again.
void lock_blocked(const void* lock);
void lock_released(const void* lock);
// The trace after a FAILFAST line (failfast.cc).
void dump_trace();
}  // namespace hz3::sched
#define HZ3_SCHED_POINT(where, what, addr) ::hz3::sched::point((where), (what), (addr), 0)
#define HZ3_SCHED_POINT_N(where, what, addr, n) \
  ::hz3::sched::point((where), (what), (addr), static_cast<uint64_t>(n))
#else
#define HZ3_SCHED_POINT(where, what, addr) ((void)0)
#define HZ3_SCHED_POINT_N(where, what, addr, n) ((void)0)
#endif
