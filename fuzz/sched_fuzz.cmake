# sched_fuzz in the schedule build (preset sched, HZ3_SCHED=1): included by
# fuzz/CMakeLists.txt. Builds sched_fuzz_replay (always) and the libFuzzer
# binary sched_fuzz (HZ3_FUZZ=ON), both linked without PIE so that hz3's
# globals (locks, shard boxes: addresses in the schedule trace) sit at the same
# address in every process; hz3's mappings already come from a fixed region.
#
# Tests:
#   replay.sched_fuzz.seed      (label replay) every seed, plus .crash when
#                               corpora/crash/sched_fuzz/ holds files
#   replay.sched_fuzz.bitexact  (label replay) this file run as a script
#                               (cmake -P, below): a failing input replays
#                               bit-exactly in fresh processes
#   fuzz_smoke.sched_fuzz       (label fuzz-smoke) 20 s of libFuzzer
#
# Script mode (cmake -DREPLAY=... -DFUZZER=... -DSEEDS=... -DWORK=... -P
# sched_fuzz.cmake), the bit-exact check:
#   1. HZ3_FUZZ_SELFTEST=tag (one byte of the first object checked is
#      corrupted: an ORACLE line) and HZ3_SCHED_FUZZ_SELFTEST=double_free (the
#      first object freed remotely is freed again before its thread detaches:
#      a FAILFAST line from hz3's checks): for each of two seeds,
#      sched_fuzz_replay runs it twice and the libFuzzer binary runs it twice,
#      each in a fresh process. Every run must fail with the ORACLE/FAILFAST
#      line followed by the trace, which must show a remote free. That line
#      and the trace (every hz3-sched line) must be identical between the runs
#      of the same binary; the failure line (object addresses) must also be
#      identical between the two binaries. (hz3-flight lines carry time
#      stamps and are not compared.)
#   2. HZ3_SCHED_FUZZ_TRACE=1 (summary and trace after every input): the whole
#      seed corpus in one process must print exactly what each seed prints
#      alone in its own process (no input depends on the ones before it).
if(CMAKE_SCRIPT_MODE_FILE)
  foreach(v REPLAY SEEDS WORK)
    if(NOT DEFINED ${v})
      message(FATAL_ERROR "sched_fuzz.cmake: -D${v}=... is required")
    endif()
  endforeach()
  file(REMOVE_RECURSE ${WORK})
  file(MAKE_DIRECTORY ${WORK})
  # Keeps the lines that must replay bit-exactly (ORACLE, FAILFAST, trace).
  function(sched_fuzz_run out_var expect_fail)
    execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORK}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    string(REGEX MATCHALL "(hz3-fuzz: ORACLE|hz3: FAILFAST|hz3-sched)[^\n]*\n" lines "${out}")
    string(JOIN "" kept ${lines})
    if(expect_fail AND rc EQUAL 0)
      message(FATAL_ERROR "expected a failure, the run passed: ${ARGN}\n${out}")
    endif()
    if(NOT expect_fail AND NOT rc EQUAL 0)
      message(FATAL_ERROR "the run failed: ${ARGN}\n${out}")
    endif()
    set(${out_var} "${kept}" PARENT_SCOPE)
  endfunction()
  function(sched_fuzz_same a b what)
    if(NOT a STREQUAL b)
      file(WRITE ${WORK}/a.txt "${a}")
      file(WRITE ${WORK}/b.txt "${b}")
      message(FATAL_ERROR "not bit-exact: ${what} (compare ${WORK}/a.txt and ${WORK}/b.txt)")
    endif()
  endfunction()

  # 1. Failing inputs: the oracle (tag) and hz3's own checks (double_free).
  foreach(mode tag double_free)
    if(mode STREQUAL tag)
      set(ENV{HZ3_FUZZ_SELFTEST} tag)
      set(fail_re "hz3-fuzz: ORACLE tag_mismatch[^\n]*\nhz3-sched: trace, last [0-9]+ of")
      set(line_re "hz3-fuzz: ORACLE[^\n]*")
    else()
      unset(ENV{HZ3_FUZZ_SELFTEST})
      set(ENV{HZ3_SCHED_FUZZ_SELFTEST} double_free)
      set(fail_re "hz3: FAILFAST [^\n]*\nhz3-sched: trace, last [0-9]+ of[^\n]*\n(hz3-sched:[^\n]*\n)*hz3-sched:[^\n]* selftest double_free")
      set(line_re "hz3: FAILFAST[^\n]*")
    endif()
    foreach(seed remote_ring_4t remote_free_switchy)
      set(file ${SEEDS}/${seed})
      set(runs REPLAY)
      if(FUZZER)
        list(APPEND runs FUZZER)
      endif()
      set(fail_lines "")
      foreach(bin IN LISTS runs)
        set(cmd ${${bin}} ${file})
        if(bin STREQUAL FUZZER)
          set(cmd ${${bin}} -artifact_prefix=${WORK}/ ${file})
        endif()
        sched_fuzz_run(first ON ${cmd})
        sched_fuzz_run(second ON ${cmd})
        if(NOT first MATCHES "${fail_re}")
          message(FATAL_ERROR "${mode} ${bin} ${seed}: no failure line followed by the trace:\n${first}")
        endif()
        if(NOT first MATCHES "op MAIL.FREE\\(remote\\)")
          message(FATAL_ERROR "${mode} ${bin} ${seed}: the trace shows no remote free:\n${first}")
        endif()
        sched_fuzz_same("${first}" "${second}" "${mode} ${bin} ${seed}: two fresh processes")
        string(REGEX MATCH "${line_re}" line "${first}")
        list(APPEND fail_lines "${line}")
        message(STATUS "${mode} ${bin} ${seed}: identical twice: ${line}")
      endforeach()
      list(REMOVE_DUPLICATES fail_lines)
      list(LENGTH fail_lines n)
      if(NOT n EQUAL 1)
        message(FATAL_ERROR "${mode} ${seed}: the failure line differs between the binaries: ${fail_lines}")
      endif()
    endforeach()
  endforeach()
  unset(ENV{HZ3_SCHED_FUZZ_SELFTEST})

  # 2. The corpus in one process = each input alone.
  set(ENV{HZ3_SCHED_FUZZ_TRACE} 1)
  sched_fuzz_run(together OFF ${REPLAY} ${SEEDS})
  file(GLOB seeds LIST_DIRECTORIES false ${SEEDS}/*)
  list(SORT seeds)
  set(alone "")
  foreach(f IN LISTS seeds)
    sched_fuzz_run(one OFF ${REPLAY} ${f})
    string(APPEND alone "${one}")
  endforeach()
  sched_fuzz_same("${together}" "${alone}" "the seed corpus in one process vs one process per seed")
  list(LENGTH seeds nseeds)
  message(STATUS "${nseeds} seeds: one process and one process each print identical traces")
  return()
endif()

hz3_add_fuzz_target(sched_fuzz)
hz3_add_replay_tests(sched_fuzz)
foreach(t sched_fuzz sched_fuzz_replay)
  if(TARGET ${t})
    target_link_options(${t} PRIVATE -no-pie)
  endif()
endforeach()

set(fuzzer_arg "")
if(TARGET sched_fuzz)
  set(fuzzer_arg -DFUZZER=$<TARGET_FILE:sched_fuzz>)
endif()
add_test(NAME replay.sched_fuzz.bitexact
         COMMAND ${CMAKE_COMMAND} -DREPLAY=$<TARGET_FILE:sched_fuzz_replay> ${fuzzer_arg}
                 -DSEEDS=${PROJECT_SOURCE_DIR}/corpora/seed/sched_fuzz
                 -DWORK=${CMAKE_BINARY_DIR}/fuzz-bitexact/sched_fuzz
                 -P ${CMAKE_CURRENT_LIST_DIR}/sched_fuzz.cmake)
set_tests_properties(replay.sched_fuzz.bitexact PROPERTIES LABELS replay TIMEOUT 300)

if(TARGET sched_fuzz)
  set(work ${CMAKE_BINARY_DIR}/fuzz-smoke/sched_fuzz)
  add_test(NAME fuzz_smoke.sched_fuzz
           COMMAND sh -c "rm -rf '${work}' && mkdir -p '${work}' && cp '${PROJECT_SOURCE_DIR}'/corpora/seed/sched_fuzz/* '${work}/' && exec '$<TARGET_FILE:sched_fuzz>' -max_total_time=${HZ3_FUZZ_SMOKE_SECS} -max_len=4096 -dict='${PROJECT_SOURCE_DIR}/fuzz/sched_fuzz.dict' -print_final_stats=1 '${work}'")
  set_tests_properties(fuzz_smoke.sched_fuzz PROPERTIES LABELS "fuzz-smoke" TIMEOUT 300
                       FAIL_REGULAR_EXPRESSION "FAILFAST;ORACLE;ERROR: AddressSanitizer;runtime error;deadly signal")
endif()
