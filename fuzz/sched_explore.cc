// sched_explore: bounded exhaustive exploration of the schedule points.
//
// For small scenarios (2 or 3 threads, a few operations each) this program
// runs every interleaving of the schedule points (sched_point.h) that the
// cooperative scheduler (sched.h, choices mode) can produce, by stateless
// depth-first search over the decision log:
//
//   run once with no forced choice (the default rule: the current thread goes
//   on); then repeatedly take the deepest decision that still has an untried
//   runnable thread, and rerun with the choices up to it forced (replayed
//   exactly: the enabled sets must come out the same) plus that new choice.
//
// Every run starts from a fresh state: box scenarios construct fresh box
// objects over a fresh static node pool; allocator scenarios call
// sched::heap_reset() first. Every run ends with the scenario's oracle: box
// scenarios check conservation (every node pushed is popped exactly once or is
// still in the box, counts exact, walk_quiescent and pending() agree), with
// the boxes' own fail-fast checks (consumer token, push invariants, slot
// array) live inside; allocator scenarios end with
// hz3_debug_heap_check_or_die.
//
// Reductions:
//   --preemptions K  only schedules with at most K preemptions (a switch away
//                    from a thread that could have gone on). Past the forced
//                    prefix every run follows the default rule, which never
//                    preempts, so the search is complete for "<= K".
//   sleep sets       (box scenarios, unbounded runs only; --por none turns
//                    them off). See "Why the sleep sets are sound" below.
//
// A failure prints the FAILFAST or ORACLE line, the trace, and
//   hz3-explore: FAILED scenario=<name> run=<k> ...
//   hz3-explore: REPRO sched_explore --replay <name> <c0,c1,...>
// which reruns exactly that schedule.
//
// Harness workaround (no change to src/hz3): the scheduler's Decision log does
// not say where each paused thread stands, and choices can only be given up
// front. The sleep sets need both, so this program is linked with
// -Wl,--wrap for hz3::sched::point, lock_blocked and lock_released: the
// wrappers record each thread's pending step (where, what, address) and keep
// a mirror of the scheduler's thread states, so the explorer knows before each
// decision which threads can run, and writes its choice into the choices
// array (nchoices = capacity) just before the scheduler reads it. After every
// run the mirror is checked against the scheduler's own log (same number of
// decisions, same enabled sets, same picks, no mismatch): a difference is a
// harness error, never silently ignored.
//
// ---- Why the sleep sets are sound -------------------------------------------
// The scheduler runs one thread at a time and switches only at schedule
// points and locks, so a run is a sequence of steps: a step of thread t is
// what t executes from one pause (a schedule point, a blocked lock, its start)
// to the next (or its leave). Steps are deterministic functions of the shared
// state. Two steps of different threads commute (either order gives the same
// state and neither enables or disables the other) when their footprints,
// the shared locations they read and write, do not conflict (no common
// location written by either). Sleep sets (Godefroid) then explore at least
// one interleaving of every class of interleavings that differ only by
// swapping adjacent commuting steps; each thread sees the same values in
// every member of a class, so a check that fails in one member fails in the
// explored one, and the final state (the oracle's input) is the same.
//
// The footprint of a step is derived from the label of the point it starts
// at, for the box scenarios only, from the box code (mpsc_lockfree.h,
// mpsc_mutex.h, mutex.h) and this harness:
//   - LockFreeMpscList: the only location shared between the producers and
//     the consumer is head_ (one atomic word). "push.load" reads it, "push.cas"
//     and "pop.exchange" write it (a failed CAS only reads, counted as a
//     write: conservative), "pop.peek" and "box pending" read it. Everything
//     else a step touches is owned by one thread at that moment: a producer's
//     batch nodes until its CAS publishes them (it touches none after:
//     "push.published" only carries the pointer), the consumer's priv_, token
//     and every node it drained (nobody else can reach them after the
//     exchange). So "push.published", "pop.enter", "pop.drained", "pop.leave"
//     are local. A thief's steal (xfer_steal.h) touches head_ and the nodes
//     it took: "steal.peek" starts the step that loads and exchanges head_
//     (a write), "steal.taken" is local. This needs a single popping consumer per box, which every box
//     scenario that uses sleep sets has (and the consumer token would fail
//     fast otherwise). The central_excl scenarios (two consumers serialized
//     by a mutex) do not use them: there a consumer's "pop.leave" step runs
//     on into the unlock.
//   - MutexList / MutexSlots: a "lock acquire" or "lock blocked" step takes the
//     mutex and runs the whole critical section to the unlock (there is no
//     point inside), so it writes the box (all its fields and the nodes in it,
//     which are only touched under that mutex); "box pending" reads the box
//     (n_/used_, written under the mutex); "lock released" is local.
//   - the harness between operations touches only the thread's own nodes and
//     its own records (per-thread arrays, per-node counters of nodes it owns);
//     the controller reads them only after the run.
// A location is identified by the box object containing the announced
// address (every field of a box, head_, the mutex, the slots, is inside its
// object). Any label not listed is treated as writing everything (dependent
// with every step). Allocator scenarios do not use sleep sets (their steps
// touch bins, stashes, segments, shards: no footprint is claimed).
//
// Online choice: past the forced prefix the explorer picks the default thread
// unless it is asleep, then the next runnable thread that is not. When every
// runnable thread is asleep the run is "sleep-blocked": every continuation is
// equivalent to an explored one, the threads skip their remaining operations,
// and the run is counted apart (no oracle: its final state is incomplete).
// Preemption bounds and sleep sets are not combined (the combination is not
// complete for the bound), so --preemptions turns sleep sets off.
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/mpsc.h"
#include "hz3/mpsc_lockfree.h"
#include "hz3/mpsc_mutex.h"
#include "hz3/mutex.h"
#include "hz3/sched.h"

namespace sched = hz3::sched;

// Weak: a schedule build without sanitizers links too (then no death callback).
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// ---- the wrapped scheduler entry points ---------------------------------------
extern "C" {
void __real__ZN3hz35sched5pointEPKcS2_PKvm(const char* where, const char* what, const void* addr, uint64_t n);
void __real__ZN3hz35sched12lock_blockedEPKv(const void* lock);
void __real__ZN3hz35sched13lock_releasedEPKv(const void* lock);
}

