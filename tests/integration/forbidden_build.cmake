# config_forbidden_build: a real configure + build of a forbidden combination
# must fail at compile time and name the rule. Configures
#   cmake --preset <PRESET> -B <WORK_DIR> <FLAG>
# (the preset's own flags plus the forbidden one) and builds only the
# allocator's objects (target hz3_objs).
#
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> [-DPRESET=scale]
#         [-DFLAG=-DHZ3_S86_CENTRAL_SHADOW=1] [-DRULE=S142-central-s86]
#         -P forbidden_build.cmake
cmake_minimum_required(VERSION 3.22)
foreach(v SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "forbidden_build: -D${v}=... is required")
  endif()
endforeach()
if(NOT DEFINED PRESET)
  set(PRESET scale)
endif()
if(NOT DEFINED FLAG)
  set(FLAG -DHZ3_S86_CENTRAL_SHADOW=1)
endif()
if(NOT DEFINED RULE)
  set(RULE S142-central-s86)
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(
  COMMAND ${CMAKE_COMMAND} --preset ${PRESET} -B ${WORK_DIR} ${FLAG} -DBUILD_TESTING=OFF
  WORKING_DIRECTORY ${SOURCE_DIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "forbidden_build: configure failed (it should succeed; the compile must refuse):\n${out}${err}")
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR} --target hz3_objs -j 2
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(log "${out}${err}")
file(REMOVE_RECURSE "${WORK_DIR}")
if(rc EQUAL 0)
  message(FATAL_ERROR "forbidden_build: cmake --preset ${PRESET} ${FLAG} built; it must be refused with [${RULE}]")
endif()
string(FIND "${log}" "[${RULE}]" pos)
if(pos LESS 0)
  message(FATAL_ERROR "forbidden_build: the build failed but does not name [${RULE}]:\n${log}")
endif()
string(REGEX MATCH "[^\n]*\\[${RULE}\\][^\n]*" line "${log}")
message("ok    cmake --preset ${PRESET} ${FLAG}: refused: ${line}")
