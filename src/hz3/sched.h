// The cooperative scheduler of the schedule build (HZ3_SCHED=1): it runs a
// set of real threads one at a time and switches only at schedule points
// (sched_point.h) and at locks, choosing who runs next from a schedule the
// caller supplies. Used by sched_fuzz (the fuzz input carries the schedule)
// and sched_explore (every interleaving, depth first).
//
// A run: the controlling thread calls begin(), starts `nthreads` threads that
// each call thread_enter(i) first and thread_leave() last, then wait_end().
// Only the thread holding the baton runs; a schedule point may pass the baton.
// A lock that is taken makes its caller blocked until the lock is released
// (it never spins on the CPU), so no schedule deadlocks the harness; a real
// deadlock (every live thread blocked) is a FAILFAST sched_deadlock line.
//
// Choices, at every point where two or more threads could run:
//   bytes mode (sched_fuzz): the current thread keeps running for a run
//     length, then a byte b picks the next: run length b >> 3, thread: the
//     first runnable id at or after (b & 7), cyclically. With the bytes used
//     up, the current thread runs on until it leaves or blocks, then the next
//     runnable id after it.
//   choices mode (sched_explore): choice d picks thread choices[d]; past the
//     given choices, the default rule above (no preemption).
// Every choice is logged (Decision) when the caller gives a log, so the
// explorer can branch on it. Same schedule, same choices, same run.
//
// The trace: a ring of the last kTraceRing schedule points and harness notes
// (which thread, which box and step, which object). A FAILFAST line in the
// schedule build is followed by it; the harness prints it after its own
// failure lines too (dump_trace).
#pragma once
#include <cstddef>
#include <cstdint>

#include "hz3/sched_point.h"

#if !HZ3_SCHED
#error "hz3/sched.h is the schedule build's controller (HZ3_SCHED=1)"
#endif

namespace hz3::sched {

inline constexpr int kMaxThreads = 8;
inline constexpr int kTraceRing = 256;

struct Decision {
  uint8_t enabled = 0;  // bit i: thread i could run
  uint8_t chosen = 0;
  int8_t current = -1;  // the thread that reached the point (-1: the run's first choice)
  uint8_t runnable_current = 0;  // 1 when `current` could have gone on (a switch is a preemption)
  uint32_t point = 0;   // index of the schedule point in the run
};

struct RunConfig {
  int nthreads = 2;
  const uint8_t* bytes = nullptr;  // bytes mode
  size_t nbytes = 0;
  bool choices_mode = false;
  const uint8_t* choices = nullptr;  // choices mode
  size_t nchoices = 0;
  Decision* log = nullptr;  // optional decision log
  size_t log_cap = 0;
  uint64_t max_points = uint64_t{1} << 22;  // a run longer than this is a FAILFAST sched_point_limit
};

struct RunResult {
  uint64_t points = 0;       // schedule points passed
  uint64_t switches = 0;     // baton hand-overs
  size_t decisions = 0;      // choices with two or more runnable threads
  size_t bytes_used = 0;     // bytes mode
  bool log_overflow = false;     // more decisions than log_cap
  bool choice_mismatch = false;  // a given choice named a thread that could not run
};

void begin(const RunConfig& cfg);
void thread_enter(int id);
void thread_leave();
RunResult wait_end();

// A schedule point at which the caller steps aside: another runnable thread
// is chosen when there is one (a harness thread waiting for the others).
void yield(const char* where, const char* what);
// A harness event in the trace (an op, with its object and size).
void note(const char* where, const char* what, const void* addr, uint64_t n);
// Prints the trace ring on stderr, oldest first (no allocation).
void dump_trace();
// True on a thread the scheduler is running.
bool on_scheduled_thread();

// Puts the allocator back to its state at process start, so that the next
// run gets the same shards and the same addresses in any process. Only with
// no thread attached (every one detached) and no large object live: anything
// else is a FAILFAST sched_reset_not_quiescent line. Free objects are dropped
// with their segments. Kept across a reset: the recycled thread caches and
// the metadata arena, so a thread's first attach after a reset takes a
// recycled cache (registry lock only) where a fresh process's first attach
// allocates one (metadata lock too): a harness that wants the same schedule
// points in both warms up by attaching and detaching each of its threads once
// before its first run (sched_fuzz does). The trace prints hz3's globals
// (locks, boxes) by address: link the harness without PIE for those to repeat.
void heap_reset();

}  // namespace hz3::sched
