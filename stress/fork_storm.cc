// fork_storm: fork while other threads allocate and free. The child (one
// thread, the forker) must find the allocator usable: it allocates, checks
// and frees objects of every size range, checks an object the parent filled
// before the fork, and exits 0. A child that deadlocks is killed after
// --child-timeout seconds and counts as a failure.
//   fork_storm [--seed N] [--threads T] [--seconds S] [--child-timeout 10]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "stress_common.h"

int main(int argc, char** argv) {
  const char* prog = "fork_storm";
  int child_timeout = 10;
  stress::Options o = stress::parse(argc, argv, " [--child-timeout S]", [&](const char* k, const char* v) {
    if (!strcmp(k, "--child-timeout")) child_timeout = atoi(v);
    else return false;
    return true;
  });
  stress::Census census;
  stress::Progress progress(prog, o.seconds);
  std::atomic<bool> stop{false};
  std::vector<stress::Mailbox> box(o.threads);

  auto worker = [&](int me) {  // background churn with remote frees
    stress::Rng rng(o.seed * 2654435761u + me);
    std::vector<stress::Obj> inbox;
    uint64_t tag = static_cast<uint64_t>(me + 1) << 48;
    while (!stop.load(std::memory_order_relaxed)) {
      stress::Obj x = stress::make(prog, census, 16 + rng.below(70000), ++tag);
      if (rng.below(2)) box[rng.below(o.threads)].send(x);
      else stress::destroy(prog, census, x);
      stress::receive(prog, census, box[me], inbox);
    }
  };
  std::vector<std::thread> th;
  for (int t = 0; t < o.threads; ++t) th.emplace_back(worker, t);

  uint64_t forks = 0, failures = 0;
  stress::Rng rng(o.seed);
  while (!progress.done()) {
    stress::Obj before = stress::make(prog, census, 1 + rng.below(5000), 0xF0F0 + forks);
    pid_t pid = fork();
    if (pid == 0) {
      alarm(static_cast<unsigned>(child_timeout));  // a deadlocked child dies by SIGALRM
      stress::check(prog, before.p, before.size, before.tag);
      stress::Census child;
      // Only the allocator under test may allocate in the child: the child's
      // own bookkeeping lives on the stack. (In the in-process build the
      // system allocator is the sanitizer's, and clang 14's ASan does not
      // hold its allocator lock across fork: a child that used it while
      // another parent thread was inside it deadlocked in the campaign.)
      static constexpr int kChildObjects = 2000;
      stress::Obj mine[kChildObjects];
      for (int i = 0; i < kChildObjects; ++i)
        mine[i] = stress::make(prog, child, 1 + rng.below(i % 50 ? 4096 : 200000), i);
      for (const stress::Obj& x : mine) stress::destroy(prog, child, x);
      stress::xfree(before.p);
      _exit(child.live.load() == 0 ? 0 : 3);
    }
    if (pid < 0) stress::fail(prog, "fork_failed", nullptr, forks);
    int status = 0;
    waitpid(pid, &status, 0);
    ++forks;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++failures;
      fprintf(stderr, "%s: FAILED child %d: %s %d\n", prog, pid, WIFSIGNALED(status) ? "signal" : "exit",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
    stress::destroy(prog, census, before);
    progress.tick(census);
  }
  stop.store(true);
  for (auto& t : th) t.join();
  std::vector<stress::Obj> inbox;
  for (auto& b : box) stress::receive(prog, census, b, inbox);
  fprintf(stderr, "%s: %llu forks, %llu failed children\n", prog, static_cast<unsigned long long>(forks),
          static_cast<unsigned long long>(failures));
  int rc = stress::finish(prog, o, census, progress.elapsed());
  return failures ? 1 : rc;
}