namespace {

constexpr int kMaxThreads = 3;
constexpr size_t kChoiceCap = size_t{1} << 14;

// ---- output helpers (async-signal-safe where needed) --------------------------
void out_raw(const char* s, size_t n) {
  while (n) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}
void out_str(const char* s) { out_raw(s, strlen(s)); }
void out_dec(uint64_t v) {
  char b[24];
  int i = 23;
  b[i] = 0;
  do {
    b[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  out_str(b + i);
}

// ---- labels and footprints ---------------------------------------------------
struct Label {
  const char* where = "thread";
  const char* what = "start";
  const void* addr = nullptr;
};

// Boxes of the current box scenario: [begin, end) per box, for footprints.
struct Region {
  const void* begin;
  const void* end;
};
Region g_regions[4];
int g_nregions = 0;

int region_of(const void* a) {
  for (int i = 0; i < g_nregions; ++i)
    if (a >= g_regions[i].begin && a < g_regions[i].end) return i;
  return -1;
}

// A step's footprint: none (local), a read or a write of one box, or everything.
struct Footprint {
  enum Kind : uint8_t { kLocal, kRead, kWrite, kAll } kind = kAll;
  int loc = -1;
};

bool is(const char* a, const char* b) { return strcmp(a, b) == 0; }

Footprint footprint(const Label& l) {
  Footprint f;
  if (is(l.where, "thread")) return Footprint{Footprint::kLocal, -1};  // start / leave
  if (is(l.where, "xfer") || is(l.where, "central")) {
    if (is(l.what, "push.published") || is(l.what, "pop.enter") || is(l.what, "pop.drained") ||
        is(l.what, "pop.leave") || is(l.what, "steal.taken"))
      return Footprint{Footprint::kLocal, -1};
    int r = region_of(l.addr);
    if (r < 0) return f;
    if (is(l.what, "push.load") || is(l.what, "pop.peek")) return Footprint{Footprint::kRead, r};
    if (is(l.what, "push.cas") || is(l.what, "pop.exchange") || is(l.what, "steal.peek"))
      return Footprint{Footprint::kWrite, r};
    return f;
  }
  if (is(l.where, "box") && is(l.what, "pending")) {
    int r = region_of(l.addr);
    return r < 0 ? f : Footprint{Footprint::kRead, r};
  }
  if (is(l.where, "lock")) {
    if (is(l.what, "released")) return Footprint{Footprint::kLocal, -1};
    int r = region_of(l.addr);
    if (r >= 0 && (is(l.what, "acquire") || is(l.what, "blocked"))) return Footprint{Footprint::kWrite, r};
    return f;
  }
  return f;
}

bool independent(const Label& a, const Label& b) {
  Footprint x = footprint(a), y = footprint(b);
  if (x.kind == Footprint::kLocal || y.kind == Footprint::kLocal) return true;
  if (x.kind == Footprint::kAll || y.kind == Footprint::kAll) return false;
  if (x.loc != y.loc) return true;
  return x.kind == Footprint::kRead && y.kind == Footprint::kRead;
}

// ---- the search state ----------------------------------------------------------
struct Frame {
  uint8_t enabled = 0;
  uint8_t chosen = 0;
  int8_t current = -1;
  bool cur_ok = false;     // current could have gone on: switching away is a preemption
  uint8_t sleep = 0;       // asleep at this node
  uint8_t done = 0;        // choices explored (or being explored) here
  uint32_t preempt_before = 0;
};

enum class TState : uint8_t { kRun, kBlocked, kDone };

struct Explorer {
  // search
  std::vector<Frame> frames;
  size_t forced_len = 0;
  bool por = false;
  bool record_frames = true;  // false in replay mode
  // current run (touched only by the baton holder or the controller)
  bool active = false;
  int nthreads = 0;
  uint8_t choices[kChoiceCap] = {};
  uint8_t masks[kChoiceCap] = {};
  sched::Decision log[kChoiceCap];
  size_t ndec = 0;
  uint32_t preempts = 0;
  uint8_t sleep = 0;
  bool sleep_blocked = false;
  bool harness_error = false;
  char harness_msg[200] = {};
  Label pending[kMaxThreads];
  TState st[kMaxThreads] = {};
  const void* blocked_on[kMaxThreads] = {};
  // reporting
  const char* scenario = "";
  uint64_t run_index = 0;
  bool replaying = false;
};

Explorer g_x;
thread_local int t_me = -1;

__attribute__((format(printf, 1, 2))) void harness_error(const char* fmt, ...) {
  if (!g_x.harness_error) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_x.harness_msg, sizeof g_x.harness_msg, fmt, ap);
    va_end(ap);
  }
  g_x.harness_error = true;
}

uint8_t bit(int t) { return static_cast<uint8_t>(1u << t); }

uint8_t runnable_mask() {
  uint8_t m = 0;
  for (int i = 0; i < g_x.nthreads; ++i)
    if (g_x.st[i] == TState::kRun) m |= bit(i);
  return m;
}

int first_at_or_after(uint8_t mask, int from) {
  for (int k = 0; k < g_x.nthreads; ++k) {
    int i = (from + k) % g_x.nthreads;
    if (mask & bit(i)) return i;
  }
  return -1;
}

// The scheduler's default rule (sched.cc default_choice).
int default_choice(uint8_t mask, int cur) {
  if (cur >= 0 && (mask & bit(cur))) return cur;
  return first_at_or_after(mask, cur < 0 ? 0 : cur + 1);
}

// Keep only the sleepers whose pending step commutes with `l`'s step.
uint8_t filter_sleep(uint8_t s, const Label& l) {
  uint8_t out = 0;
  for (int q = 0; q < g_x.nthreads; ++q)
    if ((s & bit(q)) && independent(g_x.pending[q], l)) out |= bit(q);
  return out;
}

// A decision: two or more threads can run after an event of `me`.
void decide(int me, uint8_t mask) {
  Explorer& x = g_x;
  size_t d = x.ndec++;
  if (d >= kChoiceCap) {
    harness_error("more decisions than the choice buffer holds");
    return;
  }
  bool cur_ok = me >= 0 && (mask & bit(me));
  uint8_t node_sleep = static_cast<uint8_t>(x.sleep & mask);
  int pick;
  uint8_t done_before = 0;
  if (d < x.forced_len) {
    pick = x.choices[d];
    if (pick >= x.nthreads || !(mask & bit(pick))) {
      harness_error("forced choice %d at decision %zu names a thread that cannot run (enabled %#x)", pick, d,
                    mask);
      pick = default_choice(mask, me);
    }
    if (x.record_frames && d < x.frames.size()) {
      const Frame& f = x.frames[d];
      if (f.enabled != mask || f.sleep != node_sleep || f.chosen != pick)
        harness_error("replayed prefix diverged at decision %zu: enabled %#x sleep %#x pick %d, recorded %#x %#x %d",
                      d, mask, node_sleep, pick, f.enabled, f.sleep, f.chosen);
      done_before = static_cast<uint8_t>(f.done & ~bit(pick));
    }
  } else {
    pick = default_choice(mask, me);
    if (x.por && !x.sleep_blocked && (node_sleep & bit(pick))) {
      uint8_t awake = static_cast<uint8_t>(mask & ~node_sleep);
      if (awake) pick = first_at_or_after(awake, me < 0 ? 0 : me + 1);
      else x.sleep_blocked = true;
    }
    x.choices[d] = static_cast<uint8_t>(pick);
    if (x.record_frames && !x.sleep_blocked) {
      Frame f;
      f.enabled = mask;
      f.chosen = static_cast<uint8_t>(pick);
      f.current = static_cast<int8_t>(me);
      f.cur_ok = cur_ok;
      f.sleep = node_sleep;
      f.done = bit(pick);
      f.preempt_before = x.preempts;
      x.frames.push_back(f);
    }
  }
  x.masks[d] = mask;
  if (cur_ok && pick != me) ++x.preempts;
  if (x.por) x.sleep = filter_sleep(static_cast<uint8_t>((x.sleep | done_before) & ~bit(pick)), x.pending[pick]);
}

enum class Ev { kPoint, kBlocked, kLeave };

// Which schedule points the exploration reached (--coverage): (where, what)
// pairs with a count.
struct Reached {
  const char* where;
  const char* what;
  uint64_t n;
};
Reached g_reached[128];
int g_nreached = 0;
void reach(const Label& l) {
  for (int i = 0; i < g_nreached; ++i)
    if (is(g_reached[i].where, l.where) && is(g_reached[i].what, l.what)) {
      ++g_reached[i].n;
      return;
    }
  if (g_nreached < 128) g_reached[g_nreached++] = Reached{l.where, l.what, 1};
}

// Thread `me` ends a step at `l`.
void on_event(int me, Ev ev, const Label& l) {
  Explorer& x = g_x;
  if (!x.active || me < 0) return;
  reach(l);
  if (x.por) x.sleep = filter_sleep(x.sleep, x.pending[me]);  // the step `me` just ran
  x.pending[me] = l;
  if (ev == Ev::kBlocked) x.st[me] = TState::kBlocked;
  if (ev == Ev::kLeave) x.st[me] = TState::kDone;
  if (ev == Ev::kBlocked) x.blocked_on[me] = l.addr;
  uint8_t mask = runnable_mask();
  if (mask && (mask & (mask - 1))) {
    decide(me, mask);
  } else if (mask && x.por && (x.sleep & mask)) {
    x.sleep_blocked = true;  // the only runnable thread is asleep
  }
}

void thread_start(int me) {
  t_me = me;
  sched::thread_enter(me);
}

void thread_finish(int me) {
  on_event(me, Ev::kLeave, Label{"thread", "leave", nullptr});
  t_me = -1;
  sched::thread_leave();
}

// Should the calling thread skip its remaining operations?
bool abandon() { return g_x.sleep_blocked; }

}  // namespace

