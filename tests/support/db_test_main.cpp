// Entry point of the database test binaries. Skips (exit 77, which ctest
// reports as skipped) when PostgreSQL is asked for but not configured,
// except under CI=true, where that is a failure.
#define CAF_TEST_NO_MAIN
#include "caf/test/unit_test_impl.hpp"

#include <cstdlib>
#include <iostream>
#include <string_view>

#include "tests/support/shared_dir.hpp"
#include "tests/support/test_database.hpp"

int main(int argc, char** argv) {
  if (awf::test::backend_name() == "postgresql" &&
      std::getenv("AWF_TEST_PG_URL") == nullptr) {
    if (awf::test::running_in_ci()) {
      std::cerr << "AWF_TEST_PG_URL is not set under CI: tools/test.sh "
                   "starts PostgreSQL and sets it\n";
      return 1;
    }
    std::cout << "skipped: no PostgreSQL (run tools/test.sh, or set "
                 "AWF_TEST_PG_URL)\n";
    return 77;
  }
  std::cout << "backend: " << awf::test::backend_name() << "\n";
  return caf::test::main(argc, argv);
}
