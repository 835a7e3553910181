// Array alignment for the RFC 6902 diff: trims the common ends, then runs
// Myers' greedy O((N+M)·D) sequence diff over element hashes, within a bound
// on the edit count so that a reordered long array cannot cost N·M.
#include "core/json_array_diff.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

namespace awf::core {

namespace {

using json = nlohmann::json;
using position = std::ptrdiff_t;

/// Bound on the search's work, (N+M)·D: tens of milliseconds at worst, on an
/// array of many thousand elements. Long arrays get fewer edits.
constexpr std::size_t max_alignment_work = std::size_t{1} << 22;

/// Folds `word` into the running hash `state`: one 64×64→128-bit multiply
/// whose halves are xored (wyhash's "mum"), which spreads a change in any
/// bit of either input over the whole result.
constexpr std::uint64_t fold(std::uint64_t state, std::uint64_t word) {
  const auto product =
    static_cast<unsigned __int128>(state ^ word) * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::uint64_t>(product) ^
         static_cast<std::uint64_t>(product >> 64);
}

/// MurmurHash3's 64-bit finalizer: spreads every input bit over the output.
constexpr std::uint64_t finish(std::uint64_t state) {
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

/// Folds `bytes` eight at a time, then their count (so that trailing zero
/// bytes still count).
std::uint64_t fold_bytes(std::uint64_t state, const void* bytes,
                         std::size_t size) {
  const auto* at = static_cast<const unsigned char*>(bytes);
  for (; size >= 8; size -= 8, at += 8) {
    std::uint64_t word;
    std::memcpy(&word, at, 8);
    state = fold(state, word);
  }
  std::uint64_t tail = 0;
  for (std::size_t i = 0; i < size; ++i)
    tail |= std::uint64_t{at[i]} << (8 * i);
  return fold(fold(state, tail), size);
}

/// Folds every number as its double, as nlohmann's `==` compares integers
/// with doubles; -0.0 becomes 0.0 because the two compare equal. (An
/// unsigned above INT64_MAX equals a negative integer under `==` but hashes
/// apart: harmless, a missed match only costs a larger patch.)
std::uint64_t number_bits(double number) {
  if (number == 0)
    number = 0;
  return std::bit_cast<std::uint64_t>(number);
}

/// The hash of `value` before `finish`.
std::uint64_t fold_value(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return null_tag;
    case json::value_t::boolean:
      return value.get<bool>() ? true_tag : false_tag;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return fold(number_tag, number_bits(value.get<double>()));
    case json::value_t::string: {
      const auto& text = value.get_ref<const json::string_t&>();
      return fold_bytes(string_tag, text.data(), text.size());
    }
    case json::value_t::array: {
      std::uint64_t state = array_tag;
      for (const auto& element : value.get_ref<const json::array_t&>())
        state = fold(state, fold_value(element));
      return fold(state, value.size());
    }
    case json::value_t::object: {
      // std::map iterates in key order, so equal objects fold alike.
      std::uint64_t state = object_tag;
      for (const auto& [key, member] : value.get_ref<const json::object_t&>())
        state =
          fold(fold_bytes(state, key.data(), key.size()), fold_value(member));
      return fold(state, value.size());
    }
    case json::value_t::binary: {
      const auto& bytes = value.get_binary();
      auto state = fold(binary_tag, bytes.has_subtype() ? bytes.subtype() : 0);
      state = fold(state, bytes.has_subtype());
      return fold_bytes(state, bytes.data(), bytes.size());
    }
    default: return 0;
  }
}

} // namespace

std::uint64_t structural_hash(const json& value) {
  return finish(fold_value(value));
}

namespace {

/// Numbers the distinct values of two array middles, so that the search
/// compares integers. A value joins the class of the first value with its
/// hash (the representative) only if it is `==` to it; on a collision it
/// gets a class of its own and simply matches nothing. Each value is thus
/// deep-compared at most once, however often the search meets it.
class value_classes {
public:
  explicit value_classes(std::size_t values) {
    std::size_t capacity = 16;
    while (capacity < 2 * values)
      capacity *= 2;
    slots_.resize(capacity);
  }

  struct entry {
    std::uint32_t id;
    bool representative;
  };

