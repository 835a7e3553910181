#include "persistence/detail/sqlite_functions.hpp"

#include <sqlite3.h>

#include <stdexcept>
#include <string_view>

#include "core/sha256.hpp"

namespace awf::persistence::detail {

namespace {

void unhex(sqlite3_context* ctx, int, sqlite3_value** args) {
  if (sqlite3_value_type(args[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto* text = sqlite3_value_blob(args[0]);
  auto size = static_cast<std::size_t>(sqlite3_value_bytes(args[0]));
  std::string_view in{static_cast<const char*>(text), size};
  auto bytes = core::from_hex(in);
  const std::string_view out = bytes ? std::string_view{*bytes} : in;
  sqlite3_result_blob64(ctx, out.data(), out.size(), SQLITE_TRANSIENT);
}

} // namespace

void install_sqlite_functions(void* db) {
  auto rc = sqlite3_create_function_v2(
    static_cast<sqlite3*>(db), "awf_unhex", 1,
    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr, &unhex,
    nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    throw std::runtime_error("cannot add SQL function awf_unhex");
}

} // namespace awf::persistence::detail
