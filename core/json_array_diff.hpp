// Alignment of two JSON arrays for `diff`: which runs of elements stay, which
// go and which are new. Internal to core's diff; not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace awf::core {

/// One edit of an array alignment: `from_count` elements of `from` starting
/// at `from_begin` give way to `to_count` elements of `to` starting at
/// `to_begin`. Elements between two hunks are equal in both arrays.
struct array_hunk {
  std::size_t from_begin = 0;
  std::size_t from_count = 0;
  std::size_t to_begin = 0;
  std::size_t to_count = 0;
};

/// Most edits (removed plus inserted elements) the sequence diff looks for
/// before giving up on an optimal alignment.
inline constexpr std::size_t max_array_edits = 256;

/// Returns the hunks that turn `from` into `to`, in ascending order; empty
/// when the arrays are equal. The common prefix and suffix are trimmed, the
/// middles aligned by Myers' O((N+M)·D) diff over element hashes. When more
/// than `max_array_edits` edits (or a proportional work budget for very
/// long arrays) would be needed, returns the whole middle as one hunk, so
/// the worst case stays linear in the array length.
std::vector<array_hunk> align_arrays(const nlohmann::json::array_t& from,
                                     const nlohmann::json::array_t& to);

/// Returns a structural hash of `value`: values that compare equal with
/// nlohmann's `==` hash equal (1 and 1.0, 0.0 and -0.0 included), so unequal
/// hashes prove inequality. Equal hashes prove nothing on their own.
std::uint64_t structural_hash(const nlohmann::json& value);

} // namespace awf::core
