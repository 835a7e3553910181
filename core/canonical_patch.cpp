#include "core/canonical_patch.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "core/canonical_json.hpp"
#include "core/json_budget.hpp"
#include "core/json_patch.hpp"

namespace awf::core {

namespace {

constexpr std::size_t none = std::string_view::npos;

/// Where the string starting at text[pos] (a '"') closes, or text.size().
/// In canonical bytes an escape is a backslash and one character (the digits
/// of \u00XX are plain characters), so a quote closes the string exactly
/// when an even number of backslashes precedes it.
std::size_t closing_quote(std::string_view text, std::size_t pos) {
  std::size_t from = pos + 1;
  while (from < text.size()) {
    auto* hit = static_cast<const char*>(
      std::memchr(text.data() + from, '"', text.size() - from));
    if (!hit)
      break;
    auto quote = static_cast<std::size_t>(hit - text.data());
    std::size_t backslashes = 0;
    while (quote - backslashes > pos + 1 &&
           text[quote - backslashes - 1] == '\\')
      ++backslashes;
    if (backslashes % 2 == 0)
      return quote;
    from = quote + 1;
  }
  return text.size();
}

/// The end of the string starting at text[pos], or `none`.
std::size_t skip_string(std::string_view text, std::size_t pos) {
  auto quote = closing_quote(text, pos);
  return quote < text.size() ? quote + 1 : none;
}

} // namespace

canonical_brackets::canonical_brackets(std::string_view text)
  : pairs_(pairs_of(text, 0)), text_size_(text.size()) {}

std::size_t canonical_brackets::end_of(std::size_t open) const {
  auto it = std::lower_bound(
    pairs_.begin(), pairs_.end(), open,
    [](const span& pair, std::size_t at) { return pair.open < at; });
  return it != pairs_.end() && it->open == open ? it->end : none;
}

std::size_t canonical_brackets::end_of(std::size_t open,
                                       std::size_t& hint) const {
  auto before = [](const span& pair, std::size_t at) { return pair.open < at; };
  // From the hint, gallop forward to a range that holds `open`; without a
  // usable hint, search the whole index.
  std::size_t lo = 0;
  std::size_t hi = pairs_.size();
  if (hint < pairs_.size() && pairs_[hint].open < open) {
    lo = hint + 1;
    std::size_t step = 1;
    while (lo + step < pairs_.size() && pairs_[lo + step].open < open) {
      lo += step + 1;
      step *= 2;
    }
    hi = std::min(lo + step, pairs_.size());
  }
  auto it = std::lower_bound(pairs_.begin() + static_cast<std::ptrdiff_t>(lo),
                             pairs_.begin() + static_cast<std::ptrdiff_t>(hi),
                             open, before);
  hint = static_cast<std::size_t>(it - pairs_.begin());
  return it != pairs_.end() && it->open == open ? it->end : none;
}

// Updated in place: most edits replace a scalar, and copying the index for
// each operation of a patch cost more than the edits themselves.
void canonical_brackets::edited(std::size_t begin, std::size_t end,
                                std::string_view replacement) {
  auto grown = static_cast<std::ptrdiff_t>(replacement.size()) -
               static_cast<std::ptrdiff_t>(end - begin);
  text_size_ =
    static_cast<std::size_t>(static_cast<std::ptrdiff_t>(text_size_) + grown);
  auto shift = [grown](std::size_t& at) {
    at = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(at) + grown);
  };
  auto opening_from = [this](std::size_t at) {
    return std::lower_bound(
      pairs_.begin(), pairs_.end(), at,
      [](const span& pair, std::size_t pos) { return pair.open < pos; });
  };
  auto inside = opening_from(begin);
  auto after = opening_from(end);
  // Containers around the edit open before it and end after its start;
  // an edit of the same length (a number for a number of as many digits)
  // moves nothing.
  if (grown != 0) {
    for (auto it = pairs_.begin(); it != inside; ++it)
      if (it->end > begin)
        shift(it->end);
    for (auto it = after; it != pairs_.end(); ++it) {
      shift(it->open);
      shift(it->end);
    }
  }
  auto added = pairs_of(replacement, begin);
  if (inside == after && added.empty())
    return;
  // The replaced containers give way to those of the replacement.
  auto at = pairs_.erase(inside, after);
  pairs_.insert(at, added.begin(), added.end());
}