extern "C" {
void __wrap__ZN3hz35sched5pointEPKcS2_PKvm(const char* where, const char* what, const void* addr, uint64_t n) {
  on_event(t_me, Ev::kPoint, Label{where, what, addr});
  __real__ZN3hz35sched5pointEPKcS2_PKvm(where, what, addr, n);
}
void __wrap__ZN3hz35sched12lock_blockedEPKv(const void* lock) {
  on_event(t_me, Ev::kBlocked, Label{"lock", "blocked", lock});
  __real__ZN3hz35sched12lock_blockedEPKv(lock);
}
void __wrap__ZN3hz35sched13lock_releasedEPKv(const void* lock) {
  if (g_x.active && t_me >= 0)
    for (int i = 0; i < g_x.nthreads; ++i)
      if (g_x.st[i] == TState::kBlocked && g_x.blocked_on[i] == lock) {
        g_x.st[i] = TState::kRun;
        g_x.blocked_on[i] = nullptr;
      }
  __real__ZN3hz35sched13lock_releasedEPKv(lock);
}
}

namespace {

// ---- failure reporting ----------------------------------------------------------
void print_repro() {
  const Explorer& x = g_x;
  out_str("hz3-explore: FAILED scenario=");
  out_str(x.scenario);
  out_str(" run=");
  out_dec(x.run_index);
  out_str(" decisions=");
  out_dec(x.ndec);
  out_str(x.replaying ? " (replay)\n" : "\n");
  out_str("hz3-explore: REPRO sched_explore --replay ");
  out_str(x.scenario);
  out_str(" ");
  size_t n = x.ndec < kChoiceCap ? x.ndec : kChoiceCap;
  if (n == 0) out_str("-");
  for (size_t i = 0; i < n; ++i) {
    char c[3] = {static_cast<char>('0' + x.choices[i]), ',', 0};
    if (i + 1 == n) c[1] = 0;
    out_str(c);
  }
  out_str("\n");
}

std::atomic<int> g_reported{0};
void report_once() {
  if (g_reported.exchange(1) == 0 && g_x.active) print_repro();
}
void on_abort(int) {
  report_once();
  signal(SIGABRT, SIG_DFL);
  raise(SIGABRT);
}
void on_sanitizer_death() { report_once(); }

[[noreturn]] __attribute__((format(printf, 1, 2))) void oracle(const char* fmt, ...) {
  char buf[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "hz3-explore: ORACLE scenario=%s %s\n", g_x.scenario, buf);
  fflush(stderr);
  sched::dump_trace();
  abort();
}

// ---- box scenarios -----------------------------------------------------------
uint64_t g_outcome = 0;  // set by a box scenario's check: a hash of the run's observable result
// The oracle self-check: the harness "forgets" the last node of a limited pop
// that handed over more than it wanted (only some interleavings do that), so
// the conservation oracle must fail, and only the explorer can get there.
bool g_inject_lost_node = false;

struct alignas(16) Node {
  void* next;  // the box's link word: first, as in a free hz3 object
  uint32_t id;
  uint32_t state;
  uint32_t pushes;  // written by the node's owner of the moment
  uint32_t pops;
};
enum : uint32_t { kFresh = 0x0E0E0001, kInBox = 0x0E0E0002, kHeld = 0x0E0E0003 };
constexpr uint32_t kNodesPerThread = 16;
constexpr uint32_t kPool = kNodesPerThread * kMaxThreads;
constexpr uint32_t kDrainAll = 1u << 20;
Node g_pool[kPool];
// Serializes the consumers of the two-consumer scenarios (OwnerExcl's role).
// Outside every box region, so its lock steps conflict with everything; and
// those scenarios take no sleep sets anyway: a consumer's "pop.leave" step
// runs on into the unlock, which the footprint table calls local.
constinit hz3::Mutex g_excl;

// kPopExcl: the pop under g_excl, a stand-in for the shard's OwnerExcl when
// two consumers share a box (their pops serialized, as under a collision).
// kRepushOldest: re-push the objects the thread has held longest (kRepush:
// the newest), so a node can come back on top of a different next.
// kSteal: a box's take-all by a thread that is not the consumer (xfer_steal.h).
enum class OpK : uint8_t { kPush, kPop, kRepush, kPopExcl, kRepushOldest, kSteal };
struct BoxOp {
  OpK k;
  uint32_t a;  // push/repush: objects; pop: want; steal: the minimum
  uint32_t b;  // pop: limit (== want: the exact pop); steal: the maximum (0: none)
};

struct ThreadRec {
  uint32_t next_fresh = 0;
  std::vector<Node*> held;
  std::vector<uint32_t> poplog;  // ids popped, one 0xffffffff after each pop
  uint64_t pushed = 0, popped = 0;
};
ThreadRec g_rec[kMaxThreads];

using LockFree = hz3::LockFreeMpscList<hz3::LockFreeChecks{.consumer_token = true, .structure = true}>;
// The lock-free form with its consumer token off: only for central_mpmc,
// which misuses the box with two unserialized consumers on purpose.
using LockFreeNoToken = hz3::LockFreeMpscList<hz3::LockFreeChecks{.consumer_token = false, .structure = true}>;
using MList = hz3::MutexList<false>;
// The S42 xfer form with 2 slots instead of 8, so a few pushes reach the
// overflow into central.
using Slots2 = hz3::MutexSlots<hz3::SlotsChecks{.structure = true}, 2>;

constexpr hz3::BoxCtx kXferCtx{0, 0, "xfer"};
constexpr hz3::BoxCtx kCentralCtx{0, 0, "central"};

// Fresh box storage per run.
template <class T>
struct Fresh {
  alignas(T) unsigned char mem[sizeof(T)];
  T* make() {
    T* p = new (mem) T();
    g_regions[g_nregions++] = Region{mem, mem + sizeof(T)};
    return p;
  }
};

// A box family: what a producer pushes into and the consumer pops from.
struct XferLockFree {
  static constexpr const char* kName = "lockfree";
  Fresh<LockFree> s;
  LockFree* b = nullptr;
  void reset() { b = s.make(); }
  void push(void* h, void* t, uint32_t n) {
    if (!b->push(kXferCtx, h, t, n)) oracle("lockfree xfer refused a push");
  }
  // As shard_refill: xfer only when pending().
  hz3::Batch pop(uint32_t want, uint32_t limit) {
    hz3::Batch out;
    if (!b->pending()) return out;
    if (want == limit) b->pop(kXferCtx, want, out);
    else b->pop(kXferCtx, want, limit, out);
    return out;
  }
  hz3::Batch steal(uint32_t min, uint32_t) {  // take-all only
    hz3::Batch out;
    b->steal(kXferCtx, min, out);
    return out;
  }
  bool pending() const { return b->pending(); }
  void walk(hz3::NodeVisitor v, void* arg) const { b->walk_quiescent(v, arg); }
  uint32_t shared_count() const { return b->debug_shared_count(); }
};

struct XferMutex {
  static constexpr const char* kName = "mutex";
  Fresh<Slots2> s1;
  Fresh<MList> s2;
  Slots2* x = nullptr;
  MList* ov = nullptr;  // central, where a refused push overflows
  void reset() {
    x = s1.make();
    ov = s2.make();
  }
  void push(void* h, void* t, uint32_t n) {
    if (!x->push(kXferCtx, h, t, n) && !ov->push(kCentralCtx, h, t, n)) oracle("mutex central refused a push");
  }
  // As shard_refill: xfer when pending, then central when short.
  hz3::Batch pop(uint32_t want, uint32_t limit) {
    hz3::Batch out;
    const bool exact = want == limit;
    if (x->pending()) {
      if (exact) x->pop(kXferCtx, want, out);
      else x->pop(kXferCtx, want, limit, out);
    }
    if (out.n < want && ov->pending()) {
      hz3::Batch more;
      if (exact) {
        ov->pop(kCentralCtx, want - out.n, more);
        hz3::batch_append(out, more);
      } else {
        ov->pop(kCentralCtx, want - out.n, limit - out.n, more);
        hz3::batch_join(out, more);
      }
    }
    return out;
  }
  // The slots only: what overflowed into central is central's (not stealable).
  hz3::Batch steal(uint32_t min, uint32_t) {  // take-all only
    hz3::Batch out;
    x->steal(kXferCtx, min, out);
    return out;
  }
  bool pending() const { return x->pending() || ov->pending(); }
  void walk(hz3::NodeVisitor v, void* arg) const {
    x->walk_quiescent(v, arg);
    ov->walk_quiescent(v, arg);
  }
  uint32_t shared_count() const { return 0; }
};

// Central over a given box type: LockFree, MList, or LockFreeNoToken for
// central_mpmc, where two consumers pop at once, nothing serializes them and
// no token objects. Every pop's limit there exceeds what the box can hold, so
// the exchange-drain pop hands the whole list over and never touches priv_:
// correct even under that misuse. A pop that reads head->next before its CAS
// (the Treiber form the work order forbids) meets ABA there.
template <class Box>
struct CentralT {
  static constexpr const char* kName = Box::kFormName;  // "lockfree" / "mutex"
  Fresh<Box> s;
  Box* b = nullptr;
  void reset() { b = s.make(); }
  void push(void* h, void* t, uint32_t n) {
    if (!b->push(kCentralCtx, h, t, n)) oracle("%s central refused a push", kName);
  }
  hz3::Batch pop(uint32_t want, uint32_t limit) {
    hz3::Batch out;
    if (want == limit) b->pop(kCentralCtx, want, out);
    else b->pop(kCentralCtx, want, limit, out);
    return out;
  }
  // Another shard's take-all (central_steal, xfer_steal.h); `max` (0: none)
  // where the box can split, as the mutex list does for shared shards.
  hz3::Batch steal(uint32_t min, uint32_t max) {
    hz3::Batch out;
    if constexpr (requires { b->steal(kCentralCtx, min, out, max); }) {
      if (max) {
        b->steal(kCentralCtx, min, out, max);
        return out;
      }
    }
    b->steal(kCentralCtx, min, out);
    return out;
  }
  bool pending() const { return b->pending(); }
  void walk(hz3::NodeVisitor v, void* arg) const { b->walk_quiescent(v, arg); }
  uint32_t shared_count() const {
    if constexpr (requires { b->debug_shared_count(); }) return b->debug_shared_count();
    else return 0;  // the mutex form keeps no shared count
  }
};
using CentralLockFree = CentralT<LockFree>;
using CentralMpmcLockFree = CentralT<LockFreeNoToken>;
using CentralMutex = CentralT<MList>;

bool in_pool(const void* p) {
  auto a = reinterpret_cast<uintptr_t>(p), lo = reinterpret_cast<uintptr_t>(g_pool);
  return a >= lo && a < lo + sizeof g_pool && (a - lo) % sizeof(Node) == 0;
}

// Link nodes into a batch, mark them in the box and count the push (the
// caller owns them until the push publishes them).
hz3::Batch link(Node* const* v, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    v[i]->next = i + 1 < n ? v[i + 1] : nullptr;
    v[i]->state = kInBox;
    ++v[i]->pushes;
  }
  return hz3::Batch{v[0], v[n - 1], n};
}

