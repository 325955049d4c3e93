// hz3 compile-time configuration: the one block where every flag, its default
// and its derived values live. Presets in CMakePresets.json set the flags per
// lane; anything not set falls back to the defaults below (the `scale` lane).
//
// | flag                          | values | default                         | meaning
// |-------------------------------|--------|---------------------------------|-----------------------------------------
// | HZ3_LANE                      | name   | "custom"                        | lane name printed by HZ3_PRINT_CONFIG
// | HZ3_NUM_SHARDS                | 1..4094| 96                              | owner shards (p32 lane: 255)
// | HZ3_S142_XFER_LOCKFREE        | 0/1    | 1                               | S142-B: xfer is a lock-free MPSC list
// | HZ3_S142_CENTRAL_LOCKFREE     | 0/1    | 1                               | S142-A: central is a lock-free MPSC list
// | HZ3_SHARD_COLLISION_FAILFAST  | 0/1    | 1                               | a thread finding no free shard aborts
// | HZ3_OWNER_EXCL_ALWAYS         | 0/1    | !HZ3_SHARD_COLLISION_FAILFAST   | consumer paths take the shard's OwnerExcl
// | HZ3_S142_FAILFAST             | 0/1    | 0                               | MPSC consumer token + box invariants
// | HZ3_LIST_FAILFAST             | 0/1    | 0                               | lists crossing a boundary are validated
// | HZ3_XFER_STRUCT_FAILFAST      | 0/1    | 0                               | xfer structure invariants (both forms)
// | HZ3_S86_CENTRAL_SHADOW        | 0/1    | 0                               | debug shadow of mutex central (dup/next)
// | HZ3_XFER_STEAL                | 0/1    | 1                               | a thread about to carve takes another owner's idle xfer backlog,
// |                               |        |                                 | else another thread's stock (stock_shelf.h), else its own
// |                               |        |                                 | stash's objects of the class (stash_take), else another
// |                               |        |                                 | owner's central list (central_steal); a refill takes the
// |                               |        |                                 | stash's first when they wait for several owners (stash_first);
// |                               |        |                                 | a remote free stays in the freeing thread's bin while the
// |                               |        |                                 | bin has room (free_remote_slow)
// | HZ3_FREE_FAILFAST             | 0/1    | HZ3_LIST_FAILFAST               | free() checks start-of-object, double free at bin head
// | HZ3_FLIGHT_RECORDER           | 0/1    | any fail-fast flag above        | per-thread ring of box operations, printed after a FAILFAST line
// | HZ3_SCHED                     | 0/1    | 0                               | schedule build: schedule points call the cooperative
// |                               |        |                                 | scheduler (sched.h), locks yield, mappings are deterministic
//
// Derived (never set directly):
//   kOwnerExclPop   = HZ3_OWNER_EXCL_ALWAYS                  (xfer/central pop serialized per shard)
//   kCarveLocked    = HZ3_OWNER_EXCL_ALWAYS || !COLLISION_FF (page carving serialized per shard)
//
// Forbidden combinations refuse to compile (rules from the S142 work order):
//   [S142-central-single-consumer] CENTRAL_LOCKFREE=1, COLLISION_FAILFAST=0, OWNER_EXCL_ALWAYS=0
//   [S142-central-s86]             CENTRAL_LOCKFREE=1, S86_CENTRAL_SHADOW=1
//   [S142-xfer-single-consumer]    XFER_LOCKFREE=1,    COLLISION_FAILFAST=0, OWNER_EXCL_ALWAYS=0
#pragma once

#ifndef HZ3_LANE
#define HZ3_LANE "custom"
#endif
#ifndef HZ3_NUM_SHARDS
#define HZ3_NUM_SHARDS 96
#endif
#ifndef HZ3_S142_XFER_LOCKFREE
#define HZ3_S142_XFER_LOCKFREE 1
#endif
#ifndef HZ3_S142_CENTRAL_LOCKFREE
#define HZ3_S142_CENTRAL_LOCKFREE 1
#endif
#ifndef HZ3_SHARD_COLLISION_FAILFAST
#define HZ3_SHARD_COLLISION_FAILFAST 1
#endif
#ifndef HZ3_OWNER_EXCL_ALWAYS
#if HZ3_SHARD_COLLISION_FAILFAST
#define HZ3_OWNER_EXCL_ALWAYS 0
#else
#define HZ3_OWNER_EXCL_ALWAYS 1
#endif
#endif
#ifndef HZ3_S142_FAILFAST
#define HZ3_S142_FAILFAST 0
#endif
#ifndef HZ3_LIST_FAILFAST
#define HZ3_LIST_FAILFAST 0
#endif
#ifndef HZ3_XFER_STRUCT_FAILFAST
#define HZ3_XFER_STRUCT_FAILFAST 0
#endif
#ifndef HZ3_S86_CENTRAL_SHADOW
#define HZ3_S86_CENTRAL_SHADOW 0
#endif
#ifndef HZ3_XFER_STEAL
#define HZ3_XFER_STEAL 1
#endif
#ifndef HZ3_FREE_FAILFAST
#define HZ3_FREE_FAILFAST HZ3_LIST_FAILFAST
#endif
#ifndef HZ3_SCHED
#define HZ3_SCHED 0
#endif
#ifndef HZ3_FLIGHT_RECORDER
#if HZ3_S142_FAILFAST || HZ3_LIST_FAILFAST || HZ3_XFER_STRUCT_FAILFAST || HZ3_FREE_FAILFAST
#define HZ3_FLIGHT_RECORDER 1
#else
#define HZ3_FLIGHT_RECORDER 0
#endif
#endif

