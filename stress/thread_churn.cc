// thread_churn: threads are created and destroyed continuously while they
// hold objects that others free. Each short-lived thread frees a random part
// of a shared pool (objects of threads that may have exited), allocates new
// tagged objects into the pool, and exits; its shard is released and reused
// by the next thread. Up to T threads live at once.
//   thread_churn [--seed N] [--threads T] [--seconds S] [--pool 20000] [--per-thread 500]
#include <thread>

#include "stress_common.h"

int main(int argc, char** argv) {
  const char* prog = "thread_churn";
  size_t pool_cap = 20000, per_thread = 500;
  stress::Options o = stress::parse(argc, argv, " [--pool N] [--per-thread N]", [&](const char* k, const char* v) {
    if (!strcmp(k, "--pool")) pool_cap = strtoul(v, nullptr, 10);
    else if (!strcmp(k, "--per-thread")) per_thread = strtoul(v, nullptr, 10);
    else return false;
    return true;
  });
  if (!pool_cap || !per_thread) stress::usage(argv[0], " (bad --pool/--per-thread)");
  std::mutex mu;
  std::vector<stress::Obj> pool;  // under mu
  stress::Census census;
  stress::Progress progress(prog, o.seconds);
  std::atomic<uint64_t> generation{0};

  auto life = [&](uint64_t gen) {
    stress::Rng rng(o.seed * 31337 + gen);
    std::vector<stress::Obj> mine;
    {
      std::lock_guard<std::mutex> g(mu);
      size_t take = pool.empty() ? 0 : rng.below(pool.size() / 2 + 1);
      for (size_t i = 0; i < take; ++i) {
        size_t j = rng.below(pool.size());
        mine.push_back(pool[j]);
        pool[j] = pool.back();
        pool.pop_back();
      }
    }
    for (const stress::Obj& x : mine) stress::destroy(prog, census, x);  // frees of other threads' objects
    mine.clear();
    for (size_t i = 0; i < per_thread; ++i)
      mine.push_back(stress::make(prog, census, 16 + rng.below(3000), (gen << 24) + i));
    for (size_t i = 0; i < mine.size(); i += 2) stress::destroy(prog, census, mine[i]);  // some die locally
    std::lock_guard<std::mutex> g(mu);
    for (size_t i = 1; i < mine.size(); i += 2)
      if (pool.size() < pool_cap) pool.push_back(mine[i]);
      else stress::destroy(prog, census, mine[i]);
    // returning exits the thread while its objects live on in the pool
  };

  std::vector<std::thread> live;
  while (!progress.done()) {
    while (static_cast<int>(live.size()) < o.threads) live.emplace_back(life, generation.fetch_add(1));
    live.front().join();
    live.erase(live.begin());
    progress.tick(census);
  }
  for (auto& t : live) t.join();
  for (const stress::Obj& x : pool) stress::destroy(prog, census, x);
  pool.clear();
  fprintf(stderr, "%s: %llu threads lived and died\n", prog, static_cast<unsigned long long>(generation.load()));
  return stress::finish(prog, o, census, progress.elapsed());
}
