#include "net/client_ids.hpp"

#include "core/uuid.hpp"

namespace awf::net {

namespace {

bool accepts_uuid(std::string_view text) noexcept {
  return core::is_uuid(text);
}

} // namespace

bool is_device_id(std::string_view text) noexcept {
  if (text.empty() || text.size() > 64)
    return false;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

bool is_hex_hash(std::string_view text) noexcept {
  return text.size() == 64 &&
         text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

const id_shape uuid_shape{accepts_uuid,
                          "a lowercase hyphenated UUID (36 characters)"};
const id_shape device_id_shape{is_device_id,
                               "a string matching [A-Za-z0-9._-]{1,64}"};
const id_shape hash_shape{is_hex_hash, "64 lowercase hex digits"};

api_outcome bad_field(const std::string& field, const id_shape& shape) {
  return error_outcome(400, "invalid_request",
                       "\"" + field + "\" must be " + shape.description,
                       {{"field", field}});
}

std::optional<api_outcome> check_json_id(const nlohmann::json& value,
                                         const std::string& field,
                                         const id_shape& shape) {
  if (!value.is_string())
    return bad_field(field, shape);
  return check_id(std::string_view{value.get_ref<const std::string&>()}, field,
                  shape);
}

std::optional<api_outcome> check_id(std::string_view value,
                                    const std::string& field,
                                    const id_shape& shape) {
  if (!shape.accepts(value))
    return bad_field(field, shape);
  return std::nullopt;
}

} // namespace awf::net
