// preload_cxx: a plain C++ program (linked against nothing special) that the
// integration tests run with LD_PRELOAD=libhz3.so. It exercises every
// allocation entry point a C++ program reaches through the C library and the
// C++ runtime, across threads and across fork():
//   - malloc/calloc/realloc/free, posix_memalign/aligned_alloc/memalign,
//     malloc_usable_size;
//   - new/delete (plain, array, sized, nothrow, aligned with 16..64 KiB and
//     4 MiB alignments), std::string/std::vector/std::map churn;
//   - std::thread producers handing objects to consumer threads that free them
//     (remote frees), with content checks;
//   - fork() while other threads are allocating: the child allocates, frees
//     objects the parent allocated, runs threads itself, and exits 0.
// With HZ3_EXPECT_PRELOAD=1 it also checks that hz3 really is the allocator
// (the hz3_* entry points of libhz3.so are visible). Exit status 0 when every
// check passes; a failed check prints "preload_cxx: FAIL ..." and exits 1.
#include <dlfcn.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<int> g_failures{0};

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      fprintf(stderr, "preload_cxx: FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
      g_failures.fetch_add(1);                                                               \
    }                                                                                        \
  } while (0)

// The optimizer may drop an allocation whose memory is never observed (and
// fold `malloc(n) == nullptr`); escaping the pointer keeps every call real.
template <class T>
T* escape(T* p) {
  asm volatile("" : : "r"(p) : "memory");
  return p;
}

bool aligned_to(const void* p, size_t a) { return (reinterpret_cast<uintptr_t>(p) & (a - 1)) == 0; }

void fill(void* p, size_t n, unsigned seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed + i * 31);
}
bool filled(const void* p, size_t n, unsigned seed) {
  auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i)
    if (b[i] != static_cast<unsigned char>(seed + i * 31)) return false;
  return true;
}

void c_api() {
  for (size_t sz : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{100}, size_t{2048}, size_t{2049},
                    size_t{65536}, size_t{65537}, size_t{1} << 20, size_t{5} << 20}) {
    void* p = escape(malloc(sz));
    CHECK(p != nullptr);
    CHECK(aligned_to(p, 16));
    CHECK(malloc_usable_size(p) >= sz);
    fill(p, sz, 7);
    void* q = realloc(p, sz * 2 + 8);
    CHECK(q != nullptr);
    CHECK(filled(q, sz, 7));
    q = realloc(q, sz / 2 + 1);
    CHECK(filled(q, sz / 2 + 1 < sz ? sz / 2 + 1 : sz, 7));
    free(q);
  }
  auto* z = static_cast<unsigned char*>(calloc(1000, 33));
  CHECK(z != nullptr);
  bool zero = true;
  for (size_t i = 0; i < 33000; ++i) zero &= z[i] == 0;
  CHECK(zero);
  free(z);
  volatile size_t half = SIZE_MAX / 2;
  void* ovf = escape(calloc(half, 4));
  CHECK(ovf == nullptr);  // overflow must fail, not wrap
  free(ovf);
  for (size_t a : {size_t{8}, size_t{16}, size_t{64}, size_t{256}, size_t{4096}, size_t{65536},
                   size_t{1} << 21, size_t{1} << 22}) {
    void* p = nullptr;
    CHECK(posix_memalign(&p, a, 100) == 0);
    escape(p);
    CHECK(p && aligned_to(p, a));
    fill(p, 100, 3);
    free(p);
    p = escape(aligned_alloc(a, a * 2));
    CHECK(p && aligned_to(p, a));
    free(p);
    p = escape(memalign(a, 3000));
    CHECK(p && aligned_to(p, a));
    free(p);
  }
  void* bad = nullptr;
  CHECK(posix_memalign(&bad, 24, 100) == EINVAL);
  free(nullptr);
}

struct alignas(64) Line {
  char bytes[64];
};
struct alignas(4096) PageObj {
  char bytes[4096];
  int id;
};
struct alignas(65536) Huge {
  char bytes[100];
};

void cxx_api() {
  auto* i = escape(new int(42));
  CHECK(*i == 42);
  delete i;
  auto* arr = new std::string[100];
  for (int k = 0; k < 100; ++k) arr[k] = std::string(static_cast<size_t>(k) * 10, static_cast<char>('a' + k % 26));
  for (int k = 0; k < 100; ++k) CHECK(arr[k].size() == static_cast<size_t>(k) * 10);
  delete[] arr;
  for (int k = 0; k < 64; ++k) {
    auto* l = escape(new Line);
    CHECK(aligned_to(l, 64));
    delete l;
    auto* pg = escape(new PageObj{});
    CHECK(aligned_to(pg, 4096));
    pg->id = k;
    delete pg;
    auto* h = escape(new Huge);
    CHECK(aligned_to(h, 65536));
    delete h;
    auto* la = escape(new Line[k + 1]);
    CHECK(aligned_to(la, 64));
    delete[] la;
  }
  void* big = ::operator new(1000, std::align_val_t{size_t{1} << 22});
  CHECK(aligned_to(big, size_t{1} << 22));
  ::operator delete(big, 1000, std::align_val_t{size_t{1} << 22});
  void* sized = escape(::operator new(333));
  ::operator delete(sized, 333);
  auto* nt = escape(new (std::nothrow) char[1000]);
  CHECK(nt != nullptr);
  delete[] nt;
  bool threw = false;
  try {
    volatile size_t huge = SIZE_MAX / 4;
    void* never = ::operator new(huge);
    ::operator delete(never);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw);
  std::map<std::string, std::vector<int>> m;
  for (int k = 0; k < 20000; ++k) m["key" + std::to_string(k % 3000)].push_back(k);
  CHECK(m.size() == 3000);
  size_t total = 0;
  for (auto& [key, v] : m) total += v.size();
  CHECK(total == 20000);
}

