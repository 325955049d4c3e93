// Mutex: a thin pthread mutex usable in constant-initialized globals (hz3 may
// be called before any constructor runs), plus a scoped guard that can be
// compiled away when the caller's configuration needs no lock.
//
// In the schedule build (HZ3_SCHED=1) the lock is schedule-aware: acquiring
// and releasing are schedule points, and a thread that finds the lock taken
// gives the CPU to another scheduled thread instead of sleeping in the
// kernel, so no schedule can deadlock the harness (sched.h).
#pragma once
#include <pthread.h>

#include "hz3/sched_point.h"

namespace hz3 {

class Mutex {
 public:
  constexpr Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
#if HZ3_SCHED
  void lock() {
    HZ3_SCHED_POINT("lock", "acquire", this);
    while (!try_lock()) sched::lock_blocked(this);
  }
  void unlock() {
    pthread_mutex_unlock(&m_);
    sched::lock_released(this);
    HZ3_SCHED_POINT("lock", "released", this);
  }
#else
  void lock() { pthread_mutex_lock(&m_); }
  void unlock() { pthread_mutex_unlock(&m_); }
#endif
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
