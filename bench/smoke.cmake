# bench-smoke check of one benchmark program (bench/CMakeLists.txt):
#   cmake -DPROG=<binary> -DARGS="<args>" -DNAME=<name> [-DPRELOAD=<libhz3.so>] [-DEXPECT=<regex>]
#         -P smoke.cmake
# Passes when the program exits 0 and prints exactly one result line
#   <NAME> ...: ops=<n> secs=<s> ops_per_sec=<r> ...
# with ops > 0 (and matching EXPECT when given). Timings are printed, never judged.
separate_arguments(arg_list UNIX_COMMAND "${ARGS}")
set(env_cmd)
if(PRELOAD)
  # HZ3_PRINT_CONFIG proves the preload took effect.
  set(env_cmd ${CMAKE_COMMAND} -E env LD_PRELOAD=${PRELOAD} HZ3_PRINT_CONFIG=1)
endif()
execute_process(COMMAND ${env_cmd} ${PROG} ${arg_list}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "${NAME} ${ARGS}: exit status ${rc}")
endif()
string(REGEX MATCHALL "(^|\n)${NAME} [^\n]*: ops=[1-9][0-9]* secs=[0-9.]+ ops_per_sec=[0-9.]+[^\n]*" lines "${out}")
list(LENGTH lines n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "${NAME} ${ARGS}: expected one result line, found ${n}")
endif()
if(EXPECT AND NOT lines MATCHES "${EXPECT}")
  message(FATAL_ERROR "${NAME} ${ARGS}: the result line does not match '${EXPECT}'")
endif()
if(PRELOAD AND NOT err MATCHES "hz3: config lane=")
  message(FATAL_ERROR "${NAME} ${ARGS}: no 'hz3: config' line: libhz3.so was not loaded")
endif()
