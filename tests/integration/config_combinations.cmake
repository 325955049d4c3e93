# config_combinations: src/hz3/config.h must refuse every forbidden flag
# combination, naming its rule, and must accept every lane of CMakePresets.json.
#
#   cmake -DCXX=<c++ compiler> -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -P config_combinations.cmake
#
# Each case compiles a tiny TU that includes hz3/config.h with
#   ${CXX} -std=c++20 -fsyntax-only -I src -D...
# A forbidden case passes when the compile fails AND stderr names the rule in
# brackets (e.g. "[S142-central-s86]"); a lane passes when the TU compiles and
# its static_asserts (the lane's values really took effect) hold.
cmake_minimum_required(VERSION 3.22)
include(${CMAKE_CURRENT_LIST_DIR}/presets.cmake)

foreach(v CXX SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "config_combinations: -D${v}=... is required")
  endif()
endforeach()
file(MAKE_DIRECTORY "${WORK_DIR}")
set(TU "${WORK_DIR}/config_tu.cc")
file(WRITE "${TU}" [=[
#include "hz3/config.h"
#ifdef EXPECT_SHARDS
static_assert(hz3::kNumShards == EXPECT_SHARDS, "HZ3_NUM_SHARDS did not take effect");
#endif
#ifdef EXPECT_XFER
static_assert(hz3::kXferLockFree == EXPECT_XFER, "HZ3_S142_XFER_LOCKFREE did not take effect");
#endif
#ifdef EXPECT_CENTRAL
static_assert(hz3::kCentralLockFree == EXPECT_CENTRAL, "HZ3_S142_CENTRAL_LOCKFREE did not take effect");
#endif
#ifdef EXPECT_COLLISION
static_assert(hz3::kCollisionFailfast == EXPECT_COLLISION, "HZ3_SHARD_COLLISION_FAILFAST did not take effect");
#endif
int hz3_config_tu_anchor;
]=])

set(failures 0)
set(cases 0)

function(compile out_rc out_err)
  execute_process(
    COMMAND ${CXX} -std=c++20 -fsyntax-only -I ${SOURCE_DIR}/src ${ARGN} ${TU}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${out_rc} "${rc}" PARENT_SCOPE)
  set(${out_err} "${out}${err}" PARENT_SCOPE)
endfunction()

# expect_refused(<rule> <flags...>): must fail and name [<rule>]. Several rules
# may be given separated by '|' when a combination breaks more than one.
macro(expect_refused rules)
  math(EXPR cases "${cases} + 1")
  compile(rc err ${ARGN})
  string(REPLACE "|" ";" _rules "${rules}")
  string(JOIN " " _args ${ARGN})
  set(_bad "")
  if(rc EQUAL 0)
    set(_bad "compiled, but must be refused")
  else()
    foreach(r IN LISTS _rules)
      string(FIND "${err}" "[${r}]" pos)
      if(pos LESS 0)
        set(_bad "refused, but stderr does not name [${r}]")
      endif()
    endforeach()
  endif()
  if(_bad)
    math(EXPR failures "${failures} + 1")
    message("FAIL  refused [${rules}] ${_args}: ${_bad}\n${err}")
  else()
    message("ok    refused [${rules}] ${_args}")
  endif()
endmacro()

macro(expect_accepted what)
  math(EXPR cases "${cases} + 1")
  compile(rc err ${ARGN})
  string(JOIN " " _args ${ARGN})
  if(NOT rc EQUAL 0)
    math(EXPR failures "${failures} + 1")
    message("FAIL  ${what} ${_args}: must compile\n${err}")
  else()
    message("ok    ${what} ${_args}")
  endif()
endmacro()

# ---- the three S142 rules ----------------------------------------------------
# Each combination isolates one rule (the other lock-free flag off) ...
expect_refused(S142-central-single-consumer
  -DHZ3_S142_CENTRAL_LOCKFREE=1 -DHZ3_S142_XFER_LOCKFREE=0
  -DHZ3_SHARD_COLLISION_FAILFAST=0 -DHZ3_OWNER_EXCL_ALWAYS=0)
expect_refused(S142-central-s86
  -DHZ3_S142_CENTRAL_LOCKFREE=1 -DHZ3_S86_CENTRAL_SHADOW=1)
expect_refused(S142-central-s86
  -DHZ3_S142_CENTRAL_LOCKFREE=1 -DHZ3_S142_XFER_LOCKFREE=0 -DHZ3_S86_CENTRAL_SHADOW=1
  -DHZ3_SHARD_COLLISION_FAILFAST=0 -DHZ3_OWNER_EXCL_ALWAYS=1)
