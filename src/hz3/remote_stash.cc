#include "hz3/remote_stash.h"

#include "hz3/platform.h"
#include "hz3/sched_point.h"
#include "hz3/shard.h"

namespace hz3 {

void stash_flush_entry(StashEntry& e) {
  if (e.n) HZ3_SCHED_POINT_N("stash", "flush", e.head, e.n);
  if (e.n) push_remote_list(RemoteStash::owner_of(e.key), RemoteStash::sc_of(e.key), e.head, e.tail, e.n);
  e = StashEntry{};
}

void stash_push(RemoteStash& s, void* p, uint16_t owner, uint32_t sc) {
  uint32_t key = RemoteStash::key_of(owner, sc);
  StashEntry& e = s.e[RemoteStash::slot_of(key)];
  if (e.key != key) {
    stash_flush_entry(e);
    e.key = key;
    e.tail = p;
    set_next(p, nullptr);
  } else {
    set_next(p, e.head);
  }
  e.head = p;
  if (++e.n >= RemoteStash::flush_at(sc)) stash_flush_entry(e);
}

void stash_flush_all(RemoteStash& s) {
  for (StashEntry& e : s.e) stash_flush_entry(e);
}

}  // namespace hz3
