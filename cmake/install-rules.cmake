# install(EXPORT) of every library declared with sockcheck_library(), plus a
# package config so that downstream projects can `find_package(sockcheck)`
# and link `sockcheck::client` and friends. examples/consumer proves it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(sockcheck_targets GLOBAL PROPERTY SOCKCHECK_INSTALL_TARGETS)
install(TARGETS ${sockcheck_targets}
  EXPORT sockcheckTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

foreach(dir client fake_server harness harness/gtest)
  if(EXISTS "${PROJECT_SOURCE_DIR}/${dir}/include")
    install(DIRECTORY "${PROJECT_SOURCE_DIR}/${dir}/include/"
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()

# The built-in conformance suite, for downstream tests
# (SOCKCHECK_SCENARIOS_DIR in the package config).
install(DIRECTORY "${PROJECT_SOURCE_DIR}/corpora/scenarios/"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sockcheck/scenarios)
get_property(SOCKCHECK_HAS_GTEST GLOBAL PROPERTY SOCKCHECK_HAS_GTEST)

if(TARGET sockcheck)
  install(TARGETS sockcheck RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(sockcheck_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sockcheck)
install(EXPORT sockcheckTargets
  NAMESPACE sockcheck::
  DESTINATION ${sockcheck_cmake_dir})

set(SOCKCHECK_INSTALL_SCENARIOS_DIR ${CMAKE_INSTALL_DATADIR}/sockcheck/scenarios)
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/sockcheckConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/sockcheckConfig.cmake"
  INSTALL_DESTINATION ${sockcheck_cmake_dir}
  PATH_VARS SOCKCHECK_INSTALL_SCENARIOS_DIR)
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/sockcheckConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/sockcheckConfig.cmake"
  "${PROJECT_BINARY_DIR}/sockcheckConfigVersion.cmake"
  DESTINATION ${sockcheck_cmake_dir})
