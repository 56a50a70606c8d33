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

foreach(dir client fake_server harness)
  if(EXISTS "${PROJECT_SOURCE_DIR}/${dir}/include")
    install(DIRECTORY "${PROJECT_SOURCE_DIR}/${dir}/include/"
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()

if(TARGET sockcheck)
  install(TARGETS sockcheck RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(sockcheck_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sockcheck)
install(EXPORT sockcheckTargets
  NAMESPACE sockcheck::
  DESTINATION ${sockcheck_cmake_dir})

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/sockcheckConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/sockcheckConfig.cmake"
  INSTALL_DESTINATION ${sockcheck_cmake_dir})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/sockcheckConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/sockcheckConfig.cmake"
  "${PROJECT_BINARY_DIR}/sockcheckConfigVersion.cmake"
  DESTINATION ${sockcheck_cmake_dir})
