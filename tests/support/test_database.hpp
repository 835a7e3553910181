// A fresh, empty database for one test: a new SQLite file in a temporary
// directory, or a new schema in the PostgreSQL named by AWF_TEST_PG_URL.
// AWF_TEST_BACKEND (sqlite | postgresql) picks which; ctest runs every
// database suite once per backend.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace awf::test {

/// The backend under test: "sqlite" (default) or "postgresql".
std::string backend_name();

class test_database {
public:
  /// Creates the database; aborts the test run with a message on failure.
  test_database();
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  /// A URL for persistence::database_options::url.
  const std::string& url() const { return url_; }

  /// A scratch directory that lives as long as this object.
  const std::filesystem::path& scratch_dir() const { return dir_; }

private:
  std::filesystem::path dir_;
  std::string url_;
  std::string schema_; ///< PostgreSQL only
};

} // namespace awf::test