// Every boolean flag must be exactly 0 or 1: a typo like =2 or =on is refused.
#define HZ3_IS_BOOL_(x) ((x) == 0 || (x) == 1)
#if !HZ3_IS_BOOL_(HZ3_S142_XFER_LOCKFREE) || !HZ3_IS_BOOL_(HZ3_S142_CENTRAL_LOCKFREE) ||   \
    !HZ3_IS_BOOL_(HZ3_SHARD_COLLISION_FAILFAST) || !HZ3_IS_BOOL_(HZ3_OWNER_EXCL_ALWAYS) || \
    !HZ3_IS_BOOL_(HZ3_S142_FAILFAST) || !HZ3_IS_BOOL_(HZ3_LIST_FAILFAST) ||                \
    !HZ3_IS_BOOL_(HZ3_XFER_STRUCT_FAILFAST) || !HZ3_IS_BOOL_(HZ3_S86_CENTRAL_SHADOW) ||    \
    !HZ3_IS_BOOL_(HZ3_FREE_FAILFAST) || !HZ3_IS_BOOL_(HZ3_SCHED) ||               \
    !HZ3_IS_BOOL_(HZ3_FLIGHT_RECORDER) || !HZ3_IS_BOOL_(HZ3_XFER_STEAL)
#error "hz3 config [flag-not-boolean]: every HZ3_* switch must be 0 or 1"
#endif
#if HZ3_NUM_SHARDS < 1 || HZ3_NUM_SHARDS > 4094
#error "hz3 config [num-shards-range]: HZ3_NUM_SHARDS must be in 1..4094"
#endif

#if HZ3_S142_CENTRAL_LOCKFREE && !HZ3_SHARD_COLLISION_FAILFAST && !HZ3_OWNER_EXCL_ALWAYS
#error "hz3 config [S142-central-single-consumer]: HZ3_S142_CENTRAL_LOCKFREE=1 with HZ3_SHARD_COLLISION_FAILFAST=0 needs HZ3_OWNER_EXCL_ALWAYS=1 (a shared shard would have two consumers)"
#endif
#if HZ3_S142_CENTRAL_LOCKFREE && HZ3_S86_CENTRAL_SHADOW
#error "hz3 config [S142-central-s86]: HZ3_S86_CENTRAL_SHADOW=1 assumes the central mutex; it cannot be combined with HZ3_S142_CENTRAL_LOCKFREE=1"
#endif
#if HZ3_S142_XFER_LOCKFREE && !HZ3_SHARD_COLLISION_FAILFAST && !HZ3_OWNER_EXCL_ALWAYS
#error "hz3 config [S142-xfer-single-consumer]: HZ3_S142_XFER_LOCKFREE=1 with HZ3_SHARD_COLLISION_FAILFAST=0 needs HZ3_OWNER_EXCL_ALWAYS=1 (a shared shard would have two consumers)"
#endif

namespace hz3 {

inline constexpr const char* kLane = HZ3_LANE;
inline constexpr unsigned kNumShards = HZ3_NUM_SHARDS;
inline constexpr bool kXferLockFree = HZ3_S142_XFER_LOCKFREE;
inline constexpr bool kCentralLockFree = HZ3_S142_CENTRAL_LOCKFREE;
inline constexpr bool kCollisionFailfast = HZ3_SHARD_COLLISION_FAILFAST;
inline constexpr bool kOwnerExclAlways = HZ3_OWNER_EXCL_ALWAYS;
inline constexpr bool kS142Failfast = HZ3_S142_FAILFAST;
inline constexpr bool kListFailfast = HZ3_LIST_FAILFAST;
inline constexpr bool kXferStructFailfast = HZ3_XFER_STRUCT_FAILFAST;
inline constexpr bool kS86Shadow = HZ3_S86_CENTRAL_SHADOW;
inline constexpr bool kXferSteal = HZ3_XFER_STEAL;
inline constexpr bool kFreeFailfast = HZ3_FREE_FAILFAST;
inline constexpr bool kSched = HZ3_SCHED;
inline constexpr bool kFlightRecorder = HZ3_FLIGHT_RECORDER;

// Derived: which owner-only paths take the shard's OwnerExcl lock.
inline constexpr bool kOwnerExclPop = kOwnerExclAlways;
inline constexpr bool kCarveLocked = kOwnerExclAlways || !kCollisionFailfast;
// Several threads may own one shard (collisions allowed, serialized by
// OwnerExcl): a refill then takes at most kSharedRefillBatches batches of a
// central list (shard_refill, central_steal), so one thread does not take
// what its shard-mates need.
inline constexpr bool kShardsShared = !kCollisionFailfast;
inline constexpr unsigned kSharedRefillBatches = 8;

// Batches a bin holds before it drains (thread_cache.h bin_cap): a budget of
// kBinBudgetBatches a class shared among the live thread caches, at least
// the class cap's two (size_class.h) and at most kBinMaxBatches. With few
// threads a bin absorbs more of the swing between a class's frees and
// mallocs before it sends objects home and refills (T=2: 2-5% faster);
// from 12 threads on every bin keeps the two-batch cap, so the many-thread
// footprint is unchanged (docs/measurements/2026-12-05-rss-and-speed.md).
inline constexpr unsigned kBinBudgetBatches = 24;
inline constexpr unsigned kBinMaxBatches = 8;

}  // namespace hz3
