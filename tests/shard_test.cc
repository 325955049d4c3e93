// Owner shards: claiming, release and reuse at thread exit, binding, rings of
// threads freeing each other's objects, forced collisions (lanes that allow
// them) and fork() while other threads allocate.
#include <execinfo.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/alloc.h"
#include "hz3/config.h"
#include "hz3/segment.h"
#include "hz3/shard.h"
#include "hz3/size_class.h"
#include "hz3/thread_cache.h"
#include "test_util.h"

#if HZ3_TEST_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

using hz3test::HeapOk;

namespace {

using Clock = std::chrono::steady_clock;

using ShardMT = hz3test::HeapNeutralTest;

// Threads that exchange objects: each has an inbox; what it allocates goes
// partly to a peer's inbox (a remote free there) and partly stays local.
// Neither calls the process's own allocator once the workers run: a fork test
// forks while they churn, a child inherits every lock as it was at fork()
// time, and ASan's allocator (clang 14) takes none of its locks around
// fork(), so a worker inside the system malloc then left the child's thread
// exit (or creation) waiting forever on a lock of a thread that is gone. So
// the inbox is a fixed array (when it is full the sender keeps the object)
// and a local list stays within a reserve of 128 (at most 64 + 8 objects).
struct Inbox {
  std::mutex mu;
  void* objs[4096];
  size_t n = 0;
  bool Put(void* p) {
    std::lock_guard<std::mutex> g(mu);
    if (n == std::size(objs)) return false;
    objs[n++] = p;
    return true;
  }
  void FreeAll() {
    std::lock_guard<std::mutex> g(mu);
    for (size_t i = 0; i < n; ++i) hz3_free(objs[i]);
    n = 0;
  }
};

// One step of churn for a worker: allocate a few, pass some on, free some
// local and everything in its own inbox.
void Churn(hz3test::Rng& rng, std::vector<void*>& local, Inbox& mine, Inbox& peer, bool allow_large) {
  for (int k = 0; k < 8; ++k) {
    size_t n = hz3test::MixedSize(rng, allow_large && rng.Below(8) == 0);
    void* p = hz3_malloc(n);
    if (!p) continue;
    static_cast<unsigned char*>(p)[0] = 0x5a;
    if (!rng.Below(2) || !peer.Put(p)) local.push_back(p);
  }
  while (local.size() > 64) {
    size_t i = rng.Below(static_cast<uint32_t>(local.size()));
    std::swap(local[i], local.back());
    hz3_free(local.back());
    local.pop_back();
  }
  mine.FreeAll();
}

// Per-worker local lists, reserved before the workers start (see Inbox).
std::vector<std::vector<void*>> LocalLists(unsigned k) {
  std::vector<std::vector<void*>> local(k);
  for (auto& l : local) l.reserve(128);
  return local;
}

// Threads holding a shard right now, summed over every shard.
unsigned TotalSharers() {
  unsigned n = 0;
  for (unsigned s = 0; s < hz3_num_shards(); ++s) n += hz3_debug_shard_sharers(s);
  return n;
}

TEST_F(ShardMT, CurrentShardIsInRangeAndHeld) {
  unsigned s = hz3_debug_current_shard();
  EXPECT_LT(s, hz3_num_shards());
  EXPECT_GE(hz3_debug_shard_sharers(s), 1u);
  EXPECT_EQ(hz3_debug_shard_sharers(hz3_num_shards()), 0u) << "out of range reads as 0";
  EXPECT_EQ(hz3_debug_current_shard(), s) << "stable for the thread";
}

TEST_F(ShardMT, LiveThreadsGetDistinctShards) {
  const unsigned k = std::min(hz3_num_shards() - 1, 6u);
  unsigned main_shard = hz3_debug_current_shard();
  std::vector<unsigned> got(k);
  hz3test::Barrier all(k + 1);
  std::vector<std::thread> ts;
  for (unsigned i = 0; i < k; ++i)
    ts.emplace_back([&, i] {
      got[i] = hz3_debug_current_shard();
      all.Wait();  // everyone alive at once
      all.Wait();
    });
  all.Wait();
  std::set<unsigned> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), k);
  EXPECT_EQ(distinct.count(main_shard), 0u);
  for (unsigned s : got) EXPECT_EQ(hz3_debug_shard_sharers(s), 1u) << "shard " << s;
  all.Wait();
  for (auto& t : ts) t.join();
  for (unsigned s : got) EXPECT_EQ(hz3_debug_shard_sharers(s), 0u) << "shard " << s << " not released at exit";
}

