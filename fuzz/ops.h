// hz3 fuzz op language, format version 1, and its interpreter (the shadow
// model oracle and the deterministic multi-thread scheduler). Shared by
// alloc_ops_fuzz.cc and collision_fuzz.cc. The byte-level spec is in
// fuzz/README.md ("Op format, version 1"); tools/hz3-ops encodes/decodes it.
//
// Input layout:
//   byte 0   format version; only 0x01 is run, any other input is ignored
//   byte 1   flags: bit 0 = free-running mode (collision_fuzz only; ignored by
//            alloc_ops_fuzz); bit 1 = bins take the live threads' share of
//            the bin budget, else two batches (kFlagBinShare); bits 2..7
//            reserved, ignored
//   byte 2.. ops: an opcode byte (opcode = byte % kNumOps) and its operands;
//            an op whose operands are cut off by the end of input is dropped
//
//   op  name      operands                  bytes
//   0   THREAD    t (t % 8)                 2
//   1   MALLOC    slot size16               4
//   2   CALLOC    slot count size16         5
//   3   REALLOC   slot size16               4
//   4   MEMALIGN  slot alignexp size16      5   align = 1 << (alignexp % 21)
//   5   FREE      slot                      2
//   6   USABLE    slot                      2
//   7   FLUSH     -                         1   hz3_debug_flush_thread()
//   8   EXIT      -                         1   the real thread exits, a new one replaces it
//   9   BIND      shard                     2   collision_fuzz only, else a no-op
//   10  XFER      slot t                    3   move the object to thread t's mailbox;
//                                               t frees it (remote free) when it next runs
//   slot = byte % 64; size16 = little-endian u16 decoded by decode_size().
//
// Deterministic mode (default): one logical thread runs at a time; ops run on
// the current logical thread (thread 0 at the start); THREAD t hands the
// baton to t (a pooled worker thread, created on first use and kept across
// inputs; EXIT replaces it with a new one). Same input, same sequence of hz3
// calls on the same logical threads.
//
// Free-running mode (collision_fuzz, flags bit 0): THREAD t starts t's op
// stream; every logical thread runs its stream concurrently on its own real
// thread. Slots are private: thread t's slot s is t*8 + s%8. XFER is the only
// way objects cross threads (a mutex-guarded mailbox; the receiver drains it
// between its ops and frees remotely). EXIT is hz3_debug_thread_detach().
//
// After every input: every object left is freed, every thread is torn down
// (deterministic: hz3_debug_thread_detach() in thread order, the workers stay
// parked; free-running: flush and exit), then hz3_debug_heap_check_or_die(nullptr, 0).
//
// Scheduled mode (sched_fuzz, the schedule build): the program is split into
// per-thread streams as in free-running mode, but THREAD t and XFER's
// destination are taken modulo the input's thread count, the caller runs each
// stream on a thread of the cooperative scheduler (sched_prepare, sched_run,
// sched_finish), every op is reported through Config::note for the trace, and
// waiting steps aside through Config::wait instead of spinning.
//
// Oracle violations print one line
//   hz3-fuzz: ORACLE <what> op=<index> thread=<t> slot=<s> ...
// then call after_oracle_line (when set: sched_fuzz prints its trace there),
// and abort(). HZ3_FUZZ_SELFTEST=tag (environment) corrupts one byte of the
// first object freed or reallocated, to prove the oracle fires.
#pragma once

#include <pthread.h>
#include <semaphore.h>
#include <sched.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <mutex>
#include <vector>

#include "hz3.h"

