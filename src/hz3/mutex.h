// Mutex: a thin pthread mutex usable in constant-initialized globals (hz3 may
// be called before any constructor runs), plus a scoped guard that can be
// compiled away when the caller's configuration needs no lock.
#pragma once
#include <pthread.h>

namespace hz3 {

class Mutex {
 public:
  constexpr Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() { pthread_mutex_lock(&m_); }
  void unlock() { pthread_mutex_unlock(&m_); }
  bool try_lock() { return pthread_mutex_trylock(&m_) == 0; }

 private:
  pthread_mutex_t m_ = PTHREAD_MUTEX_INITIALIZER;
};

template <bool kEnabled>
class MaybeLock {
 public:
  explicit MaybeLock(Mutex& m) : m_(m) {
    if constexpr (kEnabled) m_.lock();
  }
  ~MaybeLock() {
    if constexpr (kEnabled) m_.unlock();
  }
  MaybeLock(const MaybeLock&) = delete;
  MaybeLock& operator=(const MaybeLock&) = delete;

 private:
  Mutex& m_;
};
using LockGuard = MaybeLock<true>;

}  // namespace hz3
