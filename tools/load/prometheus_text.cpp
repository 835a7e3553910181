#include "tools/load/prometheus_text.hpp"

#include <charconv>
#include <system_error>

namespace awf::load {

std::optional<double> prometheus_value(std::string_view text,
                                       std::string_view name) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
        line[name.size()] != ' ')
      continue;
    auto number = line.substr(name.size() + 1);
    double value = 0;
    auto [ptr, ec] =
      std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || ptr != number.data() + number.size())
      return std::nullopt;
    return value;
  }
  return std::nullopt;
}

} // namespace awf::load
