// mt_remote: the work order's benchmark workload with verification on.
// T threads, each with WS slots; an iteration frees a full slot (R% of the
// frees go to another thread's mailbox and are freed there) or fills an empty
// one with a tagged object of a random size in [MIN, MAX].
//   mt_remote [--seed N] [--threads T] [--seconds S] [--ws 400] [--min 16] [--max 2048] [--remote 90]
#include <thread>

#include "stress_common.h"

int main(int argc, char** argv) {
  const char* prog = "mt_remote";
  size_t ws = 400, min = 16, max = 2048;
  int remote = 90;
  stress::Options o = stress::parse(argc, argv, " [--ws N] [--min B] [--max B] [--remote PCT]",
                                    [&](const char* k, const char* v) {
                                      if (!strcmp(k, "--ws")) ws = strtoul(v, nullptr, 10);
                                      else if (!strcmp(k, "--min")) min = strtoul(v, nullptr, 10);
                                      else if (!strcmp(k, "--max")) max = strtoul(v, nullptr, 10);
                                      else if (!strcmp(k, "--remote")) remote = atoi(v);
                                      else return false;
                                      return true;
                                    });
  if (!ws || min > max || remote < 0 || remote > 100) stress::usage(argv[0], " (bad --ws/--min/--max/--remote)");
  const int T = o.threads;
  std::vector<stress::Mailbox> box(T);
  stress::Census census;
  stress::Progress progress(prog, o.seconds);
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};

  auto worker = [&](int me) {
    stress::Rng rng(o.seed * 1000003 + me);
    std::vector<stress::Obj> slots(ws, stress::Obj{nullptr, 0, 0});
    std::vector<stress::Obj> inbox;
    uint64_t tag = static_cast<uint64_t>(me) << 48;
    for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      stress::Obj& s = slots[rng.below(ws)];
      if (s.p) {
        if (T > 1 && static_cast<int>(rng.below(100)) < remote)
          box[(me + 1 + rng.below(T - 1)) % T].send(s);
        else
          stress::destroy(prog, census, s);
        s.p = nullptr;
      } else {
        s = stress::make(prog, census, min + rng.below(max - min + 1), ++tag);
      }
      if ((i & 63) == 0) {
        stress::receive(prog, census, box[me], inbox);
        if (me == 0) {
          progress.tick(census);
          if (progress.done()) stop.store(true);
        }
      }
    }
    for (const stress::Obj& s : slots)
      if (s.p) stress::destroy(prog, census, s);
    stress::finish_worker(prog, census, box[me], finished, T);
  };
  std::vector<std::thread> th;
  for (int t = 0; t < T; ++t) th.emplace_back(worker, t);
  for (auto& t : th) t.join();
  return stress::finish(prog, o, census, progress.elapsed());
}
