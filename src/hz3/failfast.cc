#include "hz3/failfast.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "hz3/config.h"
#include "hz3/sched_point.h"

namespace hz3 {

namespace {
constinit std::atomic<FailfastHook> g_flight_dump{nullptr};
}  // namespace

void failfast_set_flight_dump(FailfastHook dump) { g_flight_dump.store(dump, std::memory_order_release); }

LineBuf& LineBuf::str(const char* s) {
  while (s && *s && len_ + 1 < sizeof(buf_)) buf_[len_++] = *s++;
  buf_[len_] = 0;
  return *this;
}

LineBuf& LineBuf::dec(uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n && len_ + 1 < sizeof(buf_)) buf_[len_++] = tmp[--n];
  buf_[len_] = 0;
  return *this;
}

LineBuf& LineBuf::sdec(int64_t v) {
  if (v < 0) {
    str("-");
    return dec(static_cast<uint64_t>(-(v + 1)) + 1);
  }
  return dec(static_cast<uint64_t>(v));
}

LineBuf& LineBuf::hex(uintptr_t v) {
  static const char kDigits[] = "0123456789abcdef";
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = kDigits[v & 15];
    v >>= 4;
  } while (v);
  str("0x");
  while (n && len_ + 1 < sizeof(buf_)) buf_[len_++] = tmp[--n];
  buf_[len_] = 0;
  return *this;
}

void LineBuf::write_stderr() const {
  size_t off = 0;
  while (off < len_) {
    ssize_t w = ::write(2, buf_ + off, len_ - off);
    if (w <= 0) return;
    off += static_cast<size_t>(w);
  }
}

void failfast(const char* check, const char* where, int shard, int sc, const void* ptr,
              const char* detail) {
  LineBuf line;
  line.str("hz3: FAILFAST ").str(check).str(" where=").str(where).str(" shard=");
  if (shard < 0) line.str("-"); else line.dec(static_cast<uint64_t>(shard));
  line.str(" sc=");
  if (sc < 0) line.str("-"); else line.dec(static_cast<uint64_t>(sc));
  line.kvp("ptr", ptr);
  if (detail && *detail) line.str(" ").str(detail);
  line.str("\n");
  line.write_stderr();
  if (FailfastHook dump = g_flight_dump.load(std::memory_order_acquire)) dump();  // the threads' last box operations
#if HZ3_SCHED
  sched::dump_trace();  // the interleaving that led here, after the one greppable line
#endif
  std::abort();
}

void failfast(const char* check, const char* where, int shard, int sc, const void* ptr,
              const LineBuf& detail) {
  // detail starts with a space when built with kv(); trim it so the line has single spaces.
  const char* d = detail.c_str();
  while (*d == ' ') ++d;
  failfast(check, where, shard, sc, ptr, d);
}

}  // namespace hz3