TEST_F(ShardMT, ExitedThreadsShardIsReused) {
  unsigned first = 0, second = 0;
  std::vector<void*> left;
  std::thread a([&] {
    first = hz3_debug_current_shard();
    for (int i = 0; i < 300; ++i) {
      void* p = hz3_malloc(static_cast<size_t>(i * 13 % 3000));
      if (i % 3) hz3_free(p); else left.push_back(p);  // some outlive the thread
    }
  });
  a.join();
  EXPECT_EQ(hz3_debug_shard_sharers(first), 0u);
  EXPECT_TRUE(HeapOk(left)) << "an exiting thread flushes its cache";
  std::thread b([&] {
    second = hz3_debug_current_shard();
    for (void* p : left) hz3_free(p);  // local again: b owns the shard they came from
    void* q = hz3_malloc(10);
    hz3_free(q);
  });
  b.join();
  EXPECT_EQ(second, first);
  EXPECT_TRUE(HeapOk({}));
}

// Twice as many threads as shards over the test's life, a few at a time:
// every exit must release its shard, or the later ones find none free.
TEST_F(ShardMT, ShortLivedThreadsNeverLeakShards) {
  ASSERT_EQ(TotalSharers(), 1u) << "only the main thread holds a shard";
  const unsigned total = 2 * hz3_num_shards() + 8;
  std::vector<void*> handed;  // objects that outlive their thread
  std::mutex mu;
  for (unsigned done = 0; done < total;) {
    std::vector<std::thread> wave;
    for (unsigned k = 0; k < 4 && done < total; ++k, ++done)
      wave.emplace_back([&, done] {
        void* keep = hz3_malloc(16 + done % 1000);
        for (int i = 0; i < 20; ++i) hz3_free(hz3_malloc(static_cast<size_t>(i * 100)));
        std::vector<void*> mine;
        {
          std::lock_guard<std::mutex> g(mu);
          mine.swap(handed);
          handed.push_back(keep);
        }
        for (void* p : mine) hz3_free(p);  // remote: their owners have exited
      });
    for (auto& t : wave) t.join();
  }
  EXPECT_EQ(TotalSharers(), 1u);
  EXPECT_TRUE(HeapOk(handed));
  for (void* p : handed) hz3_free(p);
}

// A thread_local destructor and a later pthread key destructor use hz3 after
// (or around) hz3's own exit teardown: the thread must still end up with no
// shard held and nothing lost.
struct TlsUser {
  void* p = nullptr;
  ~TlsUser() {
    hz3_free(p);
    hz3_free(hz3_malloc(333));
  }
};
thread_local TlsUser t_tls_user;

void KeyDestructor(void* v) {
  hz3_free(v);
  hz3_free(hz3_malloc(4444));  // may run after hz3's teardown: sets up a cache again
}

TEST_F(ShardMT, ExitDestructorsMayUseTheAllocator) {
  pthread_key_t key;
  ASSERT_EQ(pthread_key_create(&key, KeyDestructor), 0);
  for (int round = 0; round < 3; ++round) {
    std::thread t([key] {
      t_tls_user.p = hz3_malloc(100);
      pthread_setspecific(key, hz3_malloc(200));
      hz3_free(hz3_malloc(50));
    });
    t.join();
    EXPECT_EQ(TotalSharers(), 1u) << "a shard stayed claimed after its thread exited";
    EXPECT_TRUE(HeapOk({}));
  }
  pthread_key_delete(key);
}

TEST_F(ShardMT, DetachReleasesAndNextCallReclaims) {
  std::thread t([] {
    unsigned s = hz3_debug_current_shard();
    void* p = hz3_malloc(100);
    EXPECT_EQ(hz3_debug_shard_sharers(s), 1u);
    hz3_debug_thread_detach();
    EXPECT_EQ(hz3_debug_shard_sharers(s), 0u);
    hz3_free(p);  // sets up a fresh cache; p is local or remote depending on the shard
    unsigned again = hz3_debug_current_shard();
    EXPECT_EQ(hz3_debug_shard_sharers(again), 1u);
    EXPECT_EQ(again, s) << "the lowest free shard is the one just released";
  });
  t.join();
}

