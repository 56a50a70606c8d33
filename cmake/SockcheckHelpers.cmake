# Helpers shared by every folder of the project.
#
# sockcheck_cxx_standard(target) gives a target the project's language: C++20
# (a PUBLIC compile feature, so everything that links the target, here or
# through the installed package, compiles as C++20 too) without GNU
# extensions. Every library and executable calls it (sockcheck_library()
# does); there is no global CMAKE_CXX_STANDARD, so a project that adds this
# one with add_subdirectory() keeps its own default.
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

function(sockcheck_cxx_standard target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
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
  sockcheck_cxx_standard(${target})
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