// Validate a popped batch and take its nodes (consumer `me`).
void collect(int me, const hz3::Batch& b, uint32_t want, uint32_t limit) {
  const bool exact = want == limit;
  if (b.n > limit || (exact && b.n > want))
    oracle("pop want=%u limit=%u returned n=%u", want, limit, b.n);
  if ((b.n == 0) != (b.head == nullptr) || (b.n == 0 && b.tail) || (b.n && exact && !b.tail))
    oracle("pop want=%u limit=%u batch head=%p tail=%p n=%u", want, limit, b.head, b.tail, b.n);
  Node* x = static_cast<Node*>(b.head);
  Node* last = nullptr;
  for (uint32_t i = 0; i < b.n; ++i) {
    if (!x || !in_pool(x)) oracle("pop batch broken at %u of %u (node %p)", i, b.n, (void*)x);
    if (g_inject_lost_node && !exact && b.n > want && i + 1 == b.n) {
      last = x;  // injected harness bug: the node is dropped on the floor
      break;
    }
    if (x->state != kInBox)
      oracle("popped node id=%u in state %#x (popped twice, or never pushed)", x->id, x->state);
    x->state = kHeld;
    ++x->pops;
    g_rec[me].held.push_back(x);
    g_rec[me].poplog.push_back(x->id);
    last = x;
    x = static_cast<Node*>(x->next);
  }
  if (b.n && ((b.tail && last != b.tail) || last->next != nullptr))
    oracle("pop batch of n=%u: tail=%p, node n is %p, its next %p", b.n, b.tail, (void*)last, last->next);
  g_rec[me].poplog.push_back(0xffffffffu);
  sched::note("harness", "popped", b.head, b.n);
  g_rec[me].popped += b.n;
}

template <class Fam>
struct BoxScenario {
  static inline Fam fam;
  static inline const std::vector<BoxOp>* prog = nullptr;  // per thread

  static void setup(const std::vector<BoxOp>* p) {
    prog = p;
    g_nregions = 0;
    fam.reset();
    for (uint32_t i = 0; i < kPool; ++i) g_pool[i] = Node{nullptr, i, kFresh, 0, 0};
    for (ThreadRec& r : g_rec) {
      r.next_fresh = 0;
      r.held.clear();
      r.held.reserve(kPool);
      r.poplog.clear();
      r.poplog.reserve(256);
      r.pushed = r.popped = 0;
    }
  }

  static void body(int me) {
    ThreadRec& r = g_rec[me];
    for (const BoxOp& op : prog[me]) {
      if (abandon()) return;
      switch (op.k) {
        case OpK::kPush: {
          Node* v[kNodesPerThread];
          uint32_t n = 0;
          while (n < op.a && r.next_fresh < kNodesPerThread) v[n++] = &g_pool[me * kNodesPerThread + r.next_fresh++];
          if (!n) oracle("thread %d ran out of fresh nodes (harness)", me);
          hz3::Batch b = link(v, n);
          r.pushed += n;
          sched::note("harness", "push", b.head, n);
          fam.push(b.head, b.tail, n);
          break;
        }
        case OpK::kRepush: {
          uint32_t n = op.a < r.held.size() ? op.a : static_cast<uint32_t>(r.held.size());
          if (!n) break;
          Node* v[kPool];
          for (uint32_t i = 0; i < n; ++i) v[i] = r.held[r.held.size() - n + i];
          r.held.resize(r.held.size() - n);
          hz3::Batch b = link(v, n);
          r.pushed += n;
          sched::note("harness", "repush", b.head, n);
          fam.push(b.head, b.tail, n);
          break;
        }
        case OpK::kRepushOldest: {
          uint32_t n = op.a < r.held.size() ? op.a : static_cast<uint32_t>(r.held.size());
          if (!n) break;
          Node* v[kPool];
          for (uint32_t i = 0; i < n; ++i) v[i] = r.held[i];
          r.held.erase(r.held.begin(), r.held.begin() + n);
          hz3::Batch b = link(v, n);
          r.pushed += n;
          sched::note("harness", "repush", b.head, n);
          fam.push(b.head, b.tail, n);
          break;
        }
        case OpK::kPop: {
          hz3::Batch b = fam.pop(op.a, op.b);
          collect(me, b, op.a, op.b);
          break;
        }
        case OpK::kSteal: {
          if constexpr (requires { fam.steal(0u, 0u); }) {
            hz3::Batch b = fam.steal(op.a, op.b);
            if (op.b && b.n > op.b) oracle("steal max=%u returned n=%u", op.b, b.n);
            collect(me, b, 1, kDrainAll);  // a whole list (its tail may be unknown), or a prefix
          } else {
            oracle("steal on a box family that has none (harness)");
          }
          break;
        }
        case OpK::kPopExcl: {
          g_excl.lock();
          hz3::Batch b = fam.pop(op.a, op.b);
          g_excl.unlock();
          collect(me, b, op.a, op.b);
          break;
        }
      }
    }
  }