expect_refused(S142-xfer-single-consumer
  -DHZ3_S142_XFER_LOCKFREE=1 -DHZ3_S142_CENTRAL_LOCKFREE=0
  -DHZ3_SHARD_COLLISION_FAILFAST=0 -DHZ3_OWNER_EXCL_ALWAYS=0)
# ... and both together must name both rules.
expect_refused("S142-central-single-consumer|S142-xfer-single-consumer"
  -DHZ3_S142_XFER_LOCKFREE=1 -DHZ3_S142_CENTRAL_LOCKFREE=1
  -DHZ3_SHARD_COLLISION_FAILFAST=0 -DHZ3_OWNER_EXCL_ALWAYS=0)
# Defaults: only collision failfast given as 0 -> OwnerExcl defaults to 1: legal.
expect_accepted("default OwnerExcl" -DHZ3_SHARD_COLLISION_FAILFAST=0)
# The legal neighbours of each rule.
expect_accepted("central lock-free + OwnerExcl"
  -DHZ3_S142_CENTRAL_LOCKFREE=1 -DHZ3_S142_XFER_LOCKFREE=1
  -DHZ3_SHARD_COLLISION_FAILFAST=0 -DHZ3_OWNER_EXCL_ALWAYS=1)
expect_accepted("mutex central + S86 shadow"
  -DHZ3_S142_CENTRAL_LOCKFREE=0 -DHZ3_S142_XFER_LOCKFREE=1 -DHZ3_S86_CENTRAL_SHADOW=1)
expect_accepted("mutex boxes, collisions allowed, no OwnerExcl"
  -DHZ3_S142_CENTRAL_LOCKFREE=0 -DHZ3_S142_XFER_LOCKFREE=0
  -DHZ3_SHARD_COLLISION_FAILFAST=0 -DHZ3_OWNER_EXCL_ALWAYS=0)

# ---- flag-not-boolean: each 0/1 switch given 2 ---------------------------------
foreach(flag HZ3_S142_XFER_LOCKFREE HZ3_S142_CENTRAL_LOCKFREE HZ3_SHARD_COLLISION_FAILFAST
             HZ3_OWNER_EXCL_ALWAYS HZ3_S142_FAILFAST HZ3_LIST_FAILFAST
             HZ3_XFER_STRUCT_FAILFAST HZ3_S86_CENTRAL_SHADOW HZ3_FREE_FAILFAST)
  expect_refused(flag-not-boolean -D${flag}=2)
endforeach()

# ---- num-shards-range ------------------------------------------------------------
expect_refused(num-shards-range -DHZ3_NUM_SHARDS=0)
expect_refused(num-shards-range -DHZ3_NUM_SHARDS=4095)
expect_accepted("shards lower bound" -DHZ3_NUM_SHARDS=1 -DEXPECT_SHARDS=1)
expect_accepted("shards upper bound" -DHZ3_NUM_SHARDS=4094 -DEXPECT_SHARDS=4094)

# ---- every lane of CMakePresets.json compiles -------------------------------------
file(READ "${SOURCE_DIR}/CMakePresets.json" presets_json)
hz3_preset_names(lanes "${presets_json}")
if(lanes STREQUAL "")
  math(EXPR failures "${failures} + 1")
  message("FAIL  no visible configure preset in CMakePresets.json")
endif()
foreach(lane IN LISTS lanes)
  hz3_preset_cache_vars(P "${presets_json}" "${lane}")
  set(defs)
  foreach(k IN LISTS P_KEYS)
    # The compile-time switches; HZ3_LANE (a string) and HZ3_SANITIZE (a build
    # option) are not config.h flags.
    if(k MATCHES "^HZ3_" AND NOT k STREQUAL "HZ3_LANE" AND NOT k STREQUAL "HZ3_SANITIZE"
       AND NOT "${P_${k}}" STREQUAL "")
      list(APPEND defs "-D${k}=${P_${k}}")
    endif()
  endforeach()
  foreach(pair "HZ3_NUM_SHARDS;EXPECT_SHARDS" "HZ3_S142_XFER_LOCKFREE;EXPECT_XFER"
               "HZ3_S142_CENTRAL_LOCKFREE;EXPECT_CENTRAL"
               "HZ3_SHARD_COLLISION_FAILFAST;EXPECT_COLLISION")
    list(GET pair 0 flag)
    list(GET pair 1 macro_name)
    if(DEFINED P_${flag} AND NOT "${P_${flag}}" STREQUAL "")
      list(APPEND defs "-D${macro_name}=${P_${flag}}")
    endif()
  endforeach()
  expect_accepted("lane ${lane}" ${defs})
endforeach()

message("config_combinations: ${cases} cases, ${failures} failed")
if(failures GREATER 0)
  message(FATAL_ERROR "config_combinations: ${failures} of ${cases} cases failed")
endif()