// Producers allocate and fill, consumers (other threads) check and free.
void cross_thread(int producers, int per_producer) {
  struct Item {
    void* p;
    size_t n;
    unsigned seed;
    std::unique_ptr<std::string> s;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Item> q;
  int done = 0;
  std::atomic<long> consumed{0};
  std::vector<std::thread> th;
  for (int t = 0; t < producers; ++t)
    th.emplace_back([&, t] {
      uint64_t s = 0x9E3779B97F4A7C15ull * (t + 1);
      for (int i = 0; i < per_producer; ++i) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        size_t n = 1 + s % (i % 64 == 0 ? 200000 : 3000);
        Item it{malloc(n), n, static_cast<unsigned>(s), std::make_unique<std::string>(n % 500, 'x')};
        fill(it.p, n, it.seed);
        std::lock_guard<std::mutex> g(mu);
        q.push_back(std::move(it));
        cv.notify_one();
      }
      std::lock_guard<std::mutex> g(mu);
      ++done;
      cv.notify_all();
    });
  for (int t = 0; t < producers; ++t)
    th.emplace_back([&] {
      for (;;) {
        std::unique_lock<std::mutex> g(mu);
        cv.wait(g, [&] { return !q.empty() || done == producers; });
        if (q.empty()) return;
        Item it = std::move(q.front());
        q.pop_front();
        g.unlock();
        CHECK(filled(it.p, it.n, it.seed));
        CHECK(it.s->size() == it.n % 500);
        free(it.p);
        consumed.fetch_add(1);
      }
    });
  for (auto& t : th) t.join();
  CHECK(consumed.load() == static_cast<long>(producers) * per_producer);
}

void fork_test() {
  // Objects allocated by the parent and by a since-exited thread; the child frees them.
  std::vector<void*> parent_objs;
  for (int k = 0; k < 2000; ++k) {
    parent_objs.push_back(malloc(16 + k % 1500));
    fill(parent_objs.back(), 16, static_cast<unsigned>(k));
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (int t = 0; t < 2; ++t)  // keep allocating while fork() runs
    busy.emplace_back([&] {
      std::vector<void*> v;
      while (!stop.load(std::memory_order_relaxed)) {
        v.push_back(malloc(64 + v.size() % 900));
        if (v.size() > 256) {
          for (void* p : v) free(p);
          v.clear();
        }
      }
      for (void* p : v) free(p);
    });
  for (int round = 0; round < 8; ++round) {
    pid_t pid = fork();
    if (pid == 0) {
      int bad = 0;
      for (size_t k = 0; k < parent_objs.size(); ++k) {
        if (!filled(parent_objs[k], 16, static_cast<unsigned>(k))) ++bad;
        free(parent_objs[k]);
      }
      cross_thread(2, 2000);
      std::string s;
      for (int k = 0; k < 10000; ++k) s += std::to_string(k);
      _exit(bad == 0 && g_failures.load() == 0 && s.size() > 10000 ? 0 : 3);
    }
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      fprintf(stderr, "preload_cxx: fork child round %d: %s %d\n", round,
              WIFSIGNALED(status) ? "killed by signal" : "exit status",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      g_failures.fetch_add(1);
    }
  }
  stop.store(true);
  for (auto& t : busy) t.join();
  for (size_t k = 0; k < parent_objs.size(); ++k) {
    CHECK(filled(parent_objs[k], 16, static_cast<unsigned>(k)));  // the child's frees were its own
    free(parent_objs[k]);
  }
}

}  // namespace

int main() {
  const char* expect = getenv("HZ3_EXPECT_PRELOAD");
  if (expect && expect[0] == '1') {
    auto shards = reinterpret_cast<unsigned (*)()>(dlsym(RTLD_DEFAULT, "hz3_num_shards"));
    auto config = reinterpret_cast<const char* (*)()>(dlsym(RTLD_DEFAULT, "hz3_config_string"));
    CHECK(shards != nullptr && config != nullptr);
    if (shards && config) printf("hz3 loaded: shards=%u config=%s\n", shards(), config());
  }
  c_api();
  cxx_api();
  cross_thread(4, 20000);
  fork_test();
  cross_thread(3, 5000);  // after the forks, the parent still works
  if (g_failures.load() != 0) {
    fprintf(stderr, "preload_cxx: %d check(s) failed\n", g_failures.load());
    return 1;
  }
  printf("preload_cxx: ok\n");
  return 0;
}