  struct Walk {
    uint32_t count = 0;
    std::vector<uint8_t> seen;
    uint64_t hash = 1469598103934665603ull;
  };
  static bool visit(void* p, void* arg) {
    Walk& w = *static_cast<Walk*>(arg);
    if (!in_pool(p)) oracle("walk met %p, not a pool node", p);
    Node* x = static_cast<Node*>(p);
    if (x->state != kInBox) oracle("walk met node id=%u in state %#x", x->id, x->state);
    if (w.seen[x->id]++) oracle("walk met node id=%u twice (cycle or duplicate)", x->id);
    w.hash = (w.hash ^ x->id) * 1099511628211ull;
    if (++w.count > kPool) oracle("walk longer than the pool");
    return true;
  }

  // Conservation after a complete run.
  static void check() {
    Walk w;
    w.seen.assign(kPool, 0);
    fam.walk(visit, &w);
    uint64_t pushed = 0, popped = 0;
    for (const ThreadRec& r : g_rec) {
      pushed += r.pushed;
      popped += r.popped;
    }
    for (uint32_t i = 0; i < kPool; ++i) {
      const Node& x = g_pool[i];
      uint32_t in = x.state == kInBox ? 1 : 0;
      if (x.state == kInBox && !w.seen[i]) oracle("node id=%u lost: pushed %u popped %u, not in the box", i, x.pushes, x.pops);
      if (x.pushes != x.pops + in) oracle("node id=%u pushed %u times, popped %u, in box %u", i, x.pushes, x.pops, in);
    }
    if (pushed != popped + w.count)
      oracle("conservation: pushed %llu popped %llu in box %u", (unsigned long long)pushed,
             (unsigned long long)popped, w.count);
    if (fam.pending() != (w.count != 0)) oracle("pending()=%d with %u objects in the box", fam.pending(), w.count);
    if (fam.shared_count() > w.count) oracle("shared count %u > %u objects walked", fam.shared_count(), w.count);
    // The outcome: what every pop returned, in order, and the box's contents
    // in walk order (compared with and without sleep sets: --por none).
    uint64_t h = w.hash;
    for (const ThreadRec& r : g_rec)
      for (uint32_t id : r.poplog) h = (h ^ id) * 1099511628211ull;
    g_outcome = h;
  }
};

// ---- allocator scenarios (the real hz3 API) ------------------------------------
constexpr size_t kObj = 4096;  // class batch 2, cap 4, stash flush at 4: refills come often

struct Mailbox {
  void* p[16];
  int n = 0;
};
Mailbox g_mail;

void handoff(void* p) {
  HZ3_SCHED_POINT("harness", "handoff", &g_mail);
  if (g_mail.n == 16) oracle("mailbox full (harness)");
  g_mail.p[g_mail.n++] = p;
}
// Take every mailed object and free it here (remote when another shard owns it).
void take_and_free(const char* what) {
  HZ3_SCHED_POINT("harness", what, &g_mail);
  while (g_mail.n) {
    void* p = g_mail.p[--g_mail.n];
    sched::note("harness", "free", p, kObj);
    hz3_free(p);
  }
}
void* xmalloc() {
  void* p = hz3_malloc(kObj);
  if (!p) oracle("hz3_malloc(%zu) returned null", kObj);
  sched::note("harness", "malloc", p, kObj);
  memset(p, 0x5a, 64);
  return p;
}

// Before any run: every thread of a run must find a recycled thread cache.
// A thread's first cache comes from meta_alloc, whose lock adds schedule
// points that later runs (recycled caches: heap_reset keeps the registry's
// recycled list) do not have, so the first run of a process would differ
// from a replay of the same choices. kMaxThreads plain (unscheduled) threads
// attach at the same time, then detach: kMaxThreads caches are recycled.
void warm_up_thread_caches() {
  std::atomic<int> attached{0};
  std::vector<std::thread> v;
  for (int i = 0; i < kMaxThreads; ++i)
    v.emplace_back([&] {
      void* p = hz3_malloc(kObj);
      attached.fetch_add(1);
      while (attached.load() < kMaxThreads) std::this_thread::yield();
      hz3_free(p);
      hz3_debug_thread_detach();
    });
  for (std::thread& t : v) t.join();
  sched::heap_reset();
}

void alloc_setup() {
  sched::heap_reset();
  g_mail.n = 0;
}
void alloc_check() {
  if (g_mail.n) oracle("%d objects left in the mailbox (harness)", g_mail.n);
  hz3_debug_heap_check_or_die(nullptr, 0);
}

// A allocates, hands two objects to B, allocates and frees more (refills);
// B frees what it got (remote: its stash) and detaches with the stash pending
// (the detach flushes it into A's xfer) while A goes on.
void remote_exit_body(int me) {
  if (me == 0) {
    void* a = xmalloc();
    void* b = xmalloc();
    handoff(a);
    handoff(b);
    void* c = xmalloc();  // the bin is empty again: refill (xfer, central or carve)
    hz3_free(c);
    void* d = xmalloc();
    void* e = xmalloc();
    hz3_free(d);
    hz3_free(e);
    take_and_free("take_leftovers");
    hz3_debug_thread_detach();
  } else {
    take_and_free("take");
    take_and_free("take");
    hz3_debug_thread_detach();
  }
}

// T0 and T1 share shard 3 (OwnerExcl serializes their refills); T0 hands two
// objects to T2, which frees them remotely and flushes its stash into shard
// 3's xfer; T1 flushes its bin into shard 3's central and allocates again.
constexpr unsigned kCollideShard = 3;
void collision_body(int me) {
  if (me == 0) {
    hz3_debug_bind_shard(kCollideShard);
    void* a = xmalloc();
    void* b = xmalloc();
    handoff(a);
    handoff(b);
    void* c = xmalloc();
    hz3_free(c);
    take_and_free("take_leftovers");
    hz3_debug_thread_detach();
  } else if (me == 1) {
    hz3_debug_bind_shard(kCollideShard);
    void* x = xmalloc();
    hz3_free(x);
    hz3_debug_flush_thread();
    void* y = xmalloc();
    hz3_free(y);
    hz3_debug_thread_detach();
  } else {
    take_and_free("take");
    hz3_debug_flush_thread();
    hz3_debug_thread_detach();
  }
}

// ---- the scheduler self-check (must fail) --------------------------------------
constinit hz3::Mutex g_ma;
constinit hz3::Mutex g_mb;
void deadlock_body(int me) {
  hz3::Mutex& first = me == 0 ? g_ma : g_mb;
  hz3::Mutex& second = me == 0 ? g_mb : g_ma;
  first.lock();
  second.lock();
  second.unlock();
  first.unlock();
}
void noop_setup() {}
void noop_check() {}

