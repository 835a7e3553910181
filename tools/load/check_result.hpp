// The outcome of checking a server reply or a local invariant: nothing, or
// one sentence saying what is wrong (it becomes one of the run's errors).
#pragma once

#include <string>
#include <variant>

#include "core/result.hpp"

namespace awf::load {

/// Success, or what is wrong.
using check_result = core::result<std::monostate, std::string>;

/// The success value of a check.
inline check_result passed() {
  return std::monostate{};
}

} // namespace awf::load
