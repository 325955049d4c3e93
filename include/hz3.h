/* hz3: a multi-threaded allocator with owner shards and MPSC remote-free boxes.
 *
 * In-process entry points (prefixed, so a program or a fuzzer under ASan can
 * call hz3 beside the system malloc) and the test hooks. The LD_PRELOAD
 * library (libhz3.so) exports the same allocator under the standard names.
 */
#ifndef HZ3_H_
#define HZ3_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HZ3_API __attribute__((visibility("default")))

HZ3_API void* hz3_malloc(size_t size);
HZ3_API void hz3_free(void* p);
HZ3_API void* hz3_calloc(size_t count, size_t size);
HZ3_API void* hz3_realloc(void* p, size_t size);
HZ3_API void* hz3_memalign(size_t align, size_t size);
HZ3_API int hz3_posix_memalign(void** out, size_t align, size_t size);
HZ3_API void* hz3_aligned_alloc(size_t align, size_t size);
HZ3_API void* hz3_valloc(size_t size);
HZ3_API void* hz3_pvalloc(size_t size);
HZ3_API size_t hz3_malloc_usable_size(const void* p);

/* ---- configuration -------------------------------------------------------
 * The effective compile-time configuration as one line:
 *   "lane=scale shards=96 xfer=lockfree central=lockfree ..."
 * HZ3_PRINT_CONFIG=1 in the environment prints "hz3: config <line>" on
 * stderr once, at the first allocation. */
HZ3_API const char* hz3_config_string(void);
HZ3_API unsigned hz3_num_shards(void);

/* ---- test hooks (debug.h) --------------------------------------------------
 * Compiled into every build, never on the hot path. */

/* Shard of the calling thread (sets up its cache if needed). */
HZ3_API unsigned hz3_debug_current_shard(void);
/* Number of threads bound to shard s. */
HZ3_API unsigned hz3_debug_shard_sharers(unsigned shard);
/* Move the calling thread to `shard`, even if another thread owns it (a
 * forced collision: aborts with FAILFAST shard_collision when collisions fail
 * fast). Flushes the caller's cache and stash first. Returns 0, or -1 if the
 * shard number is out of range. */
HZ3_API int hz3_debug_bind_shard(unsigned shard);
/* Flush the calling thread's bins to its shard's central and its remote
 * stash to the owners' xfer. */
HZ3_API void hz3_debug_flush_thread(void);
/* What a thread exit does, without exiting: flush, release the shard. */
HZ3_API void hz3_debug_thread_detach(void);
/* Pin the batches a bin holds before it drains (normally the live threads'
 * share of the bin budget, 2..8) to n (clamped to that range) for every
 * thread, and set the calling thread's bin caps to it now; other threads'
 * bins take it at their next refill. 0 unpins. For tests and fuzz inputs
 * written for a fixed bin size. */
HZ3_API void hz3_debug_pin_bin_batches(unsigned n);

typedef struct hz3_heap_report {
  size_t carved;      /* objects ever carved from pages */
  size_t live;        /* size-class objects named in the live array (large ones are
                         checked against the large registry, counted in large_live) */
  size_t in_tcache;   /* objects in thread-cache bins and carrier stocks */
  size_t in_stash;    /* objects in remote stashes */
  size_t in_xfer;     /* objects in xfer boxes */
  size_t in_central;  /* objects in central boxes */
  size_t large_live;  /* live large mappings */
  int ok;             /* 1 when every carved object was found exactly once */
  char error[256];    /* first violation, when ok == 0 */
} hz3_heap_report;

/* Quiescent heap check (object conservation): with no other thread inside
 * hz3, every carved object must be found exactly once among the `live`
 * pointers the caller still holds, the thread caches, the remote stashes, xfer
 * and central. Large pointers in `live` must be live large objects. Returns 0
 * when it holds, -1 otherwise (report->error says what and where). */
HZ3_API int hz3_debug_heap_check(void* const* live, size_t nlive, hz3_heap_report* report);
/* For a process whose live objects are unknown (a program under LD_PRELOAD,
 * where libc allocates too): the same walk without the live array. Every
 * free object must be a valid object found exactly once; report->live is the
 * inferred count (carved minus free). Lost objects cannot be told from live
 * ones here. Returns 0 or -1 like hz3_debug_heap_check. */
HZ3_API int hz3_debug_heap_check_free_lists(hz3_heap_report* report);
/* Same as hz3_debug_heap_check, but a violation is a FAILFAST line and abort(). */
HZ3_API void hz3_debug_heap_check_or_die(void* const* live, size_t nlive);

#ifdef __cplusplus
}
#endif

#endif /* HZ3_H_ */