// The containers of `text`, in the order they open, placed at `offset`: one
// pass, each entry completed when its container closes.
std::vector<canonical_brackets::span>
canonical_brackets::pairs_of(std::string_view text, std::size_t offset) {
  std::vector<span> out;
  std::vector<std::size_t> open; // indexes into `out`
  for (std::size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case '"': i = closing_quote(text, i); break;
      case '{':
      case '[':
        open.push_back(out.size());
        out.push_back({offset + i, none});
        break;
      case '}':
      case ']':
        if (!open.empty()) {
          out[open.back()].end = offset + i + 1;
          open.pop_back();
        }
        break;
      default: break;
    }
  }
  // Unclosed containers (never in canonical bytes) are not indexed.
  std::erase_if(out, [](const span& pair) { return pair.end == none; });
  return out;
}

namespace {

/// The end of the value at text[pos], or `none`; containers are looked up
/// in `index`, from `hint` (see canonical_brackets::end_of).
std::size_t value_end(std::string_view text, std::size_t pos,
                      const canonical_brackets& index, std::size_t& hint) {
  if (pos >= text.size())
    return none;
  char c = text[pos];
  if (c == '{' || c == '[')
    return index.end_of(pos, hint);
  if (c == '"')
    return skip_string(text, pos);
  std::size_t i = pos;
  while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']')
    ++i;
  return i;
}