  entry classify(const json& value) {
    const auto hash = structural_hash(value);
    const auto mask = slots_.size() - 1;
    for (auto at = static_cast<std::size_t>(hash) & mask;;
         at = (at + 1) & mask) {
      auto& slot = slots_[at];
      if (slot.representative == nullptr) {
        slot = {hash, &value, next_id_};
        return {next_id_++, true};
      }
      if (slot.hash == hash) {
        if (*slot.representative == value)
          return {slot.id, false};
        return {next_id_++, true};
      }
    }
  }

private:
  struct slot {
    std::uint64_t hash = 0;
    const json* representative = nullptr;
    std::uint32_t id = 0;
  };

  std::vector<slot> slots_;
  std::uint32_t next_id_ = 0;
};

/// Myers' greedy forward search over two array middles, `a` and `b`,
/// keeping each step's furthest reaching points so that the edit script can
/// be read back from the end.
class sequence_diff {
public:
  sequence_diff(const json* a, position n, const json* b, position m)
    : a_(a), b_(b), n_(n), m_(m) {
    value_classes classes{static_cast<std::size_t>(n + m)};
    a_classes_.reserve(static_cast<std::size_t>(n));
    for (position x = 0; x < n; ++x)
      a_classes_.push_back(classes.classify(a[x]));
    b_classes_.reserve(static_cast<std::size_t>(m));
    for (position y = 0; y < m; ++y)
      b_classes_.push_back(classes.classify(b[y]));
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
        while (x < n_ && y < m_ && same_class(x, y)) {
          ++x;
          ++y;
        }
        v[center + k] = x;
        trace_.push_back(x);
        if (x >= n_ && y >= m_) {
          emit_hunks(read_back(d), offset, out);
          return true;
        }
      }
    }
    return false;
  }

private:
  /// One step of the edit script: delete a[x] or insert b[y], at (x, y).
  struct edit {
    position x;
    position y;
    bool insert;
  };

  /// Whether the path to diagonal k at step d comes down from k + 1 (an
  /// insertion) rather than right from k - 1 (a deletion).
  static bool down(position d, position k, position left_x, position up_x) {
    return k == -d || (k != d && left_x < up_x);
  }

  bool same_class(position x, position y) const {
    return a_classes_[static_cast<std::size_t>(x)].id ==
           b_classes_[static_cast<std::size_t>(y)].id;
  }

  /// Whether a[x] and b[y] of one class are `==`. Either one being the
  /// representative proves it; otherwise both only equal a third value, and
  /// `==` across integers and doubles is not transitive, so ask again.
  bool equal(position x, position y) const {
    return a_classes_[static_cast<std::size_t>(x)].representative ||
           b_classes_[static_cast<std::size_t>(y)].representative ||
           a_[x] == b_[y];
  }

  /// The furthest x on diagonal k after step d (steps store d + 1 points).
  position reached(position d, position k) const {
    return trace_[static_cast<std::size_t>(d * (d + 1) / 2 + (k + d) / 2)];
  }

  /// Walks from (n, m) back to (0, 0) and returns the `edits` edits in
  /// ascending order.
  std::vector<edit> read_back(position edits) const {
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
    return script;
  }

  /// Merges the script into hunks. A kept pair that turns out unequal (see
  /// `equal`) becomes a one-for-one hunk, so kept elements are `==`.
  void emit_hunks(const std::vector<edit>& script, std::size_t offset,
                  std::vector<array_hunk>& out) const {
    const auto first = out.size();
    auto extend = [&](position x, position y, bool removes, bool inserts) {
      const auto from_at = offset + static_cast<std::size_t>(x);
      const auto to_at = offset + static_cast<std::size_t>(y);
      if (out.size() == first ||
          out.back().from_begin + out.back().from_count != from_at ||
          out.back().to_begin + out.back().to_count != to_at)
        out.push_back({from_at, 0, to_at, 0});
      out.back().from_count += removes ? 1 : 0;
      out.back().to_count += inserts ? 1 : 0;
    };
    position x = 0;
    position y = 0;
    auto keep_until = [&](position end_x) {
      for (; x < end_x; ++x, ++y)
        if (!equal(x, y))
          extend(x, y, true, true);
    };
    for (const auto& step : script) {
      keep_until(step.x);
      extend(x, y, !step.insert, step.insert);
      ++(step.insert ? y : x);
    }
    keep_until(n_);
  }

  const json* a_;
  const json* b_;
  position n_;
  position m_;
  std::vector<value_classes::entry> a_classes_;
  std::vector<value_classes::entry> b_classes_;
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
  const auto max_edits =
    std::min({max_array_edits, n + m, max_alignment_work / (n + m)});
  // Both middles start and end with a mismatch: at least two edits.
  if (n > 0 && m > 0 && max_edits >= 2) {
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
