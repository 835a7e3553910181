// Reads numbers out of the Prometheus text format (what /metrics serves).
#pragma once

#include <optional>
#include <string_view>

namespace awf::load {

/// The value of the sample named `name` without labels (a line
/// `name value`), or nothing when it is absent or not a number.
std::optional<double> prometheus_value(std::string_view text,
                                       std::string_view name);

} // namespace awf::load