TEST_F(ShardMT, BindOutOfRangeFails) {
  EXPECT_EQ(hz3_debug_bind_shard(hz3_num_shards()), -1);
  EXPECT_EQ(hz3_debug_bind_shard(UINT_MAX), -1);
}

TEST_F(ShardMT, BindToAFreeShard) {
  const unsigned target = hz3_num_shards() - 1;  // nobody claims the top shard here
  ASSERT_EQ(hz3_debug_shard_sharers(target), 0u);
  std::vector<void*> kept;
  std::thread t([&] {
    unsigned old = hz3_debug_current_shard();
    void* before = hz3_malloc(64);  // owned by the old shard
    ASSERT_EQ(hz3_debug_bind_shard(target), 0);
    EXPECT_EQ(hz3_debug_current_shard(), target);
    EXPECT_EQ(hz3_debug_shard_sharers(target), 1u);
    EXPECT_EQ(hz3_debug_shard_sharers(old), 0u) << "binding releases the previous shard";
    EXPECT_EQ(hz3_debug_bind_shard(target), 0) << "binding to the current shard is a no-op";
    EXPECT_EQ(hz3_debug_shard_sharers(target), 1u);
    for (int i = 0; i < 200; ++i) kept.push_back(hz3_malloc(static_cast<size_t>(i * 40)));
    hz3_free(before);  // now a remote free
  });
  t.join();
  EXPECT_EQ(hz3_debug_shard_sharers(target), 0u);
  EXPECT_TRUE(HeapOk(kept));
  for (void* p : kept) hz3_free(p);
}

// Many threads (at most one per shard) free each other's objects in a ring for
// about a second; conservation is checked once mid-run with everyone parked
// (caches and stashes full, objects in flight named as live) and at the end.
TEST_F(ShardMT, RingOfRemoteFrees) {
  const unsigned k = std::min(hz3_num_shards() - 1, 8u);
  ASSERT_GE(k, 2u);
  std::vector<std::unique_ptr<Inbox>> inbox;
  for (unsigned i = 0; i < k; ++i) inbox.push_back(std::make_unique<Inbox>());
  auto local = LocalLists(k);
  hz3test::Barrier park(k + 1), resume(k + 1), stopped(k + 1), drained(k + 1);
  auto phase = std::chrono::milliseconds(500);
  std::vector<std::thread> ts;
  std::atomic<uint64_t> steps{0};
  for (unsigned i = 0; i < k; ++i) {
    ts.emplace_back([&, i] {
      hz3test::Rng rng(1000 + i);
      for (int round = 0; round < 2; ++round) {
        auto end = Clock::now() + phase;
        while (Clock::now() < end) {
          Churn(rng, local[i], *inbox[i], *inbox[(i + 1) % k], true);
          steps.fetch_add(1, std::memory_order_relaxed);
        }
        if (round == 0) {
          park.Wait();
          resume.Wait();
        }
      }
      stopped.Wait();  // nobody puts into inboxes any more
      inbox[i]->FreeAll();
      for (void* p : local[i]) hz3_free(p);
      local[i].clear();
      drained.Wait();
    });
  }
  park.Wait();
  {
    std::vector<void*> live;
    for (unsigned i = 0; i < k; ++i) {
      live.insert(live.end(), local[i].begin(), local[i].end());
      live.insert(live.end(), inbox[i]->objs, inbox[i]->objs + inbox[i]->n);
    }
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk(live, &r)) << "mid-run, " << live.size() << " objects in flight";
    EXPECT_GT(r.in_tcache, 0u);
  }
  resume.Wait();
  stopped.Wait();
  drained.Wait();
  for (auto& t : ts) t.join();
  EXPECT_GT(steps.load(), 100u);
}

