// The cooperative scheduler of the schedule build (see sched.h).
//
// One baton: a thread runs only between receiving it (sem_wait on its own
// semaphore) and passing it on (sem_post on the next thread's). Every field
// below is touched only by the baton holder, or by the controlling thread
// before the first hand-over and after the last, so semaphores order all of
// it. No allocation: fixed arrays and write(2).
#include <errno.h>
#include <sched.h>
#include <semaphore.h>

#include <atomic>

#include <new>

#include "hz3/failfast.h"
#include "hz3/large.h"
#include "hz3/platform.h"
#include "hz3/sched.h"
#include "hz3/segment.h"
#include "hz3/shard.h"
#include "hz3/thread_cache.h"

namespace hz3::sched {
namespace {

enum class State : uint8_t { kIdle, kRunnable, kBlocked, kDone };

struct Thread {
  sem_t sem{};
  State state = State::kIdle;
  const void* blocked_on = nullptr;
};

struct TraceEntry {
  uint64_t point = 0;
  const char* where = nullptr;
  const char* what = nullptr;
  const void* addr = nullptr;
  uint64_t n = 0;
  int8_t thread = -1;
};

struct Ctl {
  bool sems_ready = false;
  RunConfig cfg;
  Thread t[kMaxThreads];
  int current = -1;
  size_t pos = 0;        // next schedule byte (bytes mode)
  uint32_t run_left = 0;  // points the current thread still runs before the next byte
  uint64_t points = 0;
  uint64_t switches = 0;
  size_t decisions = 0;
  bool log_overflow = false;
  bool mismatch = false;
  int live = 0;
  sem_t end_sem{};
  std::atomic<int> entered{0};
  TraceEntry ring[kTraceRing];
  uint64_t ring_n = 0;
};

constinit Ctl g;
HZ3_TLS int t_id = -1;

void trace(int id, const char* where, const char* what, const void* addr, uint64_t n) {
  g.ring[g.ring_n % kTraceRing] = TraceEntry{g.points, where, what, addr, n, static_cast<int8_t>(id)};
  ++g.ring_n;
}

void wait_sem(sem_t* s) {
  while (sem_wait(s) != 0 && errno == EINTR) {
  }
}

[[noreturn]] void sched_fail(const char* check, const void* addr, const LineBuf& detail) {
  failfast(check, "sched", kNoShardField, kNoScField, addr, detail);
}

uint8_t runnable_mask() {
  uint8_t m = 0;
  for (int i = 0; i < g.cfg.nthreads; ++i)
    if (g.t[i].state == State::kRunnable) m |= static_cast<uint8_t>(1u << i);
  return m;
}

// The first runnable id at or after `from`, cyclically.
int first_at_or_after(uint8_t mask, int from) {
  int n = g.cfg.nthreads;
  for (int k = 0; k < n; ++k) {
    int i = (from + k) % n;
    if (mask & (1u << i)) return i;
  }
  return -1;
}

// The default rule: the current thread goes on when it can, else the next
// runnable id after it.
int default_choice(uint8_t mask, int cur) {
  if (cur >= 0 && (mask & (1u << cur))) return cur;
  return first_at_or_after(mask, cur < 0 ? 0 : cur + 1);
}

// Who runs after a point reached by `cur` (-1: the first choice of the run).
// A yielding thread is not a candidate while another thread can run.
int choose(int cur, bool yielding = false) {
  uint8_t mask = runnable_mask();
  if (yielding && cur >= 0 && (mask & ~(1u << cur))) mask = static_cast<uint8_t>(mask & ~(1u << cur));
  if (!mask) return -1;
  if ((mask & (mask - 1)) == 0) return first_at_or_after(mask, 0);  // one candidate: no choice
  bool cur_ok = cur >= 0 && (mask & (1u << cur));
  int pick;
  if (g.cfg.choices_mode) {
    pick = default_choice(mask, cur);
    if (g.decisions < g.cfg.nchoices) {
      int want = g.cfg.choices[g.decisions];
      if (want < g.cfg.nthreads && (mask & (1u << want)))
        pick = want;
      else
        g.mismatch = true;
    }
  } else if (cur_ok && g.run_left > 0) {
    --g.run_left;
    pick = cur;
  } else if (g.pos < g.cfg.nbytes) {
    uint8_t b = g.cfg.bytes[g.pos++];
    g.run_left = b >> 3;
    pick = first_at_or_after(mask, (b & 7) % g.cfg.nthreads);
  } else {
    pick = default_choice(mask, cur);
  }
  if (g.cfg.log) {
    if (g.decisions < g.cfg.log_cap) {
      Decision& d = g.cfg.log[g.decisions];
      d.enabled = mask;
      d.chosen = static_cast<uint8_t>(pick);
      d.current = static_cast<int8_t>(cur);
      d.runnable_current = cur_ok;
      d.point = static_cast<uint32_t>(g.points);
    } else {
      g.log_overflow = true;
    }
  }
  ++g.decisions;
  return pick;
}

// Hand the baton from `me` to `next` and wait for it to come back.
void switch_to(int me, int next) {
  if (next == me) return;
  ++g.switches;
  g.current = next;
  sem_post(&g.t[next].sem);
  wait_sem(&g.t[me].sem);
}

[[noreturn]] void deadlock(int me, const void* lock) {
  LineBuf d;
  d.str(" every live thread is blocked").kv("thread", static_cast<uint64_t>(me));
  for (int i = 0; i < g.cfg.nthreads; ++i)
    if (g.t[i].state == State::kBlocked) d.str(" t").dec(static_cast<uint64_t>(i)).kvp("on", g.t[i].blocked_on);
  sched_fail("sched_deadlock", lock, d);
}

}  // namespace

void point(const char* where, const char* what, const void* addr, uint64_t n) {
  int me = t_id;
  if (me < 0) return;
  ++g.points;
  trace(me, where, what, addr, n);
  if (g.cfg.max_points && g.points > g.cfg.max_points)
    sched_fail("sched_point_limit", addr, LineBuf().kv("points", g.points).str(" (a livelock, or raise max_points)"));
  switch_to(me, choose(me));
}

void yield(const char* where, const char* what) {
  int me = t_id;
  if (me < 0) return;
  ++g.points;
  trace(me, where, what, nullptr, 0);
  if (g.cfg.max_points && g.points > g.cfg.max_points)
    sched_fail("sched_point_limit", nullptr, LineBuf().kv("points", g.points).str(" (a livelock, or raise max_points)"));
  switch_to(me, choose(me, true));
}

void lock_blocked(const void* lock) {
  int me = t_id;
  if (me < 0) {
    // Not a scheduled thread: nothing else runs while it waits, so spin politely.
    ::sched_yield();
    return;
  }
  ++g.points;
  trace(me, "lock", "blocked", lock, 0);
  g.t[me].state = State::kBlocked;
  g.t[me].blocked_on = lock;
  int next = choose(me);
  if (next < 0) deadlock(me, lock);
  switch_to(me, next);
}

void lock_released(const void* lock) {
  if (t_id < 0) return;
  for (int i = 0; i < g.cfg.nthreads; ++i)
    if (g.t[i].state == State::kBlocked && g.t[i].blocked_on == lock) {
      g.t[i].state = State::kRunnable;
      g.t[i].blocked_on = nullptr;
    }
}

void begin(const RunConfig& cfg) {
  if (!g.sems_ready) {
    for (Thread& t : g.t) sem_init(&t.sem, 0, 0);
    sem_init(&g.end_sem, 0, 0);
    g.sems_ready = true;
  }
  if (cfg.nthreads < 1 || cfg.nthreads > kMaxThreads)
    sched_fail("sched_bad_config", nullptr, LineBuf().kv("nthreads", static_cast<uint64_t>(cfg.nthreads)));
  g.cfg = cfg;
  for (Thread& t : g.t) {
    t.state = State::kIdle;
    t.blocked_on = nullptr;
  }
  g.current = -1;
  g.pos = 0;
  g.run_left = 0;
  g.points = 0;
  g.switches = 0;
  g.decisions = 0;
  g.log_overflow = false;
  g.mismatch = false;
  g.live = cfg.nthreads;
  g.ring_n = 0;
  g.entered.store(0, std::memory_order_relaxed);
}

void thread_enter(int id) {
  t_id = id;
  g.t[id].state = State::kRunnable;  // read by the controller after every thread entered
  g.entered.fetch_add(1, std::memory_order_release);
  wait_sem(&g.t[id].sem);
}

void thread_leave() {
  int me = t_id;
  ++g.points;
  trace(me, "thread", "leave", nullptr, 0);
  t_id = -1;
  g.t[me].state = State::kDone;
  if (--g.live == 0) {
    sem_post(&g.end_sem);
    return;
  }
  int next = choose(me);
  if (next < 0) deadlock(me, nullptr);
  ++g.switches;
  g.current = next;
  sem_post(&g.t[next].sem);
}

RunResult wait_end() {
  while (g.entered.load(std::memory_order_acquire) < g.cfg.nthreads) ::sched_yield();
  int first = choose(-1);
  g.current = first;
  sem_post(&g.t[first].sem);
  wait_sem(&g.end_sem);
  RunResult r;
  r.points = g.points;
  r.switches = g.switches;
  r.decisions = g.decisions;
  r.bytes_used = g.pos;
  r.log_overflow = g.log_overflow;
  r.choice_mismatch = g.mismatch;
  return r;
}

void note(const char* where, const char* what, const void* addr, uint64_t n) {
  if (t_id < 0) return;
  trace(t_id, where, what, addr, n);
}

bool on_scheduled_thread() { return t_id >= 0; }

void dump_trace() {
  uint64_t total = g.ring_n;
  if (!total) return;
  uint64_t shown = total < kTraceRing ? total : kTraceRing;
  LineBuf head;
  head.str("hz3-sched: trace, last ").dec(shown).str(" of ").dec(total)
      .str(" events, oldest first (tN = scheduled thread N)").kv("points", g.points)
      .kv("switches", g.switches).kv("decisions", g.decisions).kv("schedule_bytes_used", g.pos)
      .str("\n");
  head.write_stderr();
  for (uint64_t i = total - shown; i < total; ++i) {
    const TraceEntry& e = g.ring[i % kTraceRing];
    LineBuf l;
    l.str("hz3-sched:   #").dec(e.point).str(" t").sdec(e.thread).str(" ").str(e.where).str(" ")
        .str(e.what);
    if (e.addr) l.kvp("at", e.addr);
    if (e.n) l.kv("n", e.n);
    l.str("\n");
    l.write_stderr();
  }
}

void heap_reset() {
  size_t attached = 0;
  registry_for_each([](ThreadCache*, void* arg) { ++*static_cast<size_t*>(arg); }, &attached);
  size_t large = large_count();
  if (attached || large)
    sched_fail("sched_reset_not_quiescent", nullptr,
               LineBuf().kv("attached_threads", attached).kv("large_live", large));
  segments_reset();
  shards_reset();
  os_region_reset();
}

}  // namespace hz3::sched
