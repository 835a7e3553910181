// What building a JSON value may cost: nesting depth, nodes and the memory
// its nlohmann::json tree really takes. The parser and the patch applier
// charge a budget before they do the work, so a hostile body or patch stops
// the moment it passes its limit instead of after the allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/canonical_json.hpp"

namespace awf::core {

/// The memory cost model of an nlohmann::json tree (nlohmann 3.11 with
/// libstdc++ and glibc malloc on 64 bits), measured with a counting
/// allocator (tests/core/json_budget_test.cpp checks it stays exact):
/// - every value is a 16-byte slot inside its parent (array storage or map
///   node); scalars (null, bool, numbers) cost nothing more;
/// - a string adds a heap `std::string` (48-byte block) and, beyond 15
///   characters, its character buffer (capacity + 1, rounded as malloc does);
/// - an array adds a heap `std::vector` (32-byte block) and its element
///   storage (16 bytes per element of capacity, rounded);
/// - an object adds a heap `std::map` (64-byte block) and one 96-byte tree
///   node per member (node links, key `std::string`, value slot), plus the
///   key's buffer beyond 15 characters.
/// Every malloc block is the request plus 8 bytes, rounded up to 16, at least
/// 32. So `[{}, {}]` costs about 27 times its text, `{"gold": 10}` about 15.
namespace json_cost {

/// The bytes glibc's malloc really takes for a request of `bytes`.
std::size_t heap_block(std::size_t bytes) noexcept;

/// Heap bytes a string of `capacity` characters adds to its owner.
std::size_t string_buffer(std::size_t capacity) noexcept;

/// Heap bytes `value` itself adds beyond its slot, children not included.
std::size_t own_bytes(const nlohmann::json& value) noexcept;

/// Heap bytes one object member adds: its tree node and its key's buffer.
std::size_t member_bytes(std::string_view key) noexcept;

/// What one more element costs an array: at most its slot and the same
/// again of growth slack (vectors double when they fill up).
inline constexpr std::size_t array_element_bytes = 2 * sizeof(nlohmann::json);

/// The bytes of a copy of `value` with all its children, walked without
/// recursion. For tests and measurements; the budget stops early instead.
std::size_t tree_bytes(const nlohmann::json& value);

} // namespace json_cost

/// A limit on what building or copying JSON may cost. Charges add up; once a
/// charge fails the budget stays spent.
class json_budget {
public:
  /// Memory a parsed value may take per byte of its text. Typical game
  /// states take 5 to 15 times their canonical bytes; only dense empty
  /// containers and one-letter members take more (up to about 27 times).
  static constexpr std::size_t bytes_per_text_byte = 16;

  /// What every parse may take regardless of the text's size.
  static constexpr std::size_t parse_floor_bytes = std::size_t{64} << 10;

  /// Memory the `copy` operations of a request's patches may allocate per
  /// byte of the state limit. A patch that needs more can send the state
  /// whole instead.
  static constexpr std::size_t copy_bytes_per_state_byte = 4;

  /// Edit work is counted in bytes scanned: what a search for a member or
  /// element reads, byte by byte (about 1.3 GB/s on the machines of
  /// docs/performance.md). Other work converts at what it costs there:
  /// memory moved by memmove (about 70 GB/s in cache, less beyond) counts
  /// one unit per 64 bytes, an index entry updated one, a container
  /// stepped over by a lookup of its end 64, and a slot of a parsed array
  /// shifted by an insert or erase (about 400 M/s) four.
  static constexpr std::size_t moved_bytes_per_edit_unit = 64;
  static constexpr std::size_t edit_units_per_index_entry = 1;
  static constexpr std::size_t edit_units_per_container_skip = 64;
  static constexpr std::size_t edit_units_per_array_slot = 4;

  /// Edit work the patches of one request may do per byte of the state
  /// limit, and at least this much in all (about 0.2 s of one core). A
  /// patch that needs more can send the state whole instead.
  static constexpr std::size_t edit_units_per_state_byte = 4;
  static constexpr std::size_t edit_floor_units = std::size_t{256} << 20;

  explicit json_budget(std::size_t max_bytes,
                       std::size_t max_depth = max_json_depth) noexcept;

  /// The budget for parsing `text_bytes` of client text:
  /// `parse_floor_bytes + bytes_per_text_byte * text_bytes`.
  static json_budget for_text(std::size_t text_bytes) noexcept;

  /// The budget for what the patches of one request may copy within a state
  /// under the limit `max_state_bytes`:
  /// `copy_bytes_per_state_byte * max_state_bytes`; and for the work of
  /// their edits: the larger of `edit_floor_units` and
  /// `edit_units_per_state_byte * max_state_bytes`.
  static json_budget for_state(std::size_t max_state_bytes) noexcept;

  /// No memory limit, only the depth limit (stored data already checked).
  static json_budget unlimited() noexcept;

  /// Takes `bytes` and `nodes`; false once the total passes a limit.
  bool charge(std::size_t bytes, std::size_t nodes = 0) noexcept;

  /// Takes `units` of edit work: what finding an entry scans and what
  /// inserting or removing one moves (the bytes or array slots after it).
  /// Each edit of a patch may cost the state's size, so without this a patch
  /// of many small operations on a large state costs their product. Only
  /// budgets made by `for_state` limit it.
  bool charge_edit(std::size_t units) noexcept;

  /// True when no charge has failed.
  bool ok() const noexcept { return !exhausted_; }

  /// True when the charge that failed was edit work.
  bool edits_exhausted() const noexcept { return edits_exhausted_; }

  std::size_t max_bytes() const noexcept { return max_bytes_; }
  std::size_t max_nodes() const noexcept { return max_nodes_; }
  std::size_t max_depth() const noexcept { return max_depth_; }
  std::size_t spent_bytes() const noexcept { return spent_bytes_; }
  std::size_t spent_nodes() const noexcept { return spent_nodes_; }
  std::size_t max_edit_units() const noexcept { return max_edit_units_; }
  std::size_t spent_edit_units() const noexcept { return spent_edit_units_; }

private:
  std::size_t max_bytes_;
  std::size_t max_nodes_;
  std::size_t max_depth_;
  std::size_t spent_bytes_ = 0;
  std::size_t spent_nodes_ = 0;
  std::size_t max_edit_units_ = SIZE_MAX;
  std::size_t spent_edit_units_ = 0;
  bool exhausted_ = false;
  bool edits_exhausted_ = false;
};

/// Why charging a copy failed.
enum class copy_charge { ok, too_deep, too_large };

/// Charges `budget` for a deep copy of `value` placed below `levels_above`
/// containers, walking `value` without recursion and stopping at the first
/// node past the depth limit or the budget. Every node costs one node and
/// its `json_cost` bytes.
copy_charge charge_copy(const nlohmann::json& value, std::size_t levels_above,
                        json_budget& budget);

/// Checks that `value` placed below `levels_above` containers stays within
/// the budget's depth limit, charging one node per node visited (the walk is
/// the work) but no bytes. A walk that needs no bound on its work (its value
/// is walked once, like the value of an `add`) passes an unlimited budget.
copy_charge charge_depth_walk(const nlohmann::json& value,
                              std::size_t levels_above, json_budget& budget);

} // namespace awf::core
