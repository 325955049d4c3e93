// C++ operators new and delete (plain, sized, aligned, nothrow) for
// libhz3.so. This edge is compiled with exceptions: a failed throwing new
// calls the new-handler and throws std::bad_alloc as the standard requires.
#include <new>

#include "hz3/alloc.h"

#define HZ3_EXPORT __attribute__((visibility("default")))

namespace {

void* new_or_throw(size_t size, size_t align) {
  for (;;) {
    void* p = align <= 16 ? hz3::malloc_fast(size) : hz3::memalign_impl(align, size);
    if (p) return p;
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}

void* new_nothrow(size_t size, size_t align) noexcept {
  try {
    return new_or_throw(size, align);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

HZ3_EXPORT void* operator new(size_t n) { return new_or_throw(n, 16); }
HZ3_EXPORT void* operator new[](size_t n) { return new_or_throw(n, 16); }
HZ3_EXPORT void* operator new(size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 16); }
HZ3_EXPORT void* operator new[](size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 16); }
HZ3_EXPORT void* operator new(size_t n, std::align_val_t a) { return new_or_throw(n, static_cast<size_t>(a)); }
HZ3_EXPORT void* operator new[](size_t n, std::align_val_t a) { return new_or_throw(n, static_cast<size_t>(a)); }
HZ3_EXPORT void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}
HZ3_EXPORT void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}

HZ3_EXPORT void operator delete(void* p) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete[](void* p) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete(void* p, size_t) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete[](void* p, size_t) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete(void* p, std::align_val_t) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete[](void* p, std::align_val_t) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete(void* p, size_t, std::align_val_t) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete[](void* p, size_t, std::align_val_t) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { hz3::free_fast(p); }
HZ3_EXPORT void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { hz3::free_fast(p); }
