// The fast path of a turn: applies a device's JSON Patch to the canonical
// bytes of the state directly, splicing the canonical bytes of each new
// value in place, so a turn needs neither the parsed state nor a whole
// canonicalization. It takes only what it can decide exactly (add, remove,
// replace and test, on pointers it can resolve without doubt); everything
// else, and every patch that fails, goes to the parsed-value path
// (apply_patch_in_place), which gives the exact answer and error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace awf::core {

class json_budget;

/// Where each container of a canonical document opens and ends, so that
/// stepping over a container is a lookup rather than a scan of its bytes.
/// Built in one pass; kept with a state, it follows the state's edits, so
/// the next patch needs no pass at all.
class canonical_brackets {
public:
  /// Indexes the canonical bytes `text`.
  explicit canonical_brackets(std::string_view text);

  /// The end of the container opening at `open`, or npos.
  std::size_t end_of(std::size_t open) const;

  /// The same for lookups in increasing order (the siblings a scan steps
  /// over): `hint` (npos at first) keeps where the last one was found, so
  /// the next is a short search forward from there.
  std::size_t end_of(std::size_t open, std::size_t& hint) const;

  /// Bytes [begin, end) of the document became `replacement`: a whole
  /// value or entry, so no container overlaps the edit partly.
  void edited(std::size_t begin, std::size_t end, std::string_view replacement);

  /// The size of the document indexed, as edited.
  std::size_t text_size() const noexcept { return text_size_; }

  /// How many containers the document holds.
  std::size_t containers() const noexcept { return pairs_.size(); }

private:
  struct span {
    std::size_t open;
    std::size_t end;
  };

  static std::vector<span> pairs_of(std::string_view text, std::size_t offset);

  std::vector<span> pairs_;
  std::size_t text_size_ = 0;
};

/// A state's canonical bytes after a patch, with their index.
struct spliced_state {
  std::string canonical;
  canonical_brackets brackets;
};

/// The canonical bytes of `canonical_state` (the canonical bytes of a state
/// nested within max_json_depth) patched by `patch` (the canonical bytes of
/// an RFC 6902 patch), exactly as canonicalize(apply_patch(parse(state),
/// parse(patch))) would write them; or nothing when the fast path does not
/// decide: an operation it does not take (move, copy, or replacing the
/// whole document), a pointer it does not resolve, a test that does not
/// hold, a value that could pass the depth limit. Nothing is never wrong:
/// the caller applies the patch to the parsed state instead. The patch is
/// read in place: each value is spliced as the bytes it already is.
/// `brackets`, when given, is the index of `canonical_state` (one of another
/// size is not used); the answer carries the index of the patched bytes.
///
/// Each edit moves the bytes after it, and each lookup scans its siblings,
/// so many operations on a large state cost their product. The work is
/// charged to `budget`'s edit work (json_budget::charge_edit) as it is done,
/// and the fast path also gives up once it passes
/// `fast_path_allowance(canonical_state.size())`: past that, parsing the
/// state and patching the tree costs less. Either way the answer is nothing
/// and the caller takes the exact path, which charges the same budget.
std::optional<spliced_state>
patch_canonical(std::string_view canonical_state, std::string_view patch,
                std::optional<canonical_brackets> brackets = std::nullopt,
                json_budget* budget = nullptr);

/// The edit work (json_budget::charge_edit) the fast path spends on one
/// patch of a state of `state_bytes` at most: about what parsing the state,
/// patching its tree and writing it out again would cost.
constexpr std::size_t fast_path_allowance(std::size_t state_bytes) noexcept {
  return 32 * state_bytes + (std::size_t{1} << 20);
}

} // namespace awf::core
