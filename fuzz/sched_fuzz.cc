// sched_fuzz: an op program (the alloc_ops_fuzz language, fuzz/ops.h) run on
// 2..4 threads by the cooperative scheduler of the schedule build (preset
// sched, HZ3_SCHED=1, src/hz3/sched.h), which switches threads only at the
// schedule points of the boxes and locks, as the input's schedule bytes say.
// Same oracle as alloc_ops_fuzz (tags, overlap map, usable size, calloc zero,
// realloc bytes) and the same conservation check at the end.
//
// sched_fuzz format, version 1 (fuzz/README.md, "sched_fuzz format"):
//   byte 0      version: 0x01; any other value, or an input shorter than
//               4 bytes, does nothing
//   byte 1      threads: n = 2 + byte % 3 (2..4)
//   bytes 2..3  L, little-endian u16: length of the op program
//   bytes 4..   L bytes of op program, ops.h encoding (opcode = byte % 11,
//               operands as in op format v1). THREAD t: the following ops
//               belong to thread t % n (thread 0 until the first THREAD).
//               Slots are per thread (thread t's slot s is t*8 + s%8).
//               XFER slot t: the object goes to thread (t % n)'s mailbox and
//               that thread frees it between its ops (a remote free, unless
//               it allocated it). EXIT: hz3_debug_thread_detach() (the
//               thread's next op attaches again, maybe to another shard).
//               BIND s: hz3_debug_bind_shard(s % 8), a forced shard collision,
//               serialized by OwnerExcl in this lane. FLUSH, USABLE, MALLOC,
//               CALLOC, REALLOC, MEMALIGN, FREE as in op format v1.
//               If L runs past the end of the input, the program is cut
//               there (an op cut in the middle is dropped) and the schedule
//               is empty.
//   after them  the schedule: sched.h bytes mode. The current thread keeps
//               running for a run length, then byte b picks the next thread:
//               run length b >> 3 schedule points, thread the first runnable
//               id at or after (b & 7) % n. Bytes used up: the current
//               thread runs until it leaves or blocks, then the next one.
//
// One input: sched::heap_reset() (same heap, same addresses, in any process),
// then n pooled real threads each run their stream under the scheduler,
// freeing their mail between ops; a thread whose stream ended waits
// (sched::yield) until every stream ended, then frees its mail and its slots
// and detaches (hz3_debug_thread_detach). The libFuzzer thread never calls
// into hz3 except hz3_debug_heap_check_or_die(nullptr, 0) after the run.
//
// Every op is a note in the scheduler's trace ring ("op MALLOC at=... n=size",
// "op XFER->t1", "op MAIL.FREE(remote)", ...), interleaved with the box steps.
// The trace (last 256 events) is printed after an ORACLE line, after a
// FAILFAST line (the scheduler does that) and after an ASan report.
// Replay is bit-exact: the same input gives the same switches, the same
// object addresses (hz3's mappings come from a fixed region) and, for the same
// binary (linked without PIE: hz3's globals are at fixed addresses too), the
// same trace.
//
// Environment: HZ3_FUZZ_SELFTEST=tag (ops.h) corrupts one byte of the first
// object checked; HZ3_SCHED_FUZZ_SELFTEST=double_free frees the first object
// freed remotely once more before its thread detaches (the ctest
// replay.sched_fuzz.bitexact runs both in fresh processes and diffs);
// HZ3_SCHED_FUZZ_TRACE=1 prints a summary line and the trace after every
// input, failing or not; HZ3_SCHED_FUZZ_PIN=0 leaves the threads unpinned
// (by default the pool and the caller share the caller's CPU per input).
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <sanitizer/asan_interface.h>

#include "hz3.h"
#include "hz3/config.h"
#include "hz3/sched.h"
#include "ops.h"

