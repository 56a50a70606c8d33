# Helpers shared by every folder of the project.
#
# sockcheck_library(NAME ALIAS SOURCES...) declares a library target
# `sockcheck_<name>` with the public alias `sockcheck::<name>`, the project's
# warning set, and its own include directory (<folder>/include). Consumers
# always link the alias; the prefixed name exists for install/export.
# NO_INSTALL keeps a developer-only library (fuzzing) out of the export.

set(SOCKCHECK_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough)

function(sockcheck_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE ${SOCKCHECK_WARNINGS})
  endif()
endfunction()

function(sockcheck_library name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target sockcheck_${name})
  add_library(${target} ${ARG_SOURCES})
  add_library(sockcheck::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name}
                                             POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(ARG_DEPS)
    target_link_libraries(${target} PUBLIC ${ARG_DEPS})
  endif()
  if(ARG_PRIVATE_DEPS)
    target_link_libraries(${target} PRIVATE ${ARG_PRIVATE_DEPS})
  endif()
  sockcheck_warnings(${target})
  if(NOT ARG_NO_INSTALL)
    set_property(GLOBAL APPEND PROPERTY SOCKCHECK_INSTALL_TARGETS ${target})
  endif()
endfunction()