// ---- scenario table --------------------------------------------------------------
struct Scenario {
  std::string name;
  int nthreads;
  int ops;
  std::string desc;
  bool por_ok;        // sleep sets sound for it (box scenarios)
  int default_bound;  // -1: unbounded
  bool expect_fail;   // the self-check
  void (*setup)();
  void (*body)(int);
  void (*check)();
};

// Box programs (per thread). P: producer, C: consumer.
const std::vector<BoxOp> kXfer2[kMaxThreads] = {
    {{OpK::kPush, 2, 0}, {OpK::kPush, 1, 0}},
    {{OpK::kPop, 1, 1}, {OpK::kPop, 1, 8}, {OpK::kPop, kDrainAll, kDrainAll}},
    {}};
const std::vector<BoxOp> kXfer3[kMaxThreads] = {
    {{OpK::kPush, 2, 0}},
    {{OpK::kPush, 1, 0}, {OpK::kPush, 1, 0}},
    {{OpK::kPop, 1, 1}, {OpK::kPop, 1, 8}, {OpK::kPop, kDrainAll, kDrainAll}}};
// t2 steals (xfer_steal.h) while t1, the consumer, pops: whatever each takes,
// every node comes out once. The consumer's limited pop can keep a remainder
// in priv_, which the thief must never reach.
const std::vector<BoxOp> kXferSteal3[kMaxThreads] = {
    {{OpK::kPush, 2, 0}, {OpK::kPush, 1, 0}},
    {{OpK::kPop, 1, 1}, {OpK::kPop, kDrainAll, kDrainAll}},
    {{OpK::kSteal, 2, 0}, {OpK::kSteal, 1, 0}}};
// As kXferSteal3, the thief taking at most 2 nodes (a shared shard's
// central_steal on the mutex list): a prefix, the rest left for the consumer.
const std::vector<BoxOp> kCentralStealMax3[kMaxThreads] = {
    {{OpK::kPush, 2, 0}, {OpK::kPush, 2, 0}},
    {{OpK::kPop, 1, 1}, {OpK::kPop, kDrainAll, kDrainAll}},
    {{OpK::kSteal, 1, 2}, {OpK::kSteal, 1, 2}}};
const std::vector<BoxOp> kCentral2[kMaxThreads] = {
    {{OpK::kPush, 3, 0}, {OpK::kPush, 1, 0}},
    {{OpK::kPop, 1, 1}, {OpK::kRepush, 1, 0}, {OpK::kPop, 1, 2}, {OpK::kPop, kDrainAll, kDrainAll},
     {OpK::kRepush, 2, 0}},
    {}};
const std::vector<BoxOp> kCentral3[kMaxThreads] = {
    {{OpK::kPush, 3, 0}},
    {{OpK::kPush, 1, 0}},
    {{OpK::kPop, 1, 1}, {OpK::kRepush, 1, 0}, {OpK::kPop, kDrainAll, kDrainAll}}};
// Two consumers of one box, serialized by g_excl (collision under OwnerExcl):
// the consumer token must never see them overlap.
// t2 pops A and B, t0 pushes D, t2 re-pushes A: the head word is A with
// count 3 again, but A's next is D now; a pop that read B as A's next before
// all that and CASes now would hand out B, which t2 holds.
const std::vector<BoxOp> kCentralMpmc3[kMaxThreads] = {
    {{OpK::kPush, 3, 0}, {OpK::kPush, 1, 0}},
    {{OpK::kPop, 1, 64}},
    {{OpK::kPop, 1, 64}, {OpK::kPop, 1, 64}, {OpK::kRepushOldest, 1, 0}}};
const std::vector<BoxOp> kCentralExcl3[kMaxThreads] = {
    {{OpK::kPush, 2, 0}, {OpK::kPush, 1, 0}},
    {{OpK::kPopExcl, 1, 1}, {OpK::kRepush, 1, 0}, {OpK::kPopExcl, kDrainAll, kDrainAll}},
    {{OpK::kPopExcl, 1, 2}, {OpK::kPopExcl, kDrainAll, kDrainAll}}};

template <class Fam, const std::vector<BoxOp>* P>
void box_setup() {
  g_inject_lost_node = false;
  BoxScenario<Fam>::setup(P);
}
void lost_node_setup() {
  BoxScenario<XferLockFree>::setup(kXfer2);
  g_inject_lost_node = true;
}
template <class Fam>
void box_body(int me) {
  BoxScenario<Fam>::body(me);
}
template <class Fam>
void box_check() {
  BoxScenario<Fam>::check();
}

int count_ops(const std::vector<BoxOp>* p) {
  size_t n = 0;
  for (int i = 0; i < kMaxThreads; ++i) n += p[i].size();
  return static_cast<int>(n);
}

std::string describe(const std::vector<BoxOp>* p, int nthreads) {
  std::string s;
  for (int t = 0; t < nthreads; ++t) {
    s += (t ? " | t" : "t") + std::to_string(t) + ":";
    for (const BoxOp& op : p[t]) {
      char b[48];
      if (op.k == OpK::kPush) snprintf(b, sizeof b, " push%u", op.a);
      else if (op.k == OpK::kRepush) snprintf(b, sizeof b, " repush%u", op.a);
      else if (op.k == OpK::kRepushOldest) snprintf(b, sizeof b, " repush-oldest%u", op.a);
      else if (op.k == OpK::kSteal) snprintf(b, sizeof b, " steal>=%u", op.a);
      else if (op.k == OpK::kPopExcl && op.a == kDrainAll) snprintf(b, sizeof b, " excl-drain");
      else if (op.k == OpK::kPopExcl && op.a == op.b) snprintf(b, sizeof b, " excl-pop%u", op.a);
      else if (op.k == OpK::kPopExcl) snprintf(b, sizeof b, " excl-pop%u/lim%u", op.a, op.b);
      else if (op.a == kDrainAll) snprintf(b, sizeof b, " drain");
      else if (op.a == op.b) snprintf(b, sizeof b, " pop%u", op.a);
      else snprintf(b, sizeof b, " pop%u/lim%u", op.a, op.b);
      s += b;
    }
  }
  return s;
}

template <class Fam, const std::vector<BoxOp>* P>
Scenario box_scenario(const char* base, int nthreads, bool por_ok = true, int bound = -1) {
  return Scenario{std::string(base) + "." + Fam::kName + "." + std::to_string(nthreads) + "t",
                  nthreads,
                  count_ops(P),
                  describe(P, nthreads),
                  por_ok,
                  bound,
                  false,
                  box_setup<Fam, P>,
                  box_body<Fam>,
                  box_check<Fam>};
}