namespace {

constexpr int kMinThreads = 2;
constexpr int kThreadChoices = 3;  // n = 2 + byte % 3
constexpr int kPoolThreads = kMinThreads + kThreadChoices - 1;
constexpr size_t kStack = size_t(512) << 10;

static_assert(kPoolThreads <= hz3::sched::kMaxThreads && kPoolThreads <= hz3fuzz::kMaxThreads);

// ---- the trace after failures ----------------------------------------------------
bool g_trace_dumped = false;

void dump_trace_once() {
  if (g_trace_dumped) return;
  g_trace_dumped = true;
  hz3::sched::dump_trace();
}

// ASan report callback: runs after the report is printed, before the process
// dies. An ABRT report follows an ORACLE or FAILFAST line whose trace is
// already printed (handle_abort=1), so it is skipped there.
void asan_report(const char* report) {
  if (report && strstr(report, "AddressSanitizer: ABRT")) return;
  dump_trace_once();
}

// ASan death callback (any sanitizer death: ASan, UBSan with halt_on_error).
// libFuzzer installs its own death callback (it writes the crash file) in the
// same single slot, so it is installed only when libFuzzer is not linked in.
void asan_death() { dump_trace_once(); }

extern "C" int LLVMFuzzerRunDriver(int*, char***, int (*)(const uint8_t*, size_t))
    __attribute__((weak));

void install_dumpers() {
  hz3fuzz::after_oracle_line = dump_trace_once;
  __asan_set_error_report_callback(asan_report);
  if (!LLVMFuzzerRunDriver) __asan_set_death_callback(asan_death);
}

// ---- stale ASan poison -------------------------------------------------------------
// heap_reset() unmaps the segments but leaves their ASan shadow as it was: the
// objects carved and freed there stay "poisoned by user". The next input gets
// the same addresses (that is the point), and a large mapping placed where a
// segment used to be would be reported as use-after-poison when the harness
// fills it. Workaround until heap_reset clears the shadow itself: every 4 MiB
// granule (segments are 4 MiB-aligned) that held an object the harness saw is
// unpoisoned before the next heap_reset (the warm-up's objects too). A carve
// stays within one page and the allocation that carved hands out an object of
// it, so the granules seen cover every segment that was poisoned.
constexpr uintptr_t kGranule = uintptr_t(4) << 20;
constexpr uint64_t kLargeAbove = uint64_t(64) << 10;  // larger requests are large mappings
std::vector<uintptr_t>& granules() {
  static std::vector<uintptr_t>* v = [] {
    auto* g = new std::vector<uintptr_t>;
    g->reserve(1024);
    return g;
  }();
  return *v;
}
void unpoison_granules() {
  std::vector<uintptr_t>& g = granules();
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  for (uintptr_t b : g) __asan_unpoison_memory_region(reinterpret_cast<void*>(b), kGranule);
  g.clear();
}

void remember_granule(const void* ptr) {
  if (!ptr) return;
  std::vector<uintptr_t>& g = granules();
  uintptr_t b = reinterpret_cast<uintptr_t>(ptr) & ~(kGranule - 1);
  if (g.empty() || g.back() != b) g.push_back(b);
}

// HZ3_SCHED_FUZZ_SELFTEST=double_free: the first object freed remotely
// (MAIL.FREE(remote)) is freed a second time by that thread just before it
// detaches, a real double free for hz3's own checks to catch (a FAILFAST
// line, or the conservation check after the run), never touching the object.
bool selftest_double_free() {
  static bool on = [] {
    const char* e = getenv("HZ3_SCHED_FUZZ_SELFTEST");
    return e && strcmp(e, "double_free") == 0;
  }();
  return on;
}
const void* g_df_ptr = nullptr;  // the object to free twice
bool g_df_done = false;

// Every op goes into the trace (and the granule of a size-class object is
// remembered; large mappings, over 64 KiB, are never poisoned and have their
// own 4 MiB-aligned granules).
void note(const char* what, const void* ptr, uint64_t n) {
  if (n <= kLargeAbove) remember_granule(ptr);
  hz3::sched::note("op", what, ptr, n);
  if (selftest_double_free() && !g_df_done) {
    if (!g_df_ptr && strcmp(what, "MAIL.FREE(remote)") == 0) {
      g_df_ptr = ptr;
    } else if (g_df_ptr && strcmp(what, "DETACH") == 0) {
      g_df_done = true;
      hz3::sched::note("selftest", "double_free", g_df_ptr, 0);
      hz3_free(const_cast<void*>(g_df_ptr));
    }
  }
}
void wait_turn() { hz3::sched::yield("harness", "wait_for_others"); }

void wait_sem(sem_t* s) {
  while (sem_wait(s) != 0 && errno == EINTR) {
  }
}

// ---- the worker pool ------------------------------------------------------------
// kPoolThreads real threads kept for the whole process. Input: the controller
// posts `go` to threads 0..n-1; each enters the scheduler as thread i, runs its
// stream, detaches and leaves. Before the first input every thread attaches
// to hz3 and then every one detaches (outside the scheduler), so hz3 holds a
// recycled thread cache for each pool thread from then on: the first input of
// a process takes the same schedule points as any later one (heap_reset keeps
// the recycled caches; without the warm-up, a process's first attaches would
// allocate caches under the metadata-arena lock, extra schedule points).
struct Worker {
  pthread_t th{};
  sem_t go{};
  int id = 0;
  int cmd = 0;  // kRun, kWarmAttach, kWarmDetach
  hz3fuzz::Machine* m = nullptr;
};
enum { kRun = 0, kWarmAttach = 1, kWarmDetach = 2 };

struct Pool {
  Worker w[kPoolThreads];
  cpu_set_t cpu;  // the CPU the workers are pinned to (empty before the first input)
};
sem_t g_warm_done;  // a worker finished its warm-up

void* worker_main(void* arg) {
  Worker* me = static_cast<Worker*>(arg);
  for (;;) {
    wait_sem(&me->go);
    if (me->cmd == kWarmAttach) {
      void* p = hz3_malloc(16);
      remember_granule(p);
      hz3_free(p);
      sem_post(&g_warm_done);
      continue;
    }
    if (me->cmd == kWarmDetach) {
      hz3_debug_thread_detach();
      sem_post(&g_warm_done);
      continue;
    }
    hz3fuzz::Machine* m = me->m;
    hz3::sched::thread_enter(me->id);
    m->sched_run(me->id);
    hz3::sched::thread_leave();  // m may be gone after this
  }
}

Pool& pool() {
  static Pool* p = [] {
    Pool* q = new Pool;
    CPU_ZERO(&q->cpu);
    sem_init(&g_warm_done, 0, 0);
    for (int i = 0; i < kPoolThreads; ++i) {
      Worker& w = q->w[i];
      w.id = i;
      sem_init(&w.go, 0, 0);
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setstacksize(&attr, kStack);
      if (pthread_create(&w.th, &attr, worker_main, &w) != 0) {
        fprintf(stderr, "sched_fuzz: pthread_create failed\n");
        abort();
      }
      pthread_attr_destroy(&attr);
    }
    // Warm-up, one thread at a time (no scheduler: its points are no-ops):
    // every pool thread attaches, so hz3 makes one cache each, then every one
    // detaches, and the caches wait in hz3's recycled list.
    for (int cmd : {kWarmAttach, kWarmDetach})
      for (int i = 0; i < kPoolThreads; ++i) {
        q->w[i].cmd = cmd;
        sem_post(&q->w[i].go);
        wait_sem(&g_warm_done);
      }
    return q;
  }();
  return *p;
}

bool pin_workers() {  // HZ3_SCHED_FUZZ_PIN=0: no pinning
  static bool on = [] {
    const char* e = getenv("HZ3_SCHED_FUZZ_PIN");
    return !(e && e[0] == '0');
  }();
  return on;
}

bool trace_every_input() {
  static bool on = [] {
    const char* e = getenv("HZ3_SCHED_FUZZ_TRACE");
    return e && e[0] == '1';
  }();
  return on;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  install_dumpers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4 || data[0] != hz3fuzz::kFormatVersion) return 0;
  int n = kMinThreads + data[1] % kThreadChoices;
  size_t len = size_t(data[2]) | size_t(data[3]) << 8;
  const uint8_t* prog = data + 4;
  size_t avail = size - 4;
  size_t plen = len < avail ? len : avail;
  const uint8_t* sched_bytes = prog + plen;
  size_t nsched = len < avail ? avail - len : 0;

