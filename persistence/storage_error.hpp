// Errors of the storage layer. SOCI exceptions never leave persistence/: each
// public call catches them and returns one of these instead.
#pragma once

#include <string>

#include "core/result.hpp"

namespace awf::persistence {

enum class storage_errc {
  not_found,  ///< no such row (or not visible to the caller)
  head_moved, ///< a conditional head update found another head
  conflict,   ///< the row exists and belongs to someone else
  corrupt,    ///< stored data that does not decode
  failure,    ///< the database refused or failed
};

const char* to_string(storage_errc code) noexcept;

struct storage_error {
  storage_errc code;
  std::string message;
};

template<class T>
using stored = core::result<T, storage_error>;

using storage_status = stored<std::monostate>;

} // namespace awf::persistence