std::vector<Scenario> make_scenarios() {
  std::vector<Scenario> v;
  v.push_back(box_scenario<XferLockFree, kXfer2>("xfer", 2));
  v.push_back(box_scenario<XferMutex, kXfer2>("xfer", 2));
  v.push_back(box_scenario<XferLockFree, kXfer3>("xfer", 3));
  v.push_back(box_scenario<XferMutex, kXfer3>("xfer", 3));
  v.push_back(box_scenario<XferLockFree, kXferSteal3>("xfer_steal", 3));
  v.push_back(box_scenario<XferMutex, kXferSteal3>("xfer_steal", 3));
  // The lock-free central is the lock-free xfer's class: only the mutex
  // list's steal is new here.
  v.push_back(box_scenario<CentralMutex, kXferSteal3>("central_steal", 3));
  v.push_back(box_scenario<CentralMutex, kCentralStealMax3>("central_steal_max", 3));
  v.push_back(box_scenario<CentralLockFree, kCentral2>("central", 2));
  v.push_back(box_scenario<CentralMutex, kCentral2>("central", 2));
  v.push_back(box_scenario<CentralLockFree, kCentral3>("central", 3));
  v.push_back(box_scenario<CentralMutex, kCentral3>("central", 3));
  // No sleep sets (see the comment at the top), a preemption bound instead.
  v.push_back(box_scenario<CentralLockFree, kCentralExcl3>("central_excl", 3, false, 3));
  v.push_back(box_scenario<CentralMutex, kCentralExcl3>("central_excl", 3, false, 3));
  // Two unserialized consumers, no token: a misuse on purpose (see CentralMpmcLockFree).
  v.push_back(box_scenario<CentralMpmcLockFree, kCentralMpmc3>("central_mpmc", 3, false, 3));
  v.push_back(Scenario{"alloc.remote_exit.2t", 2, 15,
                       "t0: malloc a, malloc b, hand a, hand b, malloc c, free c, malloc d, malloc e, free d, "
                       "free e, take+free leftovers, detach | t1: take+free (remote), take+free, detach "
                       "(stash pending: the detach flushes it to t0's xfer)",
                       false, 4, false, alloc_setup, remote_exit_body, alloc_check});
  v.push_back(Scenario{"alloc.collision.3t", 3, 19,
                       "t0: bind 3, malloc a, malloc b, hand a, hand b, malloc c, free c, take+free leftovers, "
                       "detach | t1: bind 3, malloc x, free x, flush, malloc y, free y, detach | t2: take+free "
                       "(remote to shard 3), flush, detach",
                       false, 2, false, alloc_setup, collision_body, alloc_check});
  v.push_back(Scenario{"selfcheck.deadlock.2t", 2, 8,
                       "t0: lock A, lock B, unlock B, unlock A | t1: lock B, lock A, ... (must FAIL: sched_deadlock)",
                       false, -1, true, noop_setup, deadlock_body, noop_check});
  v.push_back(Scenario{"selfcheck.oracle.2t", 2, 5,
                       describe(kXfer2, 2) + " on xfer.lockfree, the harness losing the last node of a limited "
                       "pop that got more than it wanted (must FAIL: ORACLE ... lost)",
                       true, -1, true, lost_node_setup, box_body<XferLockFree>, box_check<XferLockFree>});
  return v;
}

// Only one thread of a run is ever runnable: each switch is a semaphore hand-off.
// Across CPUs every hand-off is a cross-CPU wake-up, which on these virtual
// machines costs several times a switch on one CPU (the whole exploration: 38 s
// unpinned, 14 s pinned, 2026-12-03). The pool threads inherit the controller's
// affinity, so pinning it before they start pins them all; the runs and their
// order do not depend on it.
void pin_to_one_cpu() {
  int cpu = sched_getcpu();
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) perror("sched_explore: sched_setaffinity (running unpinned)");
}

// ---- the worker pool -------------------------------------------------------------
struct Pool {
  std::thread th[kMaxThreads];
  sem_t go[kMaxThreads];
  void (*body)(int) = nullptr;
  bool quit = false;
  void start() {
    for (int i = 0; i < kMaxThreads; ++i) {
      sem_init(&go[i], 0, 0);
      th[i] = std::thread([this, i] {
        for (;;) {
          while (sem_wait(&go[i]) != 0) {
          }
          if (quit) return;
          thread_start(i);
          body(i);
          thread_finish(i);
        }
      });
    }
  }
  void stop() {
    quit = true;
    for (int i = 0; i < kMaxThreads; ++i) sem_post(&go[i]);
    for (std::thread& t : th) t.join();
  }
};
Pool g_pool_threads;

// One run of `s` with x.choices[0..forced_len) forced. Returns false when the
// run was sleep-blocked (no oracle).
bool run_once(const Scenario& s) {
  Explorer& x = g_x;
  s.setup();
  x.nthreads = s.nthreads;
  x.ndec = 0;
  x.preempts = 0;
  x.sleep = 0;
  x.sleep_blocked = false;
  for (int i = 0; i < kMaxThreads; ++i) {
    x.pending[i] = Label{};
    x.st[i] = i < s.nthreads ? TState::kRun : TState::kDone;
    x.blocked_on[i] = nullptr;
  }
  sched::RunConfig cfg;
  cfg.nthreads = s.nthreads;
  cfg.choices_mode = true;
  cfg.choices = x.choices;
  cfg.nchoices = kChoiceCap;
  cfg.log = x.log;
  cfg.log_cap = kChoiceCap;
  g_pool_threads.body = s.body;
  x.active = true;
  sched::begin(cfg);
  // The run's first choice (the scheduler's choose(-1) in wait_end).
  uint8_t all = static_cast<uint8_t>((1u << s.nthreads) - 1);
  if (s.nthreads >= 2) decide(-1, all);
  for (int i = 0; i < s.nthreads; ++i) sem_post(&g_pool_threads.go[i]);
  sched::RunResult r = sched::wait_end();
  // Cross-check the mirror with the scheduler's own log.
  if (r.choice_mismatch) harness_error("the scheduler reports a choice_mismatch");
  if (r.log_overflow) harness_error("decision log overflow");
  if (r.decisions != x.ndec) harness_error("the mirror counted a different number of decisions");
  for (size_t d = 0; d < r.decisions && d < x.ndec && d < kChoiceCap; ++d)
    if (x.log[d].enabled != x.masks[d] || x.log[d].chosen != x.choices[d]) {
      harness_error("the mirror's enabled set or pick differs from the scheduler's log");
      break;
    }
  if (x.harness_error) {
    fprintf(stderr, "hz3-explore: HARNESS ERROR scenario=%s run=%llu: %s\n", x.scenario,
            (unsigned long long)x.run_index, x.harness_msg);
    sched::dump_trace();
    print_repro();
    _exit(3);
  }
  bool complete = !x.sleep_blocked;
  g_outcome = 0;
  if (complete) s.check();
  x.active = false;
  return complete;
}

struct Stats {
  uint64_t runs = 0;
  uint64_t blocked = 0;
  size_t max_depth = 0;
  uint32_t max_preempt = 0;
  bool cut = false;
  double secs = 0;
  std::set<uint64_t> outcomes;
};

