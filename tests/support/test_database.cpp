#include "tests/support/test_database.hpp"

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <random>
#include <unistd.h>

#include "persistence/database.hpp"

namespace awf::test {

namespace {

std::string pg_base_url() {
  const char* url = std::getenv("AWF_TEST_PG_URL");
  return url ? url : "";
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "test_database: " << what << std::endl;
  std::abort();
}

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(rd() % 100000);
}

void run_admin(const std::string& statement) {
  auto db = persistence::database::open({pg_base_url()});
  if (!db)
    die(db.error().message);
  if (auto ok = (*db)->execute(statement); !ok)
    die(ok.error().message);
}

} // namespace

std::string backend_name() {
  const char* name = std::getenv("AWF_TEST_BACKEND");
  return name ? name : "sqlite";
}

test_database::test_database() {
  auto suffix = unique_suffix();
  dir_ = std::filesystem::temp_directory_path() / ("awf-test-" + suffix);
  std::filesystem::create_directories(dir_);
  if (backend_name() == "postgresql") {
    if (pg_base_url().empty())
      die("AWF_TEST_BACKEND=postgresql needs AWF_TEST_PG_URL");
    schema_ = "t_" + suffix;
    run_admin("CREATE SCHEMA " + schema_);
    // libpq applies `options` to every connection made from this URL, so
    // all of the engine's connections share the test's schema.
    auto separator = pg_base_url().find('?') == std::string::npos ? "?" : "&";
    url_ = pg_base_url() + separator + "options=-csearch_path%3D" + schema_;
  } else {
    url_ = (dir_ / "store.db").string();
  }
}

test_database::~test_database() {
  if (!schema_.empty())
    run_admin("DROP SCHEMA " + schema_ + " CASCADE");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

} // namespace awf::test
