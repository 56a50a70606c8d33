# Included by .clusterfuzzlite/build.sh through CMAKE_PROJECT_INCLUDE: links
# every fuzz target to $LIB_FUZZING_ENGINE instead of fuzz/replay_main.cc.
#
# Why a hook: without SOCKCHECK_FUZZ (which hard-codes -fsanitize=fuzzer)
# sockcheck_fuzz_target() links each <name>_fuzzer to the object library
# sockcheck_fuzz_replay_main, whose main() would win over the engine's. The
# deferred call runs once the whole tree is configured, finds every target
# that links the replay driver and swaps it for SOCKCHECK_FUZZING_ENGINE, so
# targets added later need no change here. It stops with an error when it
# finds none, rather than let build.sh ship replay drivers as fuzzers.
if(NOT DEFINED SOCKCHECK_FUZZING_ENGINE OR SOCKCHECK_FUZZING_ENGINE STREQUAL "")
  message(FATAL_ERROR "fuzzing_engine.cmake: set SOCKCHECK_FUZZING_ENGINE (e.g. $LIB_FUZZING_ENGINE)")
endif()

function(sockcheck_swap_in_fuzzing_engine)
  set(dirs "${CMAKE_SOURCE_DIR}")
  set(swapped)
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(libs ${target} LINK_LIBRARIES)
      if(libs AND "sockcheck_fuzz_replay_main" IN_LIST libs)
        list(REMOVE_ITEM libs sockcheck_fuzz_replay_main)
        separate_arguments(engine UNIX_COMMAND "${SOCKCHECK_FUZZING_ENGINE}")
        list(APPEND libs ${engine})
        set_property(TARGET ${target} PROPERTY LINK_LIBRARIES "${libs}")
        list(APPEND swapped ${target})
      endif()
    endforeach()
  endwhile()
  if(NOT swapped)
    message(FATAL_ERROR "fuzzing_engine.cmake: no target links sockcheck_fuzz_replay_main; has fuzz/CMakeLists.txt changed?")
  endif()
  message(STATUS "fuzzing engine '${SOCKCHECK_FUZZING_ENGINE}' linked into: ${swapped}")
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL sockcheck_swap_in_fuzzing_engine)