  Pool& p = pool();
  // One thread runs at a time, so every switch is a semaphore hand-off: the
  // workers and the caller share one CPU for the input (a direct switch, no
  // cross-CPU wake-up; steadier exec/s on a busy machine, see fuzz/README.md).
  // The workers follow the caller's CPU between inputs, so fuzzers started
  // together spread out. HZ3_SCHED_FUZZ_PIN=0 turns it off.
  int here = pin_workers() ? sched_getcpu() : -1;
  if (here >= 0 && !CPU_ISSET(here, &p.cpu)) {
    CPU_ZERO(&p.cpu);
    CPU_SET(here, &p.cpu);
    for (Worker& w : p.w) pthread_setaffinity_np(w.th, sizeof p.cpu, &p.cpu);
  }
  cpu_set_t saved;
  bool pinned = CPU_COUNT(&p.cpu) > 0 &&
                pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) == 0 &&
                pthread_setaffinity_np(pthread_self(), sizeof p.cpu, &p.cpu) == 0;
  g_trace_dumped = false;
  g_df_ptr = nullptr;
  g_df_done = false;
  unpoison_granules();  // what the previous input (or the warm-up) carved
  hz3::sched::heap_reset();

  hz3fuzz::Config cfg;
  cfg.allow_bind = true;
  cfg.bind_is_noop = hz3::kCollisionFailfast;
  cfg.note = note;
  cfg.wait = wait_turn;
  hz3fuzz::Machine m(prog, plen, cfg);
  m.sched_prepare(n);

  hz3::sched::RunConfig rc;
  rc.nthreads = n;
  rc.bytes = sched_bytes;
  rc.nbytes = nsched;
  hz3::sched::begin(rc);
  for (int i = 0; i < n; ++i) {
    p.w[i].m = &m;
    p.w[i].cmd = kRun;
    sem_post(&p.w[i].go);
  }
  hz3::sched::RunResult r = hz3::sched::wait_end();
  if (trace_every_input()) {
    fprintf(stderr,
            "hz3-sched-fuzz: run threads=%d program=%zu schedule=%zu points=%llu switches=%llu "
            "decisions=%zu schedule_bytes_used=%zu\n",
            n, plen, nsched, (unsigned long long)r.points, (unsigned long long)r.switches,
            r.decisions, r.bytes_used);
    fflush(stderr);
    hz3::sched::dump_trace();
  }
  m.sched_finish();
  if (pinned) pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
  return 0;
}
