#include "core/result.hpp"

namespace awf::core {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_json: return "invalid_json";
    case errc::unsupported_number: return "unsupported_number";
    case errc::invalid_patch: return "invalid_patch";
    case errc::payload_too_large: return "payload_too_large";
    case errc::corrupt_data: return "corrupt_data";
    case errc::authentication_failed: return "authentication_failed";
    case errc::unknown_key: return "unknown_key";
    case errc::key_exhausted: return "key_exhausted";
    case errc::invalid_key: return "invalid_key";
    case errc::invalid_setting: return "invalid_setting";
    case errc::io_failure: return "io_failure";
    case errc::hash_mismatch: return "hash_mismatch";
  }
  return "unknown";
}

} // namespace awf::core
