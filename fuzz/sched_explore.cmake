# sched_explore (schedule build only, included by fuzz/CMakeLists.txt when
# HZ3_SCHED=1): every interleaving of the schedule points of small xfer,
# central, remote-free/exit and collision scenarios (fuzz/sched_explore.cc).
# A plain program (no libFuzzer main); it inherits the preset's
# -fsanitize=fuzzer-no-link coverage flags, whose callbacks the sanitizer
# runtime supplies.
add_executable(sched_explore sched_explore.cc)
target_link_libraries(sched_explore PRIVATE hz3_core Threads::Threads)
# The explorer watches every schedule point and lock wait to know, before each
# decision, where every paused thread stands (sched.h does not expose it):
# these three scheduler entry points are wrapped at link time.
target_link_options(sched_explore PRIVATE
                    "LINKER:--wrap=_ZN3hz35sched5pointEPKcS2_PKvm"
                    "LINKER:--wrap=_ZN3hz35sched12lock_blockedEPKv"
                    "LINKER:--wrap=_ZN3hz35sched13lock_releasedEPKv")
# Without PIE, as sched_fuzz: hz3's globals and the harness's boxes, node pool
# and mutexes (addresses in the trace) sit at the same address in every
# process, so a replay prints the very trace the exploration printed.
target_link_options(sched_explore PRIVATE -no-pie)
set_target_properties(sched_explore PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)

# Every scenario with its default reduction; must pass, well within 2 minutes
# on 2 cores under ASan+UBSan.
add_test(NAME sched_explore.all COMMAND sched_explore)
set_tests_properties(sched_explore.all PROPERTIES LABELS sched TIMEOUT 120
                     PASS_REGULAR_EXPRESSION "hz3-explore: summary .* failures=0"
                     FAIL_REGULAR_EXPRESSION "FAILFAST;ORACLE;HARNESS ERROR;ERROR: AddressSanitizer;runtime error")

# The explorer finds bugs: a self-check scenario must fail with `expect` (a
# grep -E pattern) and print a REPRO choice list that, replayed in a fresh
# process, fails the same way, with the same failure line and trace. selfcheck.deadlock.2t: two threads take two locks in opposite
# order (FAILFAST sched_deadlock). selfcheck.oracle.2t: the harness loses a
# node in an interleaving the default schedule does not reach (ORACLE).
function(hz3_explore_selfcheck test scenario expect)
  add_test(NAME ${test}
           COMMAND sh -c "out=$(\"$0\" --scenario $1 2>&1); st=$?; printf '%s\\n' \"$out\"; \
[ $st -ne 0 ] || { echo 'the explorer exited 0'; exit 1; }; \
printf '%s\\n' \"$out\" | grep -Eq \"$2\" || { echo 'no failure line matching: '\"$2\"; exit 1; }; \
choices=$(printf '%s\\n' \"$out\" | sed -n \"s/^hz3-explore: REPRO sched_explore --replay $1 //p\"); \
[ -n \"$choices\" ] || { echo 'no REPRO line'; exit 1; }; \
rep=$(\"$0\" --replay \"$1\" \"$choices\" 2>&1); rst=$?; printf '%s\\n' \"$rep\"; \
[ $rst -ne 0 ] && printf '%s\\n' \"$rep\" | grep -Eq \"$2\" || { echo 'the REPRO choices did not replay the failure'; exit 1; }; \
a=$(printf '%s\\n' \"$out\" | grep -E \"$2|^hz3-sched\"); b=$(printf '%s\\n' \"$rep\" | grep -E \"$2|^hz3-sched\"); \
[ -n \"$a\" ] && [ \"$a\" = \"$b\" ] || { echo 'the replay printed a different failure line or trace'; exit 1; }; \
echo 'hz3-explore selfcheck: failure found and replayed'"
                   $<TARGET_FILE:sched_explore> ${scenario} ${expect})
  set_tests_properties(${test} PROPERTIES LABELS sched TIMEOUT 120
                       PASS_REGULAR_EXPRESSION "hz3-explore selfcheck: failure found and replayed")
endfunction()
hz3_explore_selfcheck(sched_explore.deadlock_found selfcheck.deadlock.2t
                      "^hz3: FAILFAST sched_deadlock where=sched shard=- sc=- ptr=0x[0-9a-f]+ every live thread is blocked")
hz3_explore_selfcheck(sched_explore.oracle_found selfcheck.oracle.2t
                      "^hz3-explore: ORACLE scenario=selfcheck.oracle.2t node id=[0-9]+ lost")
