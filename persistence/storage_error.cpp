#include "persistence/storage_error.hpp"

namespace awf::persistence {

const char* to_string(storage_errc code) noexcept {
  switch (code) {
    case storage_errc::not_found: return "not_found";
    case storage_errc::head_moved: return "head_moved";
    case storage_errc::conflict: return "conflict";
    case storage_errc::corrupt: return "corrupt";
    case storage_errc::failure: return "failure";
  }
  return "failure";
}

} // namespace awf::persistence
