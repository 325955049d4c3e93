// collision_storm: many more threads than shards. Meant for the `tolerant`
// lane (collisions allowed, OwnerExcl serializes consumers): with hz3 loaded,
// the thread count defaults to 4x the shard count, so every shard has
// several owners refilling from the same xfer and central at once. Under other
// allocators it is a many-thread remote-free storm.
//   collision_storm [--seed N] [--threads T] [--seconds S]
#include <thread>

#include "stress_common.h"

int main(int argc, char** argv) {
  const char* prog = "collision_storm";
  bool threads_given = false;
  for (int i = 1; i < argc; ++i) threads_given |= !strcmp(argv[i], "--threads");
  stress::Options o = stress::parse(argc, argv, "", [](const char*, const char*) { return false; });
  auto shards = stress::hooks().num_shards;
  if (!threads_given) o.threads = shards ? static_cast<int>(4 * shards()) : 32;
  const int T = o.threads;
  std::vector<stress::Mailbox> box(T);
  stress::Census census;
  stress::Progress progress(prog, o.seconds);
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};

  auto worker = [&](int me) {
    stress::Rng rng(o.seed * 104729 + me);
    std::vector<stress::Obj> held, inbox;
    uint64_t tag = static_cast<uint64_t>(me) << 40;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; ++i) held.push_back(stress::make(prog, census, 16 + rng.below(1024), ++tag));
      for (stress::Obj& x : held) {  // most frees are remote: they pile up in the shared owners' boxes
        if (rng.below(4)) box[rng.below(T)].send(x);
        else stress::destroy(prog, census, x);
      }
      held.clear();
      stress::receive(prog, census, box[me], inbox);
      if (me == 0) {
        progress.tick(census);
        if (progress.done()) stop.store(true);
      }
    }
    stress::finish_worker(prog, census, box[me], finished, T);
  };
  std::vector<std::thread> th;
  for (int t = 0; t < T; ++t) th.emplace_back(worker, t);
  for (auto& t : th) t.join();
  return stress::finish(prog, o, census, progress.elapsed());
}