namespace hz3fuzz {

inline constexpr uint8_t kFormatVersion = 0x01;
inline constexpr uint8_t kFlagFreeRunning = 0x01;
// Bins take the live threads' share of the bin budget (config.h
// kBinBudgetBatches); without it they hold two batches, the size the seeds
// were written for, so a few dozen frees reach the stash and the boxes.
inline constexpr uint8_t kFlagBinShare = 0x02;
inline constexpr int kMaxThreads = 8;
inline constexpr int kNumSlots = 64;
inline constexpr int kSlotsPerThreadFree = kNumSlots / kMaxThreads;  // free-running: 8 each
inline constexpr size_t kWorkerStack = size_t(256) << 10;  // deterministic workers' stacks

enum Op : uint8_t {
  kThread = 0,
  kMalloc = 1,
  kCalloc = 2,
  kRealloc = 3,
  kMemalign = 4,
  kFree = 5,
  kUsable = 6,
  kFlush = 7,
  kExit = 8,
  kBind = 9,
  kXfer = 10,
  kNumOps = 11,
};

// Operand bytes after the opcode byte.
inline constexpr uint8_t kOperandBytes[kNumOps] = {1, 3, 4, 3, 4, 1, 1, 0, 0, 1, 2};
inline constexpr const char* kOpNames[kNumOps] = {"THREAD", "MALLOC", "CALLOC", "REALLOC",
                                                  "MEMALIGN", "FREE", "USABLE", "FLUSH",
                                                  "EXIT", "BIND", "XFER"};

// Edge sizes of mode 6.
inline constexpr size_t kEdgeSizes[16] = {0,    1,     15,    16,    17,    2047,  2048,  2049,
                                          4095, 4096,  4097,  61440, 65535, 65536, 65537, 131072};

// size16 -> bytes. mode = v >> 13, x = v & 0x1fff:
//   0 tiny           x % 257                               (0..256)
//   1 small boundary class_size(x % 128) + (x>>7) % 3 - 1  (16n-1, 16n, 16n+1; n = 1..128)
//   2 small any      x % 2049
//   3 medium boundary 4096 * (x % 16 + 1) + (x>>4) % 3 - 1 (4 KiB..64 KiB classes +/- 1)
//   4 medium any     2048 + x * 8                          (2048..67584: crosses into large)
//   5 large          65535 + (x & 7) + (x >> 3) * 4096     (64 KiB - 1 .. ~4 MiB)
//   6 edge           kEdgeSizes[x % 16]
//   7 huge           65536 * (x % 128 + 1) + (x >> 7)      (64 KiB .. 8 MiB + 63)
inline size_t decode_size(uint16_t v) {
  uint32_t mode = v >> 13, x = v & 0x1fff;
  switch (mode) {
    case 0: return x % 257;
    case 1: {
      int64_t s = int64_t(16 * (x % 128 + 1)) + int64_t((x >> 7) % 3) - 1;
      return size_t(s);
    }
    case 2: return x % 2049;
    case 3: return size_t(int64_t(4096 * (x % 16 + 1)) + int64_t((x >> 4) % 3) - 1);
    case 4: return 2048 + size_t(x) * 8;
    case 5: return 65535 + (x & 7) + size_t(x >> 3) * 4096;
    case 6: return kEdgeSizes[x % 16];
    default: return size_t(65536) * (x % 128 + 1) + (x >> 7);
  }
}
inline size_t decode_align(uint8_t b) { return size_t(1) << (b % 21); }
// calloc: count = byte; when count * size exceeds 16 MiB the size is cut to size % 4096.
inline size_t calloc_size(size_t count, size_t size) {
  if (count && size > (size_t(16) << 20) / count) size %= 4096;
  return size;
}

// ---- fill pattern -------------------------------------------------------------
// Objects up to 2 KiB are filled entirely; larger ones in their first and last
// 512 bytes (keeps big objects cheap). Byte i of an object with tag g:
inline uint8_t pattern(uint32_t tag, size_t i) {
  return uint8_t(tag ^ (i * 29) ^ (i >> 7) ^ (tag >> 8));
}
inline constexpr size_t kFullFill = 2048, kEdgeFill = 512;

// The harness's own byte loops carry no coverage instrumentation (exec/s);
// ASan still checks every access they make.
#define HZ3FUZZ_NOCOV __attribute__((no_sanitize("coverage"), noinline))

template <class F>
inline void for_filled(size_t n, size_t limit, F f) {  // f(begin, end) for filled ranges < limit
  size_t lim = n < limit ? n : limit;
  if (n <= kFullFill) {
    if (lim) f(size_t(0), lim);
    return;
  }
  f(size_t(0), lim < kEdgeFill ? lim : kEdgeFill);
  size_t tb = n - kEdgeFill;
  if (lim > tb) f(tb, lim);
}

struct Obj {
  uint8_t* p = nullptr;
  size_t size = 0;   // requested bytes
  uint32_t tag = 0;
  int owner = -1;    // logical thread that allocated it
};

// Called after an ORACLE line, before abort() (sched_fuzz: the schedule trace).
inline void (*after_oracle_line)() = nullptr;

[[noreturn]] __attribute__((noinline)) inline void oracle_fail(const char* what, size_t op, int t,
                                                               int slot, const char* extra) {
  fprintf(stderr, "hz3-fuzz: ORACLE %s op=%zu thread=%d slot=%d %s\n", what, op, t, slot, extra);
  fflush(stderr);
  if (after_oracle_line) after_oracle_line();
  abort();
}

inline int selftest_mode() {  // 1: corrupt one tag byte once
  static int mode = [] {
    const char* e = getenv("HZ3_FUZZ_SELFTEST");
    return (e && strcmp(e, "tag") == 0) ? 1 : 0;
  }();
  return mode;
}

// ---- the machine ----------------------------------------------------------------
struct Config {
  bool allow_bind = false;          // BIND runs hz3_debug_bind_shard (collision_fuzz)
  bool allow_free_running = false;  // flags bit 0 honoured (collision_fuzz)
  bool bind_is_noop = false;        // collision failfast lane: BIND documented no-op
  // Scheduled mode only (sched_fuzz); the other modes never call them.
  void (*note)(const char* what, const void* ptr, uint64_t n) = nullptr;  // an op, for the trace
  void (*wait)() = nullptr;  // step aside while other threads finish (sched::yield)
};

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, const Config& cfg) : data_(data), size_(size), cfg_(cfg) {}

  void run() {
    if (size_ < 1 || data_[0] != kFormatVersion) return;
    pos_ = 2;
    uint8_t flags = size_ >= 2 ? data_[1] : 0;
    if (size_ < 2) return;
    selftest_armed_ = selftest_mode() == 1;
    live_.clear();  // (empty after every input: each object is freed at the end)
    // Every thread's cache of the last input was torn down, so each one this
    // input sets up takes the pin (or the share) from its start.
    hz3_debug_pin_bin_batches((flags & kFlagBinShare) ? 0 : 2);
    if (cfg_.allow_free_running && (flags & kFlagFreeRunning))
      run_free();
    else
      run_det();
    hz3_debug_heap_check_or_die(nullptr, 0);
  }

 private:
  struct Mail {
    Obj o;
    int from_slot;
  };
  struct Thr {
    pthread_t th{};
    sem_t sem;
    bool started = false;
    int cmd = 0;  // deterministic: a Cmd
    Machine* m = nullptr;
    int id = 0;
    // free-running
    std::vector<uint8_t> prog;
    std::vector<uint32_t> opidx;  // scheduled: 1-based program index of each op of prog
    std::mutex mail_mu;
    std::vector<Mail> mail;
  };
  const uint8_t* data_;
  size_t size_;
  Config cfg_;
  size_t pos_ = 0;
  size_t opi_ = 0;  // op index
  bool free_mode_ = false;
  bool selftest_armed_ = false;
  Obj slots_[kNumSlots];
  Thr local_thr_[kMaxThreads];  // free-running: this input's threads
  Thr* thr_ = local_thr_;        // deterministic: the worker pool
  sem_t* main_sem_ = nullptr;
  int event_ = 0;
  cpu_set_t cpu_;
  bool caller_pinned_ = false;
  int cur_ = 0;
  uint32_t next_tag_ = 1;
  std::mutex live_mu_;  // free-running only (deterministic: uncontended)
  // [begin, end) of every live object (slots + mailboxes), sorted by begin. A
  // flat array whose capacity lives as long as the process: the worker threads
  // make no sanitizer-allocator calls of their own (a fresh thread's first
  // malloc under ASan faults in its allocator cache: exec/s).
  using Span = std::pair<uintptr_t, uintptr_t>;
  std::vector<Span>& live_ = live_spans();
  static std::vector<Span>& live_spans() {
    static std::vector<Span>* v = [] {
      auto* p = new std::vector<Span>;
      p->reserve(4096);
      return p;
    }();
    return *v;
  }
  std::atomic<int> done_running_{0};
  int nmod_ = kMaxThreads;  // THREAD and XFER destinations are taken modulo this (scheduled: nthreads)
  std::atomic<uint32_t> atag_{1};

  // ---- oracle -------------------------------------------------------------------
  uint32_t new_tag() {
    if (free_mode_) return atag_.fetch_add(1, std::memory_order_relaxed);
    return next_tag_++;
  }
  HZ3FUZZ_NOCOV static void fill_range(uint8_t* p, uint32_t tag, size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) p[i] = pattern(tag, i);
  }
  // First index in [b, e) whose byte differs from the pattern, or e.
  HZ3FUZZ_NOCOV static size_t scan_range(const uint8_t* p, uint32_t tag, size_t b, size_t e) {
    size_t bad = e;
    for (size_t i = b; i < e; ++i) bad = (p[i] != pattern(tag, i) && bad == e) ? i : bad;
    return bad;
  }
  HZ3FUZZ_NOCOV static size_t scan_zero(const uint8_t* p, size_t b, size_t e) {
    uint8_t acc = 0;
    for (size_t i = b; i < e; ++i) acc |= p[i];
    if (!acc) return e;
    for (size_t i = b; i < e; ++i)
      if (p[i]) return i;
    return e;
  }
  static void fill(const Obj& o) {
    for_filled(o.size, o.size, [&](size_t b, size_t e) { fill_range(o.p, o.tag, b, e); });
  }
  void check_tag(const Obj& o, size_t limit, const uint8_t* at, size_t op, int t, int slot,
                 const char* what) {
    if (selftest_armed_ && o.size > 0 && limit > 0) {
      selftest_armed_ = false;
      const_cast<uint8_t*>(at)[0] ^= 0x5a;
    }
    for_filled(o.size, limit, [&](size_t b, size_t e) {
      size_t i = scan_range(at, o.tag, b, e);
      if (i != e) {
          char buf[160];
          snprintf(buf, sizeof buf, "ptr=%p size=%zu offset=%zu got=0x%02x want=0x%02x owner=%d",
                   (void*)o.p, o.size, i, at[i], pattern(o.tag, i), o.owner);
          oracle_fail(what, op, t, slot, buf);
        }
    });
  }
  void live_insert(const Obj& o, size_t op, int t, int slot) {
    uintptr_t b = uintptr_t(o.p), e = b + (o.size ? o.size : 1);
    std::lock_guard<std::mutex> g(live_mu_);
    auto it = std::upper_bound(live_.begin(), live_.end(), b,
                               [](uintptr_t x, const Span& sp) { return x < sp.first; });
    bool bad = false;
    uintptr_t ob = 0, oe = 0;
    if (it != live_.end() && it->first < e) bad = true, ob = it->first, oe = it->second;
    if (!bad && it != live_.begin()) {
      auto pr = std::prev(it);
      if (pr->second > b) bad = true, ob = pr->first, oe = pr->second;
    }
    if (bad) {  // (an object starting at b is the previous span, which ends after b)
      char buf[160];
      snprintf(buf, sizeof buf, "ptr=%p size=%zu overlaps=[%p,%p)", (void*)o.p, o.size, (void*)ob,
               (void*)oe);
      oracle_fail("overlap", op, t, slot, buf);
    }
    live_.insert(it, Span(b, e));
  }
  void live_erase(const Obj& o, size_t op, int t, int slot) {
    std::lock_guard<std::mutex> g(live_mu_);
    uintptr_t b = uintptr_t(o.p);
    auto it = std::lower_bound(live_.begin(), live_.end(), b,
                               [](const Span& sp, uintptr_t x) { return sp.first < x; });
    if (it == live_.end() || it->first != b) {
      char buf[96];
      snprintf(buf, sizeof buf, "ptr=%p size=%zu", (void*)o.p, o.size);
      oracle_fail("lost_from_shadow", op, t, slot, buf);
    }
    live_.erase(it);
  }
  // Checks of a fresh allocation; fills it and records it live.
  void adopt(Obj& o, size_t align, bool zeroed, size_t op, int t, int slot) {
    char buf[160];
    if (!o.p) {
      snprintf(buf, sizeof buf, "size=%zu align=%zu", o.size, align);
      oracle_fail("null", op, t, slot, buf);
    }
    if (uintptr_t(o.p) % align) {
      snprintf(buf, sizeof buf, "ptr=%p size=%zu align=%zu", (void*)o.p, o.size, align);
      oracle_fail("misaligned", op, t, slot, buf);
    }
    size_t us = hz3_malloc_usable_size(o.p);
    if (us < o.size) {
      snprintf(buf, sizeof buf, "ptr=%p size=%zu usable=%zu", (void*)o.p, o.size, us);
      oracle_fail("usable_below_request", op, t, slot, buf);
    }
    if (zeroed)
      for_filled(o.size, o.size, [&](size_t b, size_t e) {
        size_t i = scan_zero(o.p, b, e);
        if (i != e) {
            snprintf(buf, sizeof buf, "ptr=%p size=%zu offset=%zu got=0x%02x", (void*)o.p, o.size, i,
                     o.p[i]);
            oracle_fail("calloc_not_zero", op, t, slot, buf);
          }
      });
    o.tag = new_tag();
    o.owner = t;
    fill(o);
    live_insert(o, op, t, slot);
  }
  // Frees o (tag checked first: the object is never read after hz3_free).
  void release(Obj& o, size_t op, int t, int slot) {
    if (!o.p) return;
    check_tag(o, o.size, o.p, op, t, slot, "tag_mismatch_on_free");
    live_erase(o, op, t, slot);
    hz3_free(o.p);
    o = Obj();
  }

  // ---- one op ------------------------------------------------------------------------
  // Executes the op at data[pos] (already known complete) on logical thread t;
  // `slots` maps a slot byte to an Obj. Returns the opcode.
  int exec(size_t oi, const uint8_t* a, int op, int t, Obj* slotbase, int nslots, int slot_off) {
    auto slot_of = [&](uint8_t b) { return int(b % nslots); };
    switch (op) {
      case kMalloc: {
        int s = slot_of(a[0]);
        Obj& o = slotbase[s];
        release(o, oi, t, s + slot_off);
        o.size = decode_size(uint16_t(a[1] | a[2] << 8));
        o.p = static_cast<uint8_t*>(hz3_malloc(o.size));
        adopt(o, 16, false, oi, t, s + slot_off);
        break;
      }
      case kCalloc: {
        int s = slot_of(a[0]);
        Obj& o = slotbase[s];
        release(o, oi, t, s + slot_off);
        size_t count = a[1];
        size_t sz = calloc_size(count, decode_size(uint16_t(a[2] | a[3] << 8)));
        o.size = count * sz;
        o.p = static_cast<uint8_t*>(hz3_calloc(count, sz));
        adopt(o, 16, true, oi, t, s + slot_off);
        break;
      }
      case kRealloc: {
        int s = slot_of(a[0]);
        Obj& o = slotbase[s];
        size_t nsz = decode_size(uint16_t(a[1] | a[2] << 8));
        if (!o.p) {
          o.size = nsz;
          o.p = static_cast<uint8_t*>(hz3_realloc(nullptr, nsz));
          adopt(o, 16, false, oi, t, s + slot_off);
          break;
        }
        check_tag(o, o.size, o.p, oi, t, s + slot_off, "tag_mismatch_before_realloc");
        live_erase(o, oi, t, s + slot_off);
        uint8_t* q = static_cast<uint8_t*>(hz3_realloc(o.p, nsz));
        if (nsz == 0 && !q) {  // glibc behaviour: freed
          o = Obj();
          break;
        }
        if (!q) oracle_fail("null", oi, t, s + slot_off, "realloc");
        // Bytes [0, min(old, new)) must have moved with the object.
        Obj old = o;
        check_tag(old, nsz < old.size ? nsz : old.size, q, oi, t, s + slot_off,
                  "realloc_lost_bytes");
        o.p = q;
        o.size = nsz;
        adopt(o, 16, false, oi, t, s + slot_off);
        break;
      }
      case kMemalign: {
        int s = slot_of(a[0]);
        Obj& o = slotbase[s];
        release(o, oi, t, s + slot_off);
        size_t al = decode_align(a[1]);
        o.size = decode_size(uint16_t(a[2] | a[3] << 8));
        o.p = static_cast<uint8_t*>(hz3_memalign(al, o.size));
        adopt(o, al < 16 ? 16 : al, false, oi, t, s + slot_off);
        break;
      }
      case kFree: {
        int s = slot_of(a[0]);
        release(slotbase[s], oi, t, s + slot_off);
        break;
      }
      case kUsable: {
        int s = slot_of(a[0]);
        Obj& o = slotbase[s];
        if (o.p) {
          size_t us = hz3_malloc_usable_size(o.p);
          if (us < o.size) {
            char buf[96];
            snprintf(buf, sizeof buf, "ptr=%p size=%zu usable=%zu", (void*)o.p, o.size, us);
            oracle_fail("usable_below_request", oi, t, s + slot_off, buf);
          }
          check_tag(o, o.size, o.p, oi, t, s + slot_off, "tag_mismatch_on_usable");
        }
        break;
      }
      case kFlush: hz3_debug_flush_thread(); break;
      case kBind:
        if (cfg_.allow_bind && !cfg_.bind_is_noop) hz3_debug_bind_shard(a[0] % hz3_num_shards());
        break;
      case kXfer: {
        int s = slot_of(a[0]);
        int to = a[1] % nmod_;
        Obj& o = slotbase[s];
        if (!o.p) break;
        Thr& d = thr_[to];
        std::lock_guard<std::mutex> g(d.mail_mu);
        d.mail.push_back(Mail{o, s + slot_off});
        o = Obj();  // stays in live_ until the receiver frees it
        break;
      }
      default: break;  // THREAD/EXIT are handled by the scheduler
    }
    return op;
  }

  void drain_mail(int t) {
    Thr& me = thr_[t];
    if (!free_mode_) {  // one thread at a time: free in place, the mailbox keeps its capacity
      for (Mail& m : me.mail) release(m.o, opi_, t, m.from_slot);
      me.mail.clear();
      return;
    }
    std::vector<Mail> mail;
    {
      std::lock_guard<std::mutex> g(me.mail_mu);
      if (me.mail.empty()) return;
      mail.swap(me.mail);
    }
    for (Mail& m : mail) release(m.o, opi_, t, m.from_slot);
  }

  // ---- deterministic mode ----------------------------------------------------------
  // The real threads come from a process-wide pool of kMaxThreads workers, all
  // pinned to one CPU, the one the caller is on when an input starts (the
  // caller joins it for the input; the workers follow it), so a baton
  // hand-off is a direct switch. A worker runs one logical thread; EXIT ends
  // its real thread (hz3's thread-exit destructor runs) and the caller starts a
  // new one for the same logical thread. At the end of the input the worker
  // that ran last frees everything, then the started workers, in thread
  // order, each run hz3_debug_thread_detach() (thread_cache_teardown(), what
  // hz3's exit destructor runs) and pass the baton to the next; the last one
  // wakes the caller. The workers stay parked for the next input.
  // HZ3_FUZZ_PARK_WORKERS=0: at the end every worker exits for real instead,
  // joined by the caller in thread order (slower; same hz3 calls).
  enum Cmd { kCmdRun = 0, kCmdDetach = 1, kCmdQuit = 2 };
  enum Event { kEvEnd = 1, kEvExit = 2 };

  static void* det_main(void* arg) {
    Thr* me = static_cast<Thr*>(arg);
    for (;;) {
      while (sem_wait(&me->sem) != 0) {
      }
      Machine* m = me->m;  // pooled workers serve a new Machine every input
      if (me->cmd == kCmdQuit) return nullptr;  // hz3's thread-exit destructor runs after this
      if (me->cmd == kCmdDetach) {
        hz3_debug_thread_detach();
        m->detach_from(me->id + 1, me->id);
        continue;
      }
      if (m->det_run(me->id)) return nullptr;  // EXIT op: this real thread ends
    }
  }
  // End of input, on the logical thread t that ran last: free everything left
  // (local and remote frees), flush, then tear the threads down in order.
  void det_finish(int t) {
    drain_all_mail(t);
    for (int s = 0; s < kNumSlots; ++s) release(slots_[s], opi_, t, s);
    hz3_debug_flush_thread();
    if (park_workers())
      detach_from(0, t);
    else
      signal_main(kEvEnd);
  }
  // Detaches the started threads >= i in thread order; `self` is the calling
  // worker, which detaches inline when its turn comes; any other gets the baton.
  void detach_from(int i, int self) {
    for (; i < kMaxThreads; ++i) {
      Thr& d = thr_[i];
      if (!d.started) continue;
      if (i == self) {
        hz3_debug_thread_detach();
        continue;
      }
      d.cmd = kCmdDetach;
      sem_post(&d.sem);
      return;
    }
    signal_main(kEvEnd);
  }
  void drain_all_mail(int t) {
    for (int u = 0; u < kMaxThreads; ++u) {
      Thr& d = thr_[u];
      for (Mail& mm : d.mail) release(mm.o, opi_, t, mm.from_slot);
      d.mail.clear();
    }
  }
  void signal_main(int ev) {
    event_ = ev;
    sem_post(main_sem_);
  }
  void start(int t) {
    Thr& d = thr_[t];
    d.cmd = kCmdRun;
    if (d.started) return;
    d.started = true;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    // Small stacks: a thread's creation and exit under ASan cost less (its
    // stack shadow is remapped and cleared); EXIT makes one real thread each.
    pthread_attr_setstacksize(&attr, kWorkerStack);
    // A new thread inherits its creator's affinity (the workers' CPU); only
    // when the caller could not join that CPU does it need its own.
    if (!caller_pinned_) pthread_attr_setaffinity_np(&attr, sizeof cpu_, &cpu_);
    int rc = pthread_create(&d.th, &attr, det_main, &d);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      fprintf(stderr, "hz3-fuzz: pthread_create failed\n");
      abort();
    }
  }
  // Runs ops on logical thread t until a switch, EXIT or the end. Returns true
  // when the real thread must exit.
  bool det_run(int t) {
    drain_mail(t);
    while (pos_ < size_) {
      uint8_t op = data_[pos_] % kNumOps;
      size_t n = 1 + kOperandBytes[op];
      if (pos_ + n > size_) break;
      const uint8_t* a = data_ + pos_ + 1;
      pos_ += n;
      ++opi_;
      if (op == kThread) {
        int u = a[0] % kMaxThreads;
        if (u == t) continue;
        cur_ = u;
        start(u);
        sem_post(&thr_[u].sem);
        return false;  // wait for the baton again
      }
      if (op == kExit) {
        cur_ = t;
        signal_main(kEvExit);
        return true;
      }
      exec(opi_, a, op, t, slots_, kNumSlots, 0);
      if (op == kXfer && a[1] % kMaxThreads == t) drain_mail(t);  // to self: a local free
    }
    det_finish(t);
    return false;
  }
  void run_det() {
    Pool& pool = det_pool();
    thr_ = pool.thr;
    main_sem_ = &pool.main_sem;
    // Follow the caller: between inputs its affinity is its own again and the
    // kernel may have moved it (two fuzzers that both started on CPU 0 end up
    // one per CPU). Parked workers move with it, so hand-offs stay local.
    int here = sched_getcpu();
    if (here >= 0 && !CPU_ISSET(here, &pool.cpu)) {
      CPU_ZERO(&pool.cpu);
      CPU_SET(here, &pool.cpu);
      for (Thr& w : pool.thr)
        if (w.started) pthread_setaffinity_np(w.th, sizeof pool.cpu, &pool.cpu);
    }
    cpu_ = pool.cpu;
    for (int i = 0; i < kMaxThreads; ++i) thr_[i].m = this;
    // The caller joins the workers' CPU for the input (hand-offs stay local).
    cpu_set_t saved;
    caller_pinned_ = pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) == 0 &&
                     pthread_setaffinity_np(pthread_self(), sizeof cpu_, &cpu_) == 0;
    cur_ = 0;
    start(0);
    sem_post(&thr_[0].sem);
    for (;;) {
      while (sem_wait(main_sem_) != 0) {
      }
      if (event_ == kEvEnd) break;
      Thr& d = thr_[cur_];  // kEvExit
      pthread_join(d.th, nullptr);  // hz3's thread-exit destructor is done when this returns
      d.started = false;
      start(cur_);  // a new real thread continues the logical thread
      sem_post(&d.sem);
    }
    if (!park_workers()) {
      for (int i = 0; i < kMaxThreads; ++i) {
        Thr& d = thr_[i];
        if (!d.started) continue;
        d.cmd = kCmdQuit;
        sem_post(&d.sem);
        pthread_join(d.th, nullptr);
        d.started = false;
      }
    }
    if (caller_pinned_) pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
  }
  struct Pool {
    Thr thr[kMaxThreads];
    sem_t main_sem;
    cpu_set_t cpu;
  };
  static Pool& det_pool() {
    static Pool* pool = [] {
      Pool* p = new Pool;
      sem_init(&p->main_sem, 0, 0);
      for (int i = 0; i < kMaxThreads; ++i) {
        p->thr[i].id = i;
        sem_init(&p->thr[i].sem, 0, 0);
        p->thr[i].mail.reserve(1024);  // capacity stays (see live_spans)
      }
      CPU_ZERO(&p->cpu);
      int c = sched_getcpu();
      CPU_SET(c < 0 ? 0 : c, &p->cpu);
      return p;
    }();
    return *pool;
  }
  static bool park_workers() {
    static bool on = [] {
      const char* e = getenv("HZ3_FUZZ_PARK_WORKERS");
      return !(e && e[0] == '0');
    }();
    return on;
  }

  // ---- free-running mode -----------------------------------------------------------
  static void* free_main(void* arg) {
    Thr* me = static_cast<Thr*>(arg);
    me->m->free_run(me->id);
    return nullptr;
  }
  void free_run(int t) {
    Thr& me = thr_[t];
    Obj* mine = slots_ + t * kSlotsPerThreadFree;
    const std::vector<uint8_t>& p = me.prog;
    size_t i = 0, oi = 0;
    while (i < p.size()) {
      ++oi;
      uint8_t op = p[i];
      const uint8_t* a = p.data() + i + 1;
      i += 1 + kOperandBytes[op];
      if (op == kExit)
        hz3_debug_thread_detach();
      else
        exec(oi, a, op, t, mine, kSlotsPerThreadFree, t * kSlotsPerThreadFree);
      drain_mail(t);
    }
    done_running_.fetch_add(1, std::memory_order_acq_rel);
    int n = nthreads_free_;
    while (done_running_.load(std::memory_order_acquire) < n) {
      drain_mail(t);
      sched_yield();
    }
    drain_mail(t);  // nobody sends any more
    for (int s = 0; s < kSlotsPerThreadFree; ++s) release(mine[s], opi_, t, t * kSlotsPerThreadFree + s);
    hz3_debug_flush_thread();
  }
  int nthreads_free_ = 0;
  void run_free() {
    free_mode_ = true;
    int t = 0;
    bool used[kMaxThreads] = {true};
    while (pos_ < size_) {
      uint8_t op = data_[pos_] % kNumOps;
      size_t n = 1 + kOperandBytes[op];
      if (pos_ + n > size_) break;
      if (op == kThread) {
        t = data_[pos_ + 1] % kMaxThreads;
        used[t] = true;
      } else {
        if (op == kXfer) used[data_[pos_ + 2] % kMaxThreads] = true;  // its mailbox needs a reader
        thr_[t].prog.push_back(op);
        thr_[t].prog.insert(thr_[t].prog.end(), data_ + pos_ + 1, data_ + pos_ + n);
      }
      pos_ += n;
    }
    for (int i = 0; i < kMaxThreads; ++i) nthreads_free_ += used[i];
    for (int i = 0; i < kMaxThreads; ++i) {
      thr_[i].m = this;
      thr_[i].id = i;
      if (used[i] && pthread_create(&thr_[i].th, nullptr, free_main, &thr_[i]) != 0) abort();
    }
    for (int i = 0; i < kMaxThreads; ++i)
      if (used[i]) pthread_join(thr_[i].th, nullptr);
  }

 public:
  // ---- scheduled mode (sched_fuzz) ----------------------------------------------------
  // The Machine's data is the op program alone (no version or flags bytes).
  // sched_prepare splits it into `nthreads` streams on the controller;
  // sched_run(t) runs stream t on scheduled thread t (between the scheduler's
  // thread_enter and thread_leave); sched_finish checks conservation on the
  // controller once every thread has left.
  void sched_prepare(int nthreads) {
    free_mode_ = true;
    selftest_armed_ = selftest_mode() == 1;
    live_.clear();
    nmod_ = nthreads;
    nthreads_free_ = nthreads;
    int t = 0;
    size_t idx = 0;
    for (size_t pos = 0; pos < size_;) {
      uint8_t op = data_[pos] % kNumOps;
      size_t n = 1 + kOperandBytes[op];
      if (pos + n > size_) break;
      ++idx;
      if (op == kThread) {
        t = data_[pos + 1] % nthreads;
      } else {
        thr_[t].prog.push_back(op);
        thr_[t].prog.insert(thr_[t].prog.end(), data_ + pos + 1, data_ + pos + n);
        thr_[t].opidx.push_back(uint32_t(idx));
      }
      pos += n;
    }
    for (int i = 0; i < kMaxThreads; ++i) {
      thr_[i].m = this;
      thr_[i].id = i;
    }
  }
  void sched_run(int t) {
    Thr& me = thr_[t];
    const int base = t * kSlotsPerThreadFree;
    Obj* mine = slots_ + base;
    const std::vector<uint8_t>& p = me.prog;
    size_t i = 0, k = 0, oi = 0;
    while (i < p.size()) {
      uint8_t op = p[i];
      const uint8_t* a = p.data() + i + 1;
      i += 1 + kOperandBytes[op];
      oi = me.opidx[k++];
      sched_op(oi, op, a, t, mine, base);
      sched_drain(t, oi);
    }
    done_running_.fetch_add(1, std::memory_order_acq_rel);
    while (done_running_.load(std::memory_order_acquire) < nthreads_free_) {
      sched_drain(t, oi);
      cfg_.wait();
    }
    sched_drain(t, oi);  // nobody sends any more
    for (int s = 0; s < kSlotsPerThreadFree; ++s)
      if (mine[s].p) {
        cfg_.note("END.FREE", mine[s].p, mine[s].size);
        release(mine[s], oi, t, base + s);
      }
    cfg_.note("DETACH", nullptr, 0);
    hz3_debug_thread_detach();
  }
  void sched_finish() { hz3_debug_heap_check_or_die(nullptr, 0); }

 private:
  static const char* xfer_name(int to) {
    static constexpr const char* kNames[kMaxThreads] = {"XFER->t0", "XFER->t1", "XFER->t2", "XFER->t3",
                                                        "XFER->t4", "XFER->t5", "XFER->t6", "XFER->t7"};
    return kNames[to];
  }
  static const char* bind_name(int shard) {
    static constexpr const char* kNames[8] = {"BIND->s0", "BIND->s1", "BIND->s2", "BIND->s3",
                                              "BIND->s4", "BIND->s5", "BIND->s6", "BIND->s7"};
    return shard < 8 ? kNames[shard] : "BIND";
  }
  // One op of a scheduled stream, reported for the trace: an op that frees,
  // reads or moves an object when it starts (its box steps follow), an
  // allocation when it returns (its box steps come before it).
  void sched_op(size_t oi, uint8_t op, const uint8_t* a, int t, Obj* mine, int base) {
    switch (op) {
      case kExit:
        cfg_.note("EXIT", nullptr, 0);
        hz3_debug_thread_detach();
        return;
      case kFlush: cfg_.note("FLUSH", nullptr, 0); break;
      case kBind: {
        unsigned shard = a[0] % hz3_num_shards();
        cfg_.note(bind_name(int(shard)), nullptr, shard);
        break;
      }
      case kFree:
      case kUsable: {
        const Obj& o = mine[a[0] % kSlotsPerThreadFree];
        cfg_.note(kOpNames[op], o.p, o.size);
        break;
      }
      case kXfer: {
        const Obj& o = mine[a[0] % kSlotsPerThreadFree];
        cfg_.note(xfer_name(a[1] % nmod_), o.p, o.size);
        break;
      }
      default: break;
    }
    exec(oi, a, op, t, mine, kSlotsPerThreadFree, base);
    if (op == kMalloc || op == kCalloc || op == kRealloc || op == kMemalign) {
      const Obj& o = mine[a[0] % kSlotsPerThreadFree];
      cfg_.note(kOpNames[op], o.p, o.size);
    }
  }
  // Frees what other threads (or this one) mailed to t: remote frees.
  void sched_drain(int t, size_t oi) {
    Thr& me = thr_[t];
    std::vector<Mail> mail;
    {
      std::lock_guard<std::mutex> g(me.mail_mu);
      if (me.mail.empty()) return;
      mail.swap(me.mail);
    }
    for (Mail& m : mail) {
      cfg_.note(m.o.owner == t ? "MAIL.FREE(local)" : "MAIL.FREE(remote)", m.o.p, m.o.size);
      release(m.o, oi, t, m.from_slot);
    }
  }
};

inline void run_input(const uint8_t* data, size_t size, const Config& cfg) {
  Machine m(data, size, cfg);
  m.run();
}

}  // namespace hz3fuzz