#if !HZ3_SHARD_COLLISION_FAILFAST
// Collision-tolerant lanes: four threads forced onto shard 0 share its boxes
// and carving (serialized by OwnerExcl) while two outsiders on other shards
// exchange objects with them, so shard 0's xfer has several consumers.
TEST_F(ShardMT, ForcedCollisionsOnShardZero) {
  constexpr unsigned kBound = 4, kOutsiders = 2;
  hz3_debug_thread_detach();  // the main thread lets go of its shard
  ASSERT_EQ(hz3_debug_shard_sharers(0), 0u);
  Inbox exchange;
  hz3test::Barrier bound(kBound + 1), park(kBound + kOutsiders + 1), resume(kBound + kOutsiders + 1),
      stopped(kBound + kOutsiders + 1), drained(kBound + kOutsiders + 1), checked(kBound + kOutsiders + 1);
  auto local = LocalLists(kBound + kOutsiders);
  std::vector<std::unique_ptr<Inbox>> inbox;
  for (unsigned i = 0; i < kBound + kOutsiders; ++i) inbox.push_back(std::make_unique<Inbox>());
  std::atomic<int> bind_failures{0};
  auto worker = [&](unsigned i, bool bind) {
    hz3test::Rng rng(77 + i);
    if (bind) {
      if (hz3_debug_bind_shard(0) != 0 || hz3_debug_current_shard() != 0) ++bind_failures;
      bound.Wait();
    }
    for (int round = 0; round < 2; ++round) {
      auto end = Clock::now() + std::chrono::milliseconds(250);
      while (Clock::now() < end) {
        // Peers: bound threads pass to outsiders and vice versa, and among themselves.
        unsigned peer = (i + 1 + rng.Below(kBound + kOutsiders - 1)) % (kBound + kOutsiders);
        Churn(rng, local[i], *inbox[i], *inbox[peer], false);
      }
      if (round == 0) {
        park.Wait();
        resume.Wait();
      }
    }
    stopped.Wait();
    inbox[i]->FreeAll();
    for (void* p : local[i]) hz3_free(p);
    local[i].clear();
    hz3_debug_flush_thread();
    drained.Wait();
    checked.Wait();  // parked while main checks the heap
  };
  std::vector<std::thread> ts;
  for (unsigned i = 0; i < kBound; ++i) ts.emplace_back(worker, i, true);
  bound.Wait();
  EXPECT_EQ(bind_failures.load(), 0);
  EXPECT_EQ(hz3_debug_shard_sharers(0), kBound) << "four threads bound to shard 0";
  for (unsigned i = kBound; i < kBound + kOutsiders; ++i) ts.emplace_back(worker, i, false);
  park.Wait();
  {
    std::vector<void*> live;
    for (unsigned i = 0; i < kBound + kOutsiders; ++i) {
      live.insert(live.end(), local[i].begin(), local[i].end());
      live.insert(live.end(), inbox[i]->objs, inbox[i]->objs + inbox[i]->n);
    }
    EXPECT_TRUE(HeapOk(live)) << "mid-run with shard 0 shared";
    EXPECT_EQ(hz3_debug_shard_sharers(0), kBound);
  }
  resume.Wait();
  stopped.Wait();
  drained.Wait();
  EXPECT_TRUE(HeapOk({})) << "after the collision run, threads still alive";
  EXPECT_EQ(hz3_debug_shard_sharers(0), kBound);
  checked.Wait();
  for (auto& t : ts) t.join();
  EXPECT_EQ(hz3_debug_shard_sharers(0), 0u) << "every bound thread released shard 0";
}
#endif

