// Locates ../shared (conformance data) for tests. Where it is absent, tests
// skip with a message, except under CI=true, where that is a failure.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>

namespace awf::test {

/// Returns the shared/ folder beside the project root, if present.
inline std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path dir =
    std::filesystem::path{AWF_SOURCE_DIR} / ".." / "shared";
  if (std::filesystem::is_directory(dir))
    return std::filesystem::canonical(dir);
  return std::nullopt;
}

/// True when running under CI, where missing shared data must fail.
inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view{ci} == "true";
}

} // namespace awf::test
