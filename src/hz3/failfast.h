// Fail-fast reporting: the one place every hz3 failure message is formatted.
// A failure prints exactly one line on stderr,
//   hz3: FAILFAST <check> where=<box> shard=<s> sc=<c> ptr=<p> <detail>
// and aborts. Formatting uses a fixed stack buffer and write(2): no malloc,
// no stdio, safe from inside the allocator.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hz3 {

inline constexpr int kNoShardField = -1;  // printed as "-"
inline constexpr int kNoScField = -1;

// Fixed-capacity text builder for report lines and the config line.
class LineBuf {
 public:
  LineBuf& str(const char* s);
  LineBuf& dec(uint64_t v);
  LineBuf& sdec(int64_t v);
  LineBuf& hex(uintptr_t v);
  LineBuf& kv(const char* key, uint64_t v) { return str(" ").str(key).str("=").dec(v); }
  LineBuf& kvp(const char* key, const void* p) {
    return str(" ").str(key).str("=").hex(reinterpret_cast<uintptr_t>(p));
  }
  const char* c_str() const { return buf_; }
  size_t size() const { return len_; }
  void write_stderr() const;

 private:
  char buf_[512] = {};
  size_t len_ = 0;
};

// The flight recorder's dump, run after the FAILFAST line once set. Set by
// global_init (alloc.cc), so that this file does not link the thread caches
// into programs that use only the boxes (mpsc_fuzz, the box tests).
using FailfastHook = void (*)();
void failfast_set_flight_dump(FailfastHook dump);

// Print the FAILFAST line and abort. `detail` may be empty.
[[noreturn]] void failfast(const char* check, const char* where, int shard,
                                                  int sc, const void* ptr, const char* detail);
[[noreturn]] void failfast(const char* check, const char* where, int shard, int sc,
                           const void* ptr, const LineBuf& detail);

}  // namespace hz3