#if !HZ3_SHARD_COLLISION_FAILFAST
// More live threads than shards: the extra ones share (least-loaded first).
#if !HZ3_SHARD_COLLISION_FAILFAST
// Threads that share a shard share its central (config.h kShardsShared): a
// refill takes at most kSharedRefillBatches batches of a long central list
// and leaves the rest to its shard-mates, who then need not carve.
TEST_F(ShardMT, SharedShardRefillLeavesCentralToShardMates) {
  constexpr size_t kMateSize = 272;  // a class no other test here uses
  constexpr size_t kN = 2000;
  const uint32_t sc = hz3::size_to_class(kMateSize);
  const uint32_t cap = hz3::kSharedRefillBatches * hz3::class_batch(sc);
  ASSERT_GT(kN, 2 * cap);
  const unsigned target = hz3_num_shards() - 1;  // nobody claims the top shard here
  hz3test::Barrier refilled(2), done(2);
  void* held = nullptr;
  std::thread first([&] {
    ASSERT_EQ(hz3_debug_bind_shard(target), 0);
    std::vector<void*> objs(kN);
    for (void*& p : objs) p = hz3_malloc(kMateSize);
    for (void* p : objs) hz3_free(p);
    hz3_debug_flush_thread();  // all kN in the shard's central
    held = hz3_malloc(kMateSize);
    EXPECT_LT(hz3::t_cache->bins[sc].count, cap) << "the refill took more than its share of the central list";
    EXPECT_TRUE(hz3::shard_at(static_cast<uint16_t>(target)).central[sc].pending());
    refilled.Wait();
    done.Wait();
    hz3_free(held);
  });
  refilled.Wait();
  hz3_heap_report before;
  EXPECT_TRUE(HeapOk({held}, &before));
  std::thread mate([&] {
    ASSERT_EQ(hz3_debug_bind_shard(target), 0);
    EXPECT_EQ(hz3_debug_shard_sharers(target), 2u);
    void* p = hz3_malloc(kMateSize);
    EXPECT_EQ(hz3::segment_of(p)->owner, target);
    EXPECT_GT(hz3::t_cache->bins[sc].count, 0u) << "the shard-mate's refill found nothing in central";
    hz3_free(p);
  });
  mate.join();
  hz3_heap_report after;
  EXPECT_TRUE(HeapOk({held}, &after));
  EXPECT_EQ(after.carved, before.carved) << "the shard-mate carved while the central held the class";
  done.Wait();
  first.join();
}
#endif

TEST_F(ShardMT, MoreThreadsThanShardsShare) {
  const unsigned n = hz3_num_shards() + 4;
  hz3test::Barrier parked(n + 1), resume(n + 1);
  std::vector<std::vector<void*>> held(n);
  std::vector<std::thread> ts;
  for (unsigned i = 0; i < n; ++i)
    ts.emplace_back([&, i] {
      for (int k = 0; k < 100; ++k) held[i].push_back(hz3_malloc(static_cast<size_t>(k * 31 + i)));
      parked.Wait();
      resume.Wait();
      for (void* p : held[i]) hz3_free(p);
    });
  parked.Wait();
  EXPECT_EQ(TotalSharers(), n + 1);
  unsigned most = 0;
  for (unsigned s = 0; s < hz3_num_shards(); ++s) most = std::max(most, hz3_debug_shard_sharers(s));
  EXPECT_LE(most, 2u) << "sharing picks the least-loaded shard";
  std::vector<void*> live;
  for (auto& v : held) live.insert(live.end(), v.begin(), v.end());
  EXPECT_TRUE(HeapOk(live));
  resume.Wait();
  for (auto& t : ts) t.join();
  EXPECT_EQ(TotalSharers(), 1u);
}
#endif

#if !HZ3_TEST_TSAN
// The child's work: only hz3 and raw pthreads, no other allocator and no
// locks the parent's other threads might have held at fork time.
void* ChildFreeAll(void* arg) {
  void** v = static_cast<void**>(arg);
  for (int i = 0; i < 512; ++i) hz3_free(v[i]);
  void* q = hz3_malloc(1000);
  hz3_free(q);
  hz3_debug_flush_thread();
  return nullptr;
}

// A child that deadlocks says where before its alarm kills it: the stacks of
// its main thread and of its second thread (the test then fails on the signal).
std::atomic<pthread_t> g_child_thread{};
std::atomic<bool> g_child_thread_live{false};

void PrintOwnStack(const char* who) {
  (void)!write(2, who, strlen(who));
#if HZ3_TEST_ASAN
  __sanitizer_print_stack_trace();
#else
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
#endif
}

void ChildThreadStack(int) { PrintOwnStack("fork test: the child's second thread:\n"); }

void ChildAlarm(int) {
  PrintOwnStack("fork test: child alarm (deadlock after fork?), its main thread:\n");
  if (g_child_thread_live.load()) {
    pthread_kill(g_child_thread.load(), SIGUSR1);
    struct timespec t = {1, 0};
    nanosleep(&t, nullptr);
  }
  signal(SIGALRM, SIG_DFL);
  raise(SIGALRM);
}

