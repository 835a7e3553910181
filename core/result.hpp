// Error values for the pure save model: every fallible core function returns
// a result<T>, never throws across its API.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace awf::core {

/// What went wrong in the save model. Names match the wire contract's error
/// codes where one exists, so the edge can map them one to one.
enum class errc {
  invalid_json,          ///< Not I-JSON: bad UTF-8, duplicate key, too deep.
  unsupported_number,    ///< An integer literal a double cannot carry exactly.
  invalid_patch,         ///< A JSON Patch that is malformed or cannot apply.
  payload_too_large,     ///< Over a size limit (incl. decompression bombs).
  corrupt_data,          ///< Stored bytes that do not decode.
  authentication_failed, ///< AES-GCM tag mismatch: tampered or wrong key.
  unknown_key,           ///< Envelope names a key id the ring lacks.
  key_exhausted,         ///< The encrypting key reached its nonce budget.
  invalid_key,           ///< A key specification that cannot be used.
  invalid_setting,       ///< A configuration value out of its bounds.
  io_failure,            ///< A file that cannot be read or written.
  hash_mismatch,         ///< A sent state_hash differs from the state.
};

/// Returns the contract's snake_case name of `code`.
const char* to_string(errc code) noexcept;

/// An error code plus a sentence for humans.
struct error {
  errc code;
  std::string message;
};

/// A value of type T or an error of type E. Small on purpose: just enough of
/// std::expected (C++23) for C++20.
template<class T, class E = error>
class [[nodiscard]] result {
public:
  result(T value) : data_(std::in_place_index<0>, std::move(value)) {}

  result(E err) : data_(std::in_place_index<1>, std::move(err)) {}

  bool ok() const noexcept { return data_.index() == 0; }

  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(data_); }

  const T& value() const& { return std::get<0>(data_); }

  T&& value() && { return std::get<0>(std::move(data_)); }

  T& operator*() & { return value(); }

  const T& operator*() const& { return value(); }

  T&& operator*() && { return std::move(*this).value(); }

  T* operator->() { return &value(); }

  const T* operator->() const { return &value(); }

  const E& error() const& { return std::get<1>(data_); }

  E error() && { return std::get<1>(std::move(data_)); }

private:
  std::variant<T, E> data_;
};

/// Success or an error, for operations without a value.
using status = result<std::monostate>;

/// The success value of a status.
inline status ok_status() {
  return std::monostate{};
}

} // namespace awf::core
