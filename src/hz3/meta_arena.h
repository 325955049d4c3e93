// MetaArena: memory for the allocator's own records (thread caches, S86
// shadows), carved from OS mappings and never returned. hz3 never calls
// malloc for itself.
#pragma once
#include <cstddef>

namespace hz3 {

// Zeroed, 64-byte aligned; aborts with a FAILFAST line if the OS refuses.
void* meta_alloc(size_t bytes);
void meta_fork_lock();
void meta_fork_unlock();

}  // namespace hz3
