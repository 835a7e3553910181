# Suites that need a database run once against SQLite and once against
# PostgreSQL (AWF_TEST_PG_URL comes from tools/test.sh).
add_library(awf_test_support STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/support/test_database.cpp)
target_link_libraries(awf_test_support PUBLIC awf_persistence)

# Sanitized code runs several times slower (tools/test.sh --sanitize).
if(AWF_SANITIZE)
  set(awf_db_test_timeout 2700)
else()
  set(awf_db_test_timeout 900)
endif()

function(awf_add_db_test name dir)
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cpp")
  add_executable(${name} ${sources}
    ${CMAKE_CURRENT_SOURCE_DIR}/support/db_test_main.cpp)
  target_compile_definitions(${name} PRIVATE
    AWF_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    AWF_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_link_libraries(${name} PRIVATE awf_test_support CAF::core ${ARGN})
  foreach(backend sqlite postgresql)
    add_test(NAME ${dir}_${backend} COMMAND ${name} ${AWF_TEST_ARGS})
    set_tests_properties(${dir}_${backend} PROPERTIES
      ENVIRONMENT "AWF_TEST_BACKEND=${backend}"
      SKIP_RETURN_CODE 77
      TIMEOUT ${awf_db_test_timeout})
  endforeach()
endfunction()

awf_add_db_test(awf_persistence_tests persistence awf_persistence awf_config SOCI::sqlite3
                SOCI::postgresql)
awf_add_db_test(awf_actor_tests actors awf_actors SOCI::sqlite3
                SOCI::postgresql)

# The crash test kills this writer with SIGKILL while it persists turns.
add_executable(awf_crash_writer ${CMAKE_CURRENT_SOURCE_DIR}/support/crash_writer.cpp)
target_link_libraries(awf_crash_writer PRIVATE awf_actors)
add_dependencies(awf_actor_tests awf_crash_writer)

# End-to-end: the real awf-syncd on a real socket.
if(TARGET awf-syncd)
  awf_add_db_test(awf_net_tests net awf_net)
  add_dependencies(awf_net_tests awf-syncd)
endif()
