// Array alignment for the RFC 6902 diff: trims the common ends, then runs
// Myers' greedy O((N+M)·D) sequence diff over element hashes, within a bound
// on the edit count so that a reordered long array cannot cost N·M.
#include "core/json_array_diff.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <functional>
#include <string_view>

namespace awf::core {

namespace {

using json = nlohmann::json;
using position = std::ptrdiff_t;

/// Total diagonal steps (array length times edit count) the sequence diff
/// may take: a few milliseconds at worst. Long arrays get fewer edits.
constexpr std::size_t max_alignment_work = std::size_t{1} << 22;

/// Folds `word` into the running hash `state` with MurmurHash3's 64-bit
/// finalizer: a bijection, so states that differ stay different.
constexpr std::uint64_t mix(std::uint64_t state, std::uint64_t word) {
  state ^= word;
  state ^= state >> 33;
  state *= 0xff51afd7ed558ccdULL;
  state ^= state >> 33;
  state *= 0xc4ceb9fe1a85ec53ULL;
  state ^= state >> 33;
  return state;
}

/// Type tags, so that e.g. "" and [] or null and false hash apart.
enum tag : std::uint64_t {
  null_tag = 0x6e756c6c,
  false_tag,
  true_tag,
  number_tag,
  string_tag,
  array_tag,
  object_tag,
  binary_tag,
};

std::uint64_t hash_text(std::string_view text) {
  return std::hash<std::string_view>{}(text);
}

/// Hashes every number as its double, as nlohmann's `==` compares integers
/// with doubles; -0.0 becomes 0.0 because the two compare equal. (An
/// unsigned above INT64_MAX equals a negative integer under `==` but hashes
/// apart: harmless, a missed match only costs a larger patch.)
std::uint64_t number_bits(double number) {
  if (number == 0)
    number = 0;
  return std::bit_cast<std::uint64_t>(number);
}

} // namespace

std::uint64_t structural_hash(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return mix(0, null_tag);
    case json::value_t::boolean:
      return mix(0, value.get<bool>() ? true_tag : false_tag);
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return mix(mix(0, number_tag), number_bits(value.get<double>()));
    case json::value_t::string:
      return mix(mix(0, string_tag),
                 hash_text(value.get_ref<const json::string_t&>()));
    case json::value_t::array: {
      auto state = mix(0, array_tag);
      for (const auto& element : value)
        state = mix(state, structural_hash(element));
      return mix(state, value.size());
    }
    case json::value_t::object: {
      // std::map iterates in key order, so equal objects fold alike.
      auto state = mix(0, object_tag);
      for (const auto& [key, member] : value.get_ref<const json::object_t&>())
        state = mix(mix(state, hash_text(key)), structural_hash(member));
      return mix(state, value.size());
    }
    case json::value_t::binary: {
      const auto& bytes = value.get_binary();
      auto state = mix(0, binary_tag);
      state = mix(state, bytes.has_subtype() ? bytes.subtype() + 1 : 0);
      return mix(state, hash_text({reinterpret_cast<const char*>(bytes.data()),
                                   bytes.size()}));
    }
    default: return 0;
  }
}

namespace {

/// Myers' greedy forward search over two array middles, `a` and `b`,
/// keeping each step's furthest reaching points so that the edit script can
/// be read back from the end.
class sequence_diff {
public:
  sequence_diff(const json* a, position n, const json* b, position m)
    : a_(a), b_(b), n_(n), m_(m) {
    hash_a_.reserve(static_cast<std::size_t>(n));
    for (position x = 0; x < n; ++x)
      hash_a_.push_back(structural_hash(a[x]));
    hash_b_.reserve(static_cast<std::size_t>(m));
    for (position y = 0; y < m; ++y)
      hash_b_.push_back(structural_hash(b[y]));
  }