[[noreturn]] void ChildAfterFork() {
#if !HZ3_TEST_ASAN
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now, not inside the handler
#endif
  signal(SIGALRM, ChildAlarm);
  signal(SIGUSR1, ChildThreadStack);
  alarm(10);  // a deadlock kills the child instead of hanging the test
  static void* ring[512];
  int bad = 0;
  for (int i = 0; i < 20000; ++i) {
    size_t n = static_cast<size_t>(i % 4000) * 17 + (i % 50 == 0 ? 100000 : 0);
    void* p = hz3_malloc(n);
    if (!p) ++bad; else if (n) static_cast<char*>(p)[n - 1] = 1;
    if (i >= 512) hz3_free(ring[i % 512]);
    ring[i % 512] = p;
  }
  pthread_t t;  // another thread of the child frees remotely
  if (pthread_create(&t, nullptr, ChildFreeAll, ring) != 0) {
    ++bad;
  } else {
    g_child_thread.store(t);
    g_child_thread_live.store(true);
    if (pthread_join(t, nullptr) != 0) ++bad;
    g_child_thread_live.store(false);
  }
  hz3_debug_flush_thread();
  _exit(bad ? 1 : 0);
}

// Forks; the child runs ChildAfterFork. True when it exited 0; otherwise
// a failure is added saying how it ended.
bool ForkChildRunsToTheEnd() {
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return false;
  }
  if (pid == 0) ChildAfterFork();  // never returns
  int status = 0;
  auto deadline = Clock::now() + std::chrono::seconds(15);
  pid_t w = 0;
  while ((w = waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (w == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ADD_FAILURE() << "forked child hung (deadlock after fork?)";
    return false;
  }
  if (w != pid) {
    ADD_FAILURE() << "waitpid returned " << w;
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "forked child " << (WIFSIGNALED(status) ? "killed by signal " : "exited with ")
                  << (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status))
                  << (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? " (alarm: deadlock after fork)" : "");
    return false;
  }
  return true;
}

// The atfork handlers' own proof. Other threads rarely hold a lock at the
// instant of a fork, so ForkWhileOtherThreadsAllocate passes even without
// the handlers; here a helper takes every lock they take (it runs the prepare
// handler itself) and lets go 100 ms after the fork was asked for. fork() must
// wait for it, so the child finds each lock free. Without the handlers the
// child inherits them held, and its first large malloc, its new thread's cache
// or its flush waits forever (the child's alarm).
TEST_F(ShardMT, ForkWaitsForTheLocksAnotherThreadHolds) {
  std::atomic<bool> held{false};
  std::thread holder([&] {
    hz3::fork_prepare();
    held.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    hz3::fork_release();
  });
  while (!held.load()) std::this_thread::yield();
  EXPECT_TRUE(ForkChildRunsToTheEnd());
  holder.join();
}

// fork() while other threads are inside hz3: the atfork handlers must leave
// every lock usable in the child. A deadlocked child is killed by its alarm
// (and by the parent's deadline), so a hang shows up as a failure.
// Not under TSan: TSan does not support a multi-threaded parent forking a
// child that then starts threads or takes the parent's locks.
TEST_F(ShardMT, ForkWhileOtherThreadsAllocate) {
  constexpr unsigned kThreads = 3;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Inbox>> inbox;
  for (unsigned i = 0; i < kThreads; ++i) inbox.push_back(std::make_unique<Inbox>());
  auto local = LocalLists(kThreads);
  hz3test::Barrier drained(kThreads + 1), go(kThreads + 1);
  std::vector<std::thread> ts;
  for (unsigned i = 0; i < kThreads; ++i)
    ts.emplace_back([&, i] {
      hz3test::Rng rng(5 + i);
      go.Wait();
      while (!stop.load(std::memory_order_relaxed)) Churn(rng, local[i], *inbox[i], *inbox[(i + 1) % kThreads], true);
      drained.Wait();  // stop putting before anyone drains
      inbox[i]->FreeAll();
      for (void* p : local[i]) hz3_free(p);
      local[i].clear();
    });
  go.Wait();
  for (int round = 0; round < 6; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    if (!ForkChildRunsToTheEnd()) break;
  }
  stop = true;
  drained.Wait();
  for (auto& t : ts) t.join();
}
#endif

}  // namespace