/// How deeply containers nest in the canonical value `text`.
std::size_t nesting(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      i = skip_string(text, i);
      if (i == none)
        return SIZE_MAX;
      --i;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

/// An array index token: "0" or digits without a leading zero, small.
std::optional<std::size_t> index_of(std::string_view token) {
  if (token.empty() || token.size() > 9 ||
      (token.size() > 1 && token.front() == '0'))
    return std::nullopt;
  std::size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9')
      return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

/// What a token names inside the container at `container`: the child's
/// value and entry (a member's "key":value, or the element), or, when
/// absent, where an entry would be inserted.
struct slot {
  bool found = false;
  std::size_t entry_begin = 0; ///< found: the entry; else the insert point
  std::size_t value_begin = 0;
  std::size_t value_end = 0;
};

/// What stepping over the entry [begin, end) costs a search: the bytes it
/// reads, or for a container, whose end is looked up, its key and a lookup.
std::size_t step_cost(std::string_view text, std::size_t begin,
                      std::size_t value_begin, std::size_t end) {
  char c = text[value_begin];
  return c == '{' || c == '['
           ? value_begin - begin + json_budget::edit_units_per_container_skip
           : end - begin;
}

/// Finds `token` in the object at `pos`. The members are sorted by
/// utf16_less, so the search stops at the first larger name. Nothing when
/// a name holds an escape (its order would need unescaping). Adds what the
/// search read to `scanned` (see step_cost).
std::optional<slot> find_member(std::string_view text, std::size_t pos,
                                std::string_view quoted_token,
                                const canonical_brackets& index,
                                std::size_t& scanned) {
  std::string_view token = quoted_token.substr(1, quoted_token.size() - 2);
  std::size_t hint = none;
  std::size_t i = pos + 1;
  if (i < text.size() && text[i] == '}')
    return slot{false, i, 0, 0};
  while (i < text.size() && text[i] == '"') {
    auto key_end = skip_string(text, i);
    if (key_end == none || key_end >= text.size() || text[key_end] != ':')
      return std::nullopt;
    auto key = text.substr(i, key_end - i);
    auto end = value_end(text, key_end + 1, index, hint);
    if (end == none || end >= text.size())
      return std::nullopt;
    scanned += step_cost(text, i, key_end + 1, end);
    if (key == quoted_token)
      return slot{true, i, key_end + 1, end};
    if (key.find('\\') != std::string_view::npos)
      return std::nullopt;
    if (utf16_less(token, key.substr(1, key.size() - 2)))
      return slot{false, i, 0, 0};
    if (text[end] == '}')
      return slot{false, end, 0, 0};
    if (text[end] != ',')
      return std::nullopt;
    i = end + 1;
  }
  return std::nullopt;
}

/// Finds element `index` of the array at `pos` (or, with `insert`, the
/// place before it, `index` == size naming the end). Adds what the search
/// read to `scanned`.
std::optional<slot> find_element(std::string_view text, std::size_t pos,
                                 std::size_t index, bool insert,
                                 const canonical_brackets& brackets,
                                 std::size_t& scanned) {
  std::size_t i = pos + 1;
  if (i < text.size() && text[i] == ']') {
    if (insert && index == 0)
      return slot{false, i, 0, 0};
    return std::nullopt;
  }
  std::size_t hint = none;
  for (std::size_t n = 0; i < text.size(); ++n) {
    auto end = value_end(text, i, brackets, hint);
    if (end == none || end >= text.size())
      return std::nullopt;
    scanned += step_cost(text, i, i, end);
    if (n == index)
      return slot{!insert, i, i, end};
    if (text[end] == ']')
      return insert && index == n + 1
               ? std::optional<slot>{slot{false, end, 0, 0}}
               : std::nullopt;
    if (text[end] != ',')
      return std::nullopt;
    i = end + 1;
  }
  return std::nullopt;
}

/// The canonical form of a member name as it appears in the bytes.
std::string quoted(const std::string& token) {
  std::string out;
  append_canonical_string(token, out);
  return out;
}

/// A document being patched, with the edits the four operations need.
/// Every edit and search is charged before (an edit) or as soon as (a
/// search, which reads at most the document) it is done; once the work
/// passes `allowance` or `budget`, each operation answers false.
class canonical_document {
public:
  canonical_document(std::string_view text,
                     std::optional<canonical_brackets> known,
                     std::size_t allowance, json_budget* budget)
    : text_(text), brackets_(known && known->text_size() == text.size()
                               ? std::move(*known)
                               : canonical_brackets{text}),
      allowance_(allowance), budget_(budget) {}

  spliced_state take() { return {std::move(text_), std::move(brackets_)}; }

  // Replacing the whole document is left to the parsed path, which moves
  // the patch's value in rather than writing its bytes twice.
  bool add(const std::vector<std::string>& path, std::string_view value) {
    if (path.empty())
      return false;
    auto parent = resolve(path, path.size() - 1);
    if (parent == none)
      return false;
    const auto& last = path.back();
    if (text_[parent] == '{') {
      auto name = quoted(last);
      if (name.find('\\') != std::string::npos)
        return false;
      std::size_t scanned = 0;
      auto at = find_member(text_, parent, name, brackets_, scanned);
      if (!spend(scanned) || !at)
        return false;
      if (at->found)
        return edit(at->value_begin, at->value_end, value);
      return insert_entry(at->entry_begin, name + ':' + std::string{value});
    }
    if (text_[parent] != '[')
      return false;
    std::optional<slot> at;
    std::size_t scanned = 0;
    if (last == "-")
      at = end_of_array(parent);
    else if (auto index = index_of(last))
      at = find_element(text_, parent, *index, true, brackets_, scanned);
    if (!spend(scanned) || !at)
      return false;
    return insert_entry(at->entry_begin, std::string{value});
  }

  bool replace(const std::vector<std::string>& path, std::string_view value) {
    if (path.empty())
      return false;
    auto at = locate(path);
    if (!at)
      return false;
    return edit(at->value_begin, at->value_end, value);
  }

  bool remove(const std::vector<std::string>& path) {
    if (path.empty())
      return false;
    auto at = locate(path);
    if (!at)
      return false;
    // The entry with one comma: the one after it, else the one before it.
    auto begin = at->entry_begin;
    auto end = at->value_end;
    if (text_[end] == ',')
      ++end;
    else if (text_[begin - 1] == ',')
      --begin;
    return edit(begin, end, {});
  }

  bool holds(const std::vector<std::string>& path, std::string_view value) {
    if (path.empty())
      return text_ == value;
    auto at = locate(path);
    return at && std::string_view{text_}.substr(
                   at->value_begin, at->value_end - at->value_begin) == value;
  }

private:
  /// The start of the value the first `count` tokens of `path` name, or
  /// `none`.
  std::size_t resolve(const std::vector<std::string>& path, std::size_t count) {
    std::size_t pos = 0;
    for (std::size_t i = 0; i < count; ++i) {
      auto at = child(pos, path[i]);
      if (!at)
        return none;
      pos = at->value_begin;
    }
    return pos;
  }

  /// The existing child `token` of the container at `pos`.
  std::optional<slot> child(std::size_t pos, const std::string& token) {
    std::optional<slot> at;
    std::size_t scanned = 0;
    if (text_[pos] == '{') {
      at = find_member(text_, pos, quoted(token), brackets_, scanned);
    } else if (text_[pos] == '[') {
      if (auto index = index_of(token))
        at = find_element(text_, pos, *index, false, brackets_, scanned);
    }
    if (!spend(scanned) || !at || !at->found)
      return std::nullopt;
    return at;
  }

  /// The existing value `path` names (not the root).
  std::optional<slot> locate(const std::vector<std::string>& path) {
    auto parent = resolve(path, path.size() - 1);
    if (parent == none)
      return std::nullopt;
    return child(parent, path.back());
  }

  std::optional<slot> end_of_array(std::size_t pos) {
    auto end = brackets_.end_of(pos);
    if (end == none)
      return std::nullopt;
    return slot{false, end - 1, 0, 0};
  }

  /// Takes `units` of edit work (json_budget::charge_edit); false once it
  /// passes the allowance or the budget.
  bool spend(std::size_t units) {
    if (units > allowance_ - spent_)
      return false;
    spent_ += units;
    return budget_ == nullptr || budget_->charge_edit(units);
  }

  /// Every change of the bytes goes through here, so the index follows.
  /// The bytes after the edit move; the index entries after it move too
  /// unless the length stays and no container comes or goes (a bracket in
  /// a string counts as one: the charge may be high, never low).
  bool edit(std::size_t begin, std::size_t end, std::string_view bytes) {
    auto work = (text_.size() - end + bytes.size()) /
                json_budget::moved_bytes_per_edit_unit;
    auto has_bracket = [](std::string_view text) {
      return text.find_first_of("{[") != std::string_view::npos;
    };
    if (bytes.size() != end - begin || has_bracket(bytes) ||
        has_bracket(std::string_view{text_}.substr(begin, end - begin)))
      work += brackets_.containers() * json_budget::edit_units_per_index_entry;
    if (!spend(work))
      return false;
    text_.replace(begin, end - begin, bytes);
    brackets_.edited(begin, end, bytes);
    return true;
  }

  /// Inserts `entry` at `at`: before the entry starting there, or before
  /// the closing bracket there.
  bool insert_entry(std::size_t at, const std::string& entry) {
    char here = text_[at];
    if (here == '}' || here == ']') {
      char before = text_[at - 1];
      bool empty = before == '{' || before == '[';
      return edit(at, at, empty ? entry : ',' + entry);
    }
    return edit(at, at, entry + ',');
  }

  std::string text_;
  canonical_brackets brackets_;
  std::size_t allowance_;
  std::size_t spent_ = 0;
  json_budget* budget_;
};

/// The members of one operation of a canonical patch that the fast path
/// reads, as canonical bytes; empty when absent.
struct op_members {
  std::string_view op;
  std::string_view path;
  std::string_view value;
};

/// The operations of `patch`, canonical bytes; nothing when they are not an
/// array of objects.
std::optional<std::vector<op_members>> operations_of(std::string_view patch) {
  if (patch.size() < 2 || patch.front() != '[')
    return std::nullopt;
  canonical_brackets index{patch};
  std::vector<op_members> ops;
  std::size_t hint = none;
  std::size_t pos = 1;
  while (pos < patch.size() && patch[pos] != ']') {
    auto end = patch[pos] == '{' ? index.end_of(pos, hint) : none;
    if (end == none)
      return std::nullopt;
    op_members op;
    // Members are "name":value, separated by commas, up to the '}'.
    for (auto at = pos + 1; at + 1 < end;) {
      auto name_end = skip_string(patch, at);
      if (name_end == none || name_end >= end || patch[name_end] != ':')
        return std::nullopt;
      auto name = patch.substr(at, name_end - at);
      auto value_begin = name_end + 1;
      auto value_stop = value_end(patch, value_begin, index, hint);
      if (value_stop == none || value_stop >= end)
        return std::nullopt;
      auto value = patch.substr(value_begin, value_stop - value_begin);
      if (name == R"("op")")
        op.op = value;
      else if (name == R"("path")")
        op.path = value;
      else if (name == R"("value")")
        op.value = value;
      at = patch[value_stop] == ',' ? value_stop + 1 : value_stop;
    }
    ops.push_back(op);
    pos = patch[end] == ',' ? end + 1 : end;
  }
  return ops;
}

/// The text of the canonical string literal `literal`, or nothing when it
/// is not one. Canonical bytes escape only '"', '\\' and control characters.
std::optional<std::string> string_text(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"')
    return std::nullopt;
  literal = literal.substr(1, literal.size() - 2);
  std::string out;
  out.reserve(literal.size());
  for (std::size_t i = 0; i < literal.size(); ++i) {
    if (literal[i] != '\\') {
      out += literal[i];
      continue;
    }
    if (++i == literal.size())
      return std::nullopt;
    switch (literal[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        // \u00XX: a control character.
        if (i + 4 >= literal.size() || literal.substr(i + 1, 2) != "00")
          return std::nullopt;
        unsigned code = 0;
        for (char c : literal.substr(i + 3, 2)) {
          auto digit = c >= '0' && c <= '9'   ? c - '0'
                       : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                              : -1;
          if (digit < 0)
            return std::nullopt;
          code = code * 16 + static_cast<unsigned>(digit);
        }
        out += static_cast<char>(code);
        i += 4;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

bool apply(canonical_document& doc, const op_members& op) {
  auto pointer = string_text(op.path);
  if (!pointer)
    return false;
  auto path = parse_json_pointer(*pointer);
  if (!path)
    return false;
  if (op.op == R"("remove")")
    return doc.remove(*path);
  bool test = op.op == R"("test")";
  if ((op.op != R"("add")" && op.op != R"("replace")" && !test) ||
      (path->empty() && !test) || op.value.empty())
    return false;
  // A value near the depth limit goes to the exact path.
  if (path->size() + nesting(op.value) + 2 > max_json_depth)
    return false;
  if (op.op == R"("add")")
    return doc.add(*path, op.value);
  if (op.op == R"("replace")")
    return doc.replace(*path, op.value);
  return doc.holds(*path, op.value);
}

} // namespace

std::optional<spliced_state>
patch_canonical(std::string_view canonical_state, std::string_view patch,
                std::optional<canonical_brackets> brackets,
                json_budget* budget) {
  if (canonical_state.empty())
    return std::nullopt;
  auto ops = operations_of(patch);
  if (!ops)
    return std::nullopt;
  canonical_document doc{canonical_state, std::move(brackets),
                         fast_path_allowance(canonical_state.size()), budget};
  for (const auto& op : *ops)
    if (!apply(doc, op))
      return std::nullopt;
  return doc.take();
}

} // namespace awf::core