  /// Appends the hunks of a shortest edit script, offset by `offset` in both
  /// arrays, to `out`. Returns false, appending nothing, when that script
  /// has more than `max_edits` edits.
  bool run(position max_edits, std::size_t offset,
           std::vector<array_hunk>& out) {
    // Furthest x reached on diagonal k = x - y, at v[k + max_edits + 1].
    std::vector<position> v(static_cast<std::size_t>(2 * max_edits + 3), 0);
    const position center = max_edits + 1;
    for (position d = 0; d <= max_edits; ++d) {
      for (position k = -d; k <= d; k += 2) {
        position x = down(d, k, v[center + k - 1], v[center + k + 1])
                       ? v[center + k + 1]
                       : v[center + k - 1] + 1;
        position y = x - k;
        while (x < n_ && y < m_ && equal(x, y)) {
          ++x;
          ++y;
        }
        v[center + k] = x;
        trace_.push_back(x);
        if (x >= n_ && y >= m_) {
          read_back(d, offset, out);
          return true;
        }
      }
    }
    return false;
  }

private:
  /// Whether the path to diagonal k at step d comes down from k + 1 (an
  /// insertion) rather than right from k - 1 (a deletion).
  static bool down(position d, position k, position left_x, position up_x) {
    return k == -d || (k != d && left_x < up_x);
  }

  /// Hashes decide almost every comparison; `==` guards against collisions.
  bool equal(position x, position y) const {
    return hash_a_[static_cast<std::size_t>(x)] ==
             hash_b_[static_cast<std::size_t>(y)] &&
           a_[x] == b_[y];
  }

  /// The furthest x on diagonal k after step d (steps store d + 1 points).
  position reached(position d, position k) const {
    return trace_[static_cast<std::size_t>(d * (d + 1) / 2 + (k + d) / 2)];
  }

  /// Walks from (n, m) back to (0, 0), one edit per step, and appends the
  /// edits, merged into hunks, in ascending order.
  void read_back(position edits, std::size_t offset,
                 std::vector<array_hunk>& out) const {
    struct edit {
      position x;
      position y;
      bool insert;
    };
    std::vector<edit> script(static_cast<std::size_t>(edits));
    position x = n_;
    position y = m_;
    for (position d = edits; d > 0; --d) {
      const position k = x - y;
      const bool insert = down(d, k, k > -d ? reached(d - 1, k - 1) : 0,
                               k < d ? reached(d - 1, k + 1) : 0);
      const position prev_k = insert ? k + 1 : k - 1;
      x = reached(d - 1, prev_k);
      y = x - prev_k;
      script[static_cast<std::size_t>(d - 1)] = {x, y, insert};
    }
    const auto first = out.size();
    for (const auto& step : script) {
      const auto from_at = offset + static_cast<std::size_t>(step.x);
      const auto to_at = offset + static_cast<std::size_t>(step.y);
      if (out.size() == first ||
          out.back().from_begin + out.back().from_count != from_at ||
          out.back().to_begin + out.back().to_count != to_at)
        out.push_back({from_at, 0, to_at, 0});
      ++(step.insert ? out.back().to_count : out.back().from_count);
    }
  }

  const json* a_;
  const json* b_;
  position n_;
  position m_;
  std::vector<std::uint64_t> hash_a_;
  std::vector<std::uint64_t> hash_b_;
  std::vector<position> trace_;
};

} // namespace

std::vector<array_hunk> align_arrays(const json::array_t& from,
                                     const json::array_t& to) {
  const std::size_t from_size = from.size();
  const std::size_t to_size = to.size();
  std::size_t prefix = 0;
  while (prefix < from_size && prefix < to_size && from[prefix] == to[prefix])
    ++prefix;
  std::size_t suffix = 0;
  while (suffix < from_size - prefix && suffix < to_size - prefix &&
         from[from_size - 1 - suffix] == to[to_size - 1 - suffix])
    ++suffix;
  const std::size_t n = from_size - prefix - suffix;
  const std::size_t m = to_size - prefix - suffix;
  std::vector<array_hunk> hunks;
  if (n == 0 && m == 0)
    return hunks;
  if (n > 0 && m > 0) {
    const auto max_edits =
      std::min({max_array_edits, n + m, max_alignment_work / (n + m)});
    sequence_diff search{from.data() + prefix, static_cast<position>(n),
                         to.data() + prefix, static_cast<position>(m)};
    if (search.run(static_cast<position>(max_edits), prefix, hunks))
      return hunks;
  }
  // One side is empty, or too many edits: the whole middle is one hunk.
  hunks.push_back({prefix, n, prefix, m});
  return hunks;
}

} // namespace awf::core
