#define CAF_SUITE json_document

#include "core/json_document.hpp"

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"
#include "core/json_budget.hpp"

using namespace awf::core;

namespace {

/// The canonical bytes json_document writes for `text`, after checking
/// that parse_json agrees.
std::string canonical_of(const std::string& text) {
  auto document = json_document::parse(text);
  auto parsed = parse_json(text);
  if (!document || !parsed)
    CAF_FAIL("did not parse: " << text);
  auto bytes = document->root().canonical();
  CAF_CHECK_EQUAL(bytes, canonicalize(*parsed));
  return bytes;
}

/// The error json_document gives for `text`, after checking that
/// parse_json gives the same.
error refusal_of(const std::string& text) {
  auto document = json_document::parse(text);
  auto parsed = parse_json(text);
  if (document || parsed)
    CAF_FAIL("parsed: " << text);
  CAF_CHECK_EQUAL(document.error().message, parsed.error().message);
  return document.error();
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

} // namespace

CAF_TEST(canonical bytes are those of parse_json and canonicalize) {
  CAF_CHECK_EQUAL(canonical_of(R"({ "b": [1, 2.50, -0, 1E+2], "a": null })"),
                  R"({"a":null,"b":[1,2.5,0,100]})");
  CAF_CHECK_EQUAL(canonical_of(R"({"\u00e9":1,"z":"\u0001\"\\/"})"),
                  "{\"z\":\"\\u0001\\\"\\\\/\",\"\xc3\xa9\":1}");
  // UTF-16 order: U+E000 sorts after U+1F600, unlike their UTF-8 bytes.
  CAF_CHECK_EQUAL(canonical_of("{\"\xee\x80\x80\":1,\"\xf0\x9f\x98\x80\":2}"),
                  "{\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}");
  CAF_CHECK_EQUAL(canonical_of("[0.1, 1e21, 1e-7, 123456789012]"),
                  "[0.1,1e+21,1e-7,123456789012]");
  CAF_CHECK_EQUAL(canonical_of(nested_arrays(128)), nested_arrays(128));
}

CAF_TEST(what simdjson does not read goes through parse_json) {
  // Integers beyond 64 bits that the integer rule lets through, and a
  // leading byte order mark.
  CAF_CHECK_EQUAL(canonical_of("[18446744073709551616, 100000000000000000000]"),
                  "[18446744073709552000,100000000000000000000]");
  CAF_CHECK_EQUAL(canonical_of("\xef\xbb\xbf{\"a\":1}"), R"({"a":1})");
}

CAF_TEST(refusals are those of parse_json) {
  CAF_CHECK_EQUAL(refusal_of(R"({"a":1,"a":2})").code, errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of(R"({"x":{"b":1,"a":2,"b":3}})").code,
                  errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of(R"({"id":9007199254740993})").code,
                  errc::unsupported_number);
  CAF_CHECK_EQUAL(refusal_of(R"([{"op":"add","value":9007199254740993}])").code,
                  errc::unsupported_number);
  CAF_CHECK_EQUAL(refusal_of(R"(["\ud800"])").code, errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of("[\"\xff\"]").code, errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of("[1,]").code, errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of("[1] [2]").code, errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of("").code, errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of("[1e400]").code, errc::invalid_json);
  CAF_CHECK_EQUAL(refusal_of(nested_arrays(129)).code, errc::invalid_json);
}

CAF_TEST(values are read in place) {
  auto document =
    json_document::parse(R"({"s":"a\"b","n":[1,{"k":true}],"o":{}})");
  CAF_REQUIRE(document);
  auto root = document->root();
  CAF_CHECK(root.is_object());
  CAF_CHECK_EQUAL(root.size(), 3u);
  CAF_CHECK_EQUAL(root.find("s")->string(), "a\"b");
  CAF_CHECK(!root.find("missing"));
  auto n = *root.find("n");
  CAF_CHECK(n.is_array());
  CAF_CHECK_EQUAL(n.size(), 2u);
  std::vector<std::string> items;
  n.for_each_element(
    [&](json_view item) { items.push_back(item.canonical()); });
  CAF_REQUIRE_EQUAL(items.size(), 2u);
  CAF_CHECK_EQUAL(items[1], R"({"k":true})");
  CAF_CHECK(!n.find("k")); // not an object
  std::string names;
  root.for_each_member([&](std::string_view name, json_view value) {
    names += std::string{name} + "=" + value.canonical() + ";";
  });
  // The text's order, not the canonical one.
  CAF_CHECK_EQUAL(names, R"(s="a\"b";n=[1,{"k":true}];o={};)");
  n.for_each_member([&](std::string_view, json_view) { names.clear(); });
  CAF_CHECK(!names.empty()); // an array has no members
  auto budget = json_budget::unlimited();
  auto tree = root.find("n")->to_json(budget);
  CAF_REQUIRE(tree);
  CAF_CHECK_EQUAL(tree->dump(), R"([1.0,{"k":true}])");
}

CAF_TEST(a tree is charged to its budget before it is built) {
  std::string text = "[";
  for (int i = 0; i < 10'000; ++i)
    text += i == 0 ? "0" : ",0";
  text += "]";
  auto document = json_document::parse(text);
  CAF_REQUIRE(document);
  json_budget small{64 << 10}; // the tree takes 160 KB
  auto tree = document->root().to_json(small);
  CAF_REQUIRE(!tree);
  CAF_CHECK_EQUAL(tree.error().code, errc::payload_too_large);
  auto roomy = json_budget::unlimited();
  auto whole = document->root().to_json(roomy);
  CAF_REQUIRE(whole);
  CAF_CHECK_EQUAL(whole->size(), 10'000u);
  // The charge follows the cost model of what was built.
  CAF_CHECK_GREATER_OR_EQUAL(roomy.spent_bytes(),
                             json_cost::tree_bytes(*whole));
}

CAF_TEST(a text too costly as a tree is refused as parse_json refuses it) {
  // 300,000 bytes of `{},` want about 8 MB as a tree: more than 16 bytes
  // per byte of text. Read without a tree, it could be stored and later
  // parsed with no budget; so it is refused alike.
  std::string text = "[";
  for (int i = 0; i < 100'000; ++i)
    text += i == 0 ? "{}" : ",{}";
  text += "]";
  auto document = json_document::parse(text);
  CAF_REQUIRE(!document);
  CAF_CHECK_EQUAL(document.error().code, errc::payload_too_large);
  CAF_CHECK_EQUAL(document.error().code, parse_json(text).error().code);
}
