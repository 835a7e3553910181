// Three-way merge of JSON states for the `three_way_merge` strategy of
// contract §6: both branches' changes since the fork, path by path, with the
// paths changed on both sides reported as JSON Pointers.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace awf::core {

/// How much of the conflicting paths a merge keeps: a conflict report
/// carries them, is stored and is listed again, so a state with thousands
/// of overlapping leaves under long keys must not make it megabytes.
struct conflict_path_limits {
  std::size_t max_paths = 100;       ///< paths listed at most
  std::size_t max_bytes = 16 * 1024; ///< of path text listed at most
};

/// The merged state and where the two branches overlapped.
struct merge_result {
  nlohmann::json merged;
  /// RFC 6901 JSON Pointers ("" is the root) of the paths both sides changed
  /// differently, in document order (object keys sorted as nlohmann::json
  /// stores them, array indices ascending): the first ones only, as many as
  /// the limits allow (the list stops at the first path that does not fit).
  std::vector<std::string> conflicting_paths;
  /// Every conflicting path, listed or not.
  std::size_t conflicting_paths_total = 0;
  /// True when `conflicting_paths` lists fewer than the total.
  bool truncated() const noexcept {
    return conflicting_paths.size() < conflicting_paths_total;
  }
};

/// Merges the changes fork→server and fork→client. `fork` may be null (a
/// save forked at turn 0). A value changed on one side only takes that
/// side's value; a missing object member counts as a value, so deleting a
/// member is a change. Values both sides changed differently recurse when
/// server and client are both objects (a base that is not an object counts
/// as {}) or all three are arrays of the same length; anything else is a
/// conflict, settled by the client's value when `client_wins_overlaps`, else
/// by the server's (a missing winner removes the member). Array edits on
/// both sides therefore conflict at the array's path unless they touch
/// disjoint positions of arrays whose length stayed the same.
///
/// Recursion depth follows the inputs' nesting, which states already limit
/// to `max_json_depth`. Paths are listed within `limits` as they are found;
/// past them only the total is counted.
merge_result three_way_merge(const nlohmann::json& fork,
                             const nlohmann::json& server,
                             const nlohmann::json& client,
                             bool client_wins_overlaps,
                             conflict_path_limits limits = {});

} // namespace awf::core