Stats explore(const Scenario& s, int bound, bool por, uint64_t max_runs) {
  Explorer& x = g_x;
  Stats st;
  x.scenario = s.name.c_str();
  x.run_index = 0;  // runs are numbered per scenario
  x.frames.clear();
  x.forced_len = 0;
  x.por = por;
  x.record_frames = true;
  x.replaying = false;
  auto t0 = std::chrono::steady_clock::now();
  auto last_progress = t0;
  for (;;) {
    ++x.run_index;
    bool complete = run_once(s);
    ++st.runs;
    if (!complete) ++st.blocked;
    else if (g_outcome) st.outcomes.insert(g_outcome);
    if (x.ndec > st.max_depth) st.max_depth = x.ndec;
    if (x.preempts > st.max_preempt) st.max_preempt = x.preempts;
    // Backtrack: the deepest frame with an untried, awake, within-bound choice.
    bool found = false;
    while (!x.frames.empty()) {
      Frame& f = x.frames.back();
      uint8_t cand = static_cast<uint8_t>(f.enabled & ~f.done & ~f.sleep);
      if (bound >= 0 && f.cur_ok && f.preempt_before + 1 > static_cast<uint32_t>(bound))
        cand &= bit(f.current);  // only the non-preemptive choice is left
      if (cand) {
        int c = first_at_or_after(cand, 0);
        f.done |= bit(c);
        f.chosen = static_cast<uint8_t>(c);
        found = true;
        break;
      }
      x.frames.pop_back();
    }
    if (!found) break;
    x.forced_len = x.frames.size();
    for (size_t d = 0; d < x.forced_len; ++d) x.choices[d] = x.frames[d].chosen;
    if (max_runs && st.runs >= max_runs) {
      st.cut = true;
      break;
    }
    if ((st.runs & 0x3fff) == 0) {  // a progress line every 30 s on long explorations
      auto now = std::chrono::steady_clock::now();
      if (now - last_progress > std::chrono::seconds(30)) {
        last_progress = now;
        fprintf(stderr, "hz3-explore: progress scenario=%s runs=%llu sleep_blocked=%llu depth_of_branch=%zu\n",
                s.name.c_str(), (unsigned long long)st.runs, (unsigned long long)st.blocked, x.forced_len);
      }
    }
  }
  st.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

// A digest of the set of outcomes, to compare two explorations of one
// scenario (with and without sleep sets, or bounded) beyond their counts.
std::string digest(const std::set<uint64_t>& v) {
  if (v.empty()) return "";
  uint64_t h = 1469598103934665603ull;
  for (uint64_t o : v) h = (h ^ o) * 1099511628211ull;
  char b[40];
  snprintf(b, sizeof b, " outcome_digest=%016llx", (unsigned long long)h);
  return b;
}

void usage() {
  fprintf(stderr,
          "usage: sched_explore [--list] [--scenario NAME]... [--all] [--preemptions K|-1]\n"
          "                     [--por sleep|none] [--max-runs N] [--include-selfcheck] [--coverage]\n"
          "                     [--outcomes-out FILE]\n"
          "       sched_explore --replay NAME c0,c1,...   (rerun exactly one schedule)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Scenario> all = make_scenarios();
  std::vector<std::string> names;
  int bound_opt = -2;  // -2: each scenario's default
  bool por_opt = true;
  uint64_t max_runs = 0;
  bool list = false, include_self = false, coverage = false;
  const char* outcomes_out = nullptr;
  const char* replay_name = nullptr;
  const char* replay_choices = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        fprintf(stderr, "sched_explore: %s needs an argument\n", what);
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--list") list = true;
    else if (a == "--scenario") names.push_back(need("--scenario"));
    else if (a == "--all") names.clear();
    else if (a == "--preemptions") bound_opt = atoi(need("--preemptions"));
    else if (a == "--por") por_opt = std::string(need("--por")) != "none";
    else if (a == "--max-runs") max_runs = strtoull(need("--max-runs"), nullptr, 10);
    else if (a == "--include-selfcheck") include_self = true;
    else if (a == "--coverage") coverage = true;
    else if (a == "--outcomes-out") outcomes_out = need("--outcomes-out");
    else if (a == "--replay") {
      replay_name = need("--replay");
      replay_choices = need("--replay");
    } else {
      usage();
      return 2;
    }
  }
  if (list) {
    for (const Scenario& s : all)
      printf("%-24s threads=%d ops=%-2d bound=%s%s  %s\n", s.name.c_str(), s.nthreads, s.ops,
             s.default_bound < 0 ? "none" : std::to_string(s.default_bound).c_str(),
             s.expect_fail ? " (must FAIL)" : "", s.desc.c_str());
    return 0;
  }
  struct sigaction sa {};
  sa.sa_handler = on_abort;
  sigaction(SIGABRT, &sa, nullptr);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(on_sanitizer_death);
  (void)hz3_config_string();  // one-time init on the controller (it never allocates from hz3)
  setvbuf(stdout, nullptr, _IOLBF, 0);

  auto find = [&](const std::string& n) -> const Scenario* {
    for (const Scenario& s : all)
      if (s.name == n) return &s;
    fprintf(stderr, "sched_explore: no scenario %s (see --list)\n", n.c_str());
    exit(2);
  };

  warm_up_thread_caches();
  pin_to_one_cpu();
  g_pool_threads.start();
  if (replay_name) {
    const Scenario& s = *find(replay_name);
    Explorer& x = g_x;
    x.scenario = s.name.c_str();
    x.frames.clear();
    x.record_frames = false;
    x.por = false;
    x.replaying = true;
    x.forced_len = 0;
    std::string c = replay_choices;
    if (c != "-")
      for (size_t i = 0; i < c.size(); ++i) {
        if (c[i] == ',') continue;
        if (c[i] < '0' || c[i] >= '0' + s.nthreads || x.forced_len >= kChoiceCap) {
          fprintf(stderr, "sched_explore: bad choice list\n");
          return 2;
        }
        x.choices[x.forced_len++] = static_cast<uint8_t>(c[i] - '0');
      }
    x.run_index = 1;
    run_once(s);
    printf("hz3-explore: replay scenario=%s decisions=%zu forced=%zu preemptions=%u: passed\n", x.scenario,
           x.ndec, x.forced_len, x.preempts);
    g_pool_threads.stop();
    return 0;
  }

  std::vector<const Scenario*> todo;
  if (names.empty()) {
    for (const Scenario& s : all)
      if (!s.expect_fail || include_self) todo.push_back(&s);
  } else {
    for (const std::string& n : names) todo.push_back(find(n));
  }
  auto t0 = std::chrono::steady_clock::now();
  uint64_t total_runs = 0, total_blocked = 0;
  int nfull = 0, nbounded = 0, ncut = 0;
  for (const Scenario* s : todo) {
    int bound = bound_opt == -2 ? s->default_bound : bound_opt;
    bool por = por_opt && s->por_ok && bound < 0;
    g_nreached = 0;
    Stats st = explore(*s, bound, por, max_runs);
    total_runs += st.runs;
    total_blocked += st.blocked;
    const char* result = st.cut ? "cut(max-runs)" : bound >= 0 ? "bounded" : "full";
    if (st.cut) ++ncut;
    else if (bound >= 0) ++nbounded;
    else ++nfull;
    printf("hz3-explore: scenario=%s threads=%d ops=%d runs=%llu complete=%llu sleep_blocked=%llu "
           "outcomes=%s%s max_depth=%zu max_preemptions=%u preemption_bound=%s por=%s result=%s seconds=%.2f\n",
           s->name.c_str(), s->nthreads, s->ops, (unsigned long long)st.runs,
           (unsigned long long)(st.runs - st.blocked), (unsigned long long)st.blocked,
           st.outcomes.empty() ? "-" : std::to_string(st.outcomes.size()).c_str(), digest(st.outcomes).c_str(),
           st.max_depth,
           st.max_preempt, bound < 0 ? "none" : std::to_string(bound).c_str(), por ? "sleep" : "none", result,
           st.secs);
    if (outcomes_out) {  // one line per outcome: scenario and hash, sorted
      FILE* f = fopen(outcomes_out, "a");
      if (f) {
        for (uint64_t o : st.outcomes) fprintf(f, "%s %016llx\n", s->name.c_str(), (unsigned long long)o);
        fclose(f);
      }
    }
    if (coverage) {
      std::string c;
      for (int i = 0; i < g_nreached; ++i)
        c += std::string(" ") + g_reached[i].where + ":" + g_reached[i].what + "=" + std::to_string(g_reached[i].n);
      printf("hz3-explore: coverage scenario=%s points reached (where:what=times):%s\n", s->name.c_str(), c.c_str());
    }
    if (s->expect_fail) {
      printf("hz3-explore: self-check scenario=%s found NO failure (the explorer is broken)\n", s->name.c_str());
      g_pool_threads.stop();
      return 1;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printf("hz3-explore: summary scenarios=%zu full=%d bounded=%d cut=%d runs=%llu sleep_blocked=%llu "
         "failures=0 seconds=%.2f\n",
         todo.size(), nfull, nbounded, ncut, (unsigned long long)total_runs,
         (unsigned long long)total_blocked, secs);
  g_pool_threads.stop();
  return 0;
}
