#include "core/three_way_merge.hpp"

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "core/canonical_json.hpp"

namespace awf::core {

namespace {

using json = nlohmann::json;

/// A value that may be absent (a missing object member): nullptr = absent.
using slot = const json*;

bool same(slot lhs, slot rhs) {
  if (lhs == nullptr || rhs == nullptr)
    return lhs == rhs;
  return lhs == rhs || *lhs == *rhs;
}

std::optional<json> copy_of(slot value) {
  if (value == nullptr)
    return std::nullopt;
  return *value;
}

slot member(slot object, const std::string& key) {
  if (object == nullptr || !object->is_object())
    return nullptr;
  auto i = object->find(key);
  return i == object->end() ? nullptr : &*i;
}

/// One merge: the shared path buffer grows and shrinks with the recursion so
/// only conflicting paths are ever copied.
class merger {
public:
  merger(bool client_wins_overlaps, conflict_path_limits limits)
    : client_wins_overlaps_(client_wins_overlaps), limits_(limits) {}

  /// Returns the merged value at `path_`, or nothing when it ends absent.
  std::optional<json> merge(slot base, slot server, slot client) {
    if (same(server, client))
      return copy_of(server);
    if (same(base, server))
      return copy_of(client);
    if (same(base, client))
      return copy_of(server);
    // Both sides changed, differently.
    if (server != nullptr && client != nullptr) {
      if (server->is_object() && client->is_object())
        return merge_objects(base, *server, *client);
      if (base != nullptr && base->is_array() && server->is_array() &&
          client->is_array() && base->size() == server->size() &&
          base->size() == client->size())
        return merge_arrays(*base, *server, *client);
    }
    note_conflict();
    return copy_of(client_wins_overlaps_ ? client : server);
  }

  std::vector<std::string> take_paths() {
    return std::move(conflicting_paths_);
  }

  std::size_t total() const noexcept { return total_; }

private:
  /// Counts the conflict at `path_` and lists it while the limits allow;
  /// after the first path that does not fit, nothing more is listed, so the
  /// list is always the first paths in document order.
  void note_conflict() {
    ++total_;
    if (full_)
      return;
    if (conflicting_paths_.size() >= limits_.max_paths ||
        path_.size() > limits_.max_bytes - listed_bytes_) {
      full_ = true;
      return;
    }
    listed_bytes_ += path_.size();
    conflicting_paths_.push_back(path_);
  }

  json merge_objects(slot base, const json& server, const json& client) {
    const auto& lhs = server.get_ref<const json::object_t&>();
    const auto& rhs = client.get_ref<const json::object_t&>();
    auto less = lhs.key_comp();
    json::object_t merged;
    auto visit = [&](const std::string& key) {
      auto size = path_.size();
      append_pointer_token(path_, key);
      auto value =
        merge(member(base, key), member(&server, key), member(&client, key));
      path_.resize(size);
      if (value)
        merged.emplace_hint(merged.end(), key, std::move(*value));
    };
    // Walk the sorted union of both sides' keys. A key only the base has was
    // deleted on both sides and stays absent.
    auto i = lhs.begin();
    auto j = rhs.begin();
    while (i != lhs.end() || j != rhs.end()) {
      if (j == rhs.end() || (i != lhs.end() && less(i->first, j->first))) {
        visit(i->first);
        ++i;
      } else if (i == lhs.end() || less(j->first, i->first)) {
        visit(j->first);
        ++j;
      } else {
        visit(i->first);
        ++i;
        ++j;
      }
    }
    return json(std::move(merged));
  }

  json merge_arrays(const json& base, const json& server, const json& client) {
    json::array_t merged;
    merged.reserve(base.size());
    for (std::size_t index = 0; index < base.size(); ++index) {
      auto size = path_.size();
      path_ += '/';
      path_ += std::to_string(index);
      // All three elements exist, so the merged element does too.
      auto value = merge(&base[index], &server[index], &client[index]);
      path_.resize(size);
      merged.push_back(std::move(*value));
    }
    return json(std::move(merged));
  }

  bool client_wins_overlaps_;
  conflict_path_limits limits_;
  std::string path_;
  std::vector<std::string> conflicting_paths_;
  std::size_t listed_bytes_ = 0;
  std::size_t total_ = 0;
  bool full_ = false; ///< a path did not fit: list no more
};

} // namespace

merge_result three_way_merge(const nlohmann::json& fork,
                             const nlohmann::json& server,
                             const nlohmann::json& client,
                             bool client_wins_overlaps,
                             conflict_path_limits limits) {
  merger m{client_wins_overlaps, limits};
  // Every value at the root is present, so the merged root is too.
  auto merged = m.merge(&fork, &server, &client);
  return merge_result{std::move(*merged), m.take_paths(), m.total()};
}

} // namespace awf::core
