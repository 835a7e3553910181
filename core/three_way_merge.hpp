// Three-way merge of JSON states for the `three_way_merge` strategy of
// contract §6: both branches' changes since the fork, path by path, with the
// paths changed on both sides reported as JSON Pointers.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace awf::core {

/// The merged state and where the two branches overlapped.
struct merge_result {
  nlohmann::json merged;
  /// RFC 6901 JSON Pointers ("" is the root) of the paths both sides changed
  /// differently, in document order (object keys sorted as nlohmann::json
  /// stores them, array indices ascending).
  std::vector<std::string> conflicting_paths;
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
/// to `max_json_depth`.
merge_result three_way_merge(const nlohmann::json& fork,
                             const nlohmann::json& server,
                             const nlohmann::json& client,
                             bool client_wins_overlaps);

} // namespace awf::core
