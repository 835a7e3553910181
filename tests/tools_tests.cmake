# Shell tests of the command-line tools: each script gets the binary under
# test and the source dir (to find ../shared conformance data).
if(TARGET awfsync)
  add_test(NAME awfsync
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tools/awfsync_test.sh
                   $<TARGET_FILE:awfsync> ${PROJECT_SOURCE_DIR})
  set_tests_properties(awfsync PROPERTIES TIMEOUT 120)
endif()

# The pure parts of awf-load: options, the conflict model, reply checks.
if(TARGET awf_load_model)
  awf_add_test_binary(awf_load_tests load awf_load_model)
  add_test(NAME load_model COMMAND awf_load_tests ${AWF_TEST_ARGS})
endif()

# The server binary: --help, start-up warnings and the modes of its files.
if(TARGET awf-syncd)
  add_test(NAME awf_syncd
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tools/awf_syncd_test.sh
                   $<TARGET_FILE:awf-syncd>)
  set_tests_properties(awf_syncd PROPERTIES TIMEOUT 180)
endif()
