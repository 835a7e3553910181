#define CAF_SUITE incoming_turns

#include "core/incoming_turns.hpp"

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"
#include "core/json_document.hpp"
#include "core/json_patch.hpp"
#include "core/sync_token.hpp"
#include "tests/support/allocation_counter.hpp"
#include "tests/support/hostile_patches.hpp"

using namespace awf::core;
using nlohmann::json;

namespace {

incoming_turn whole(std::int64_t id, const json& state, std::string hash = {}) {
  return {id, canonicalize(state), std::nullopt, std::move(hash)};
}

incoming_turn patched(std::int64_t id, const json& patch, std::string hash) {
  return {id, std::nullopt, canonicalize(patch), std::move(hash)};
}

chain_head genesis() {
  return {0, chain_genesis("s")};
}

} // namespace

CAF_TEST(whole states and patches rebuild the states and the chain) {
  turn_resolver r{genesis(), nullptr, 1 << 20};
  CAF_REQUIRE(r.advance(whole(1, json{{"hp", 10.0}, {"gold", 1.0}})));
  auto h1 = state_hash(R"({"gold":1,"hp":10})");
  CAF_CHECK_EQUAL(r.state_hash(), h1);
  CAF_CHECK_EQUAL(r.head().chain_hash, chain_next(chain_genesis("s"), 1, h1));
  CAF_CHECK(r.previous() == nullptr);
  auto h2 = state_hash(R"({"gold":1,"hp":9})");
  CAF_REQUIRE(r.advance(patched(
    2, json::array({{{"op", "replace"}, {"path", "/hp"}, {"value", 9.0}}}),
    h2)));
  CAF_CHECK_EQUAL(r.head().turn_id, 2);
  CAF_CHECK_EQUAL(r.state()->canonical, R"({"gold":1,"hp":9})");
  CAF_CHECK_EQUAL(r.previous()->canonical, R"({"gold":1,"hp":10})");
  CAF_CHECK_EQUAL(r.head().chain_hash,
                  chain_next(chain_next(chain_genesis("s"), 1, h1), 2, h2));
  CAF_CHECK_EQUAL(r.take_state().canonical, R"({"gold":1,"hp":9})");
}

CAF_TEST(a borrowed base state is read and never changed) {
  state_image base{R"({"a":[1,2]})", {}};
  turn_resolver r{{7, "c7"}, &base, 1 << 20};
  auto patch = json::array({{{"op", "add"}, {"path", "/a/-"}, {"value", 3.0}}});
  CAF_REQUIRE(r.advance(patched(8, patch, state_hash(R"({"a":[1,2,3]})"))));
  CAF_CHECK_EQUAL(base.canonical, R"({"a":[1,2]})");
  CAF_CHECK(r.previous() == &base);
  CAF_CHECK_EQUAL(r.head().chain_hash,
                  chain_next("c7", 8, state_hash(R"({"a":[1,2,3]})")));
}

CAF_TEST(a wrong state hash is refused with hash_mismatch) {
  turn_resolver r{genesis(), nullptr, 1 << 20};
  auto res = r.advance(whole(1, json{{"x", 1.0}}, std::string(64, '0')));
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"hash_mismatch"});
}

CAF_TEST(a patch that cannot apply is refused with invalid_patch) {
  turn_resolver r{genesis(), nullptr, 1 << 20};
  CAF_REQUIRE(r.advance(whole(1, json{{"x", 1.0}})));
  auto res = r.advance(
    patched(2, json::array({{{"op", "remove"}, {"path", "/missing"}}}),
            std::string(64, 'a')));
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"invalid_patch"});
}

CAF_TEST(a patch on turn one applies to the null state) {
  turn_resolver r{genesis(), nullptr, 1 << 20};
  auto patch =
    json::array({{{"op", "add"}, {"path", ""}, {"value", {{"k", true}}}}});
  CAF_REQUIRE(r.advance(patched(1, patch, state_hash(R"({"k":true})"))));
  CAF_CHECK_EQUAL(r.state()->canonical, R"({"k":true})");
}

CAF_TEST(a state over the limit is refused with payload_too_large) {
  turn_resolver r{genesis(), nullptr, 16};
  auto res = r.advance(whole(1, json{{"long", std::string(64, 'x')}}));
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"payload_too_large"});
}

CAF_TEST(sync tokens are 256 random bits and stored as their hash) {
  auto a = mint_sync_token();
  auto b = mint_sync_token();
  CAF_CHECK_NOT_EQUAL(a, b);
  CAF_CHECK_EQUAL(a.rfind(sync_token_prefix, 0), 0u);
  // 32 bytes in unpadded base64url are 43 characters.
  CAF_CHECK_EQUAL(a.size(), sync_token_prefix.size() + 43);
  CAF_CHECK_EQUAL(sync_token_hash(a), state_hash(a));
  CAF_CHECK_EQUAL(sync_token_hash(a).size(), 64u);
}

CAF_TEST(a patch may not nest the state deeper than the limit) {
  turn_resolver r{genesis(), nullptr, 1 << 20};
  json deep = json::array();
  for (std::size_t i = 0; i < 120; ++i)
    deep = json::array({deep});
  CAF_REQUIRE(r.advance(whole(1, json{{"a", deep}})));
  // Copying the deep value under itself doubles its depth.
  auto copy = json::array(
    {{{"op", "copy"}, {"from", "/a"}, {"path", "/a/0/0/0/0/0/0/0/0/0/0"}}});
  auto res = r.advance(patched(2, copy, std::string(64, 'a')));
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"invalid_json"});
}

CAF_TEST(a patch may not copy the state past the state limit) {
  turn_resolver r{genesis(), nullptr, 64 << 10};
  CAF_REQUIRE(
    r.advance(whole(1, json{{"x", {{"s", std::string(4000, 'a')}}}})));
  json patch = json::array();
  for (int i = 0; i < 30; ++i)
    patch.push_back(
      {{"op", "copy"}, {"from", "/x"}, {"path", "/x/c" + std::to_string(i)}});
  auto res = r.advance(patched(2, patch, std::string(64, 'a')));
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"payload_too_large"});
}

CAF_TEST(a hostile sync up stays under the documented memory bound) {
  // Finding 2 of issue 10 as the server sees it: a 1.5 KB body whose patch
  // doubles a value 24 times. Parsing the body and rebuilding the turn may
  // allocate the parse budget of the body and the copy budget of the state
  // limit (docs/security.md), not gigabytes.
  constexpr std::size_t state_limit = std::size_t{1} << 20;
  std::string body = R"({"turns": [{"turn_id": 2, "state_hash": ")" +
                     std::string(64, 'a') + R"(", "patch": )" +
                     awf::test::self_doubling_copies(24).dump() + "}]}";
  CAF_MESSAGE("body of " << body.size() << " bytes");
  state_image base{R"({"gold":1})", {}};
  turn_resolver r{{1, "c1"}, &base, state_limit};
  result<std::monostate> res = std::monostate{};
  auto peak = awf::test::peak_growth_during([&] {
    // As the edge reads the body: the document lives until its turns are
    // canonical bytes.
    incoming_turn in{2, std::nullopt, {}, std::string(64, 'a')};
    {
      auto parsed = json_document::parse(body);
      CAF_REQUIRE(parsed);
      parsed->root().find("turns")->for_each_element(
        [&](json_view t) { in.patch = t.find("patch")->canonical(); });
    }
    res = r.advance(std::move(in));
  });
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"payload_too_large"});
  CAF_MESSAGE(res.error().message << "; peak " << peak << " bytes");
  auto bound = json_budget::for_text(body.size()).max_bytes() +
               json_budget::for_state(state_limit).max_bytes();
  CAF_CHECK_LESS_OR_EQUAL(peak, bound);
}

CAF_TEST(a patch nesting a chain into itself fails fast at the depth limit) {
  // Finding 1 of issue 10 through the resolver: the copy is refused before
  // it is made, not when the result is written.
  turn_resolver r{genesis(), nullptr, 1 << 20};
  CAF_REQUIRE(r.advance(whole(1, json{{"c", awf::test::key_chain(100)}})));
  auto res = r.advance(
    patched(2, awf::test::self_nesting_copies(100, 9), std::string(64, 'a')));
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"invalid_json"});
  CAF_MESSAGE(res.error().message);
  CAF_CHECK_NOT_EQUAL(res.error().message.find("operation 0 (copy)"),
                      std::string::npos);
}

CAF_TEST(patch values are moved into the state and not copied) {
  // A patch the fast path does not take is parsed once; an `add` or
  // `replace` that copied its value would hold a large value twice.
  turn_resolver r{genesis(), nullptr, 1 << 20};
  CAF_REQUIRE(r.advance(whole(1, json{{"x", 1.0}})));
  json many = json::array();
  for (int i = 0; i < 5'000; ++i)
    many.push_back(std::string(100, 'x'));
  auto tree = json_cost::tree_bytes(many);
  auto turn = patched(
    2, json::array({{{"op", "replace"}, {"path", ""}, {"value", many}}}), {});
  auto text = turn.patch->size();
  result<std::monostate> res = std::monostate{};
  auto peak =
    awf::test::peak_growth_during([&] { res = r.advance(std::move(turn)); });
  CAF_REQUIRE(res);
  CAF_MESSAGE("tree " << tree << " bytes, text " << text << " bytes, peak "
                      << peak << " bytes");
  // The parsed patch once, and the canonical bytes written (a growing
  // string: up to twice their size, plus the old buffer while it moves); a
  // copy of the value would add another tree.
  CAF_CHECK_LESS(peak, tree + 3 * text);
}

CAF_TEST(a rebuild budget stops a run of turns at the first state past it) {
  // Each state is 1002 canonical bytes ({"p":"xx…"}); the budget takes five.
  rebuild_budget budget{5 * 1002 + 500};
  turn_resolver r{genesis(), nullptr, 1 << 20, &budget};
  auto state = [](std::int64_t t) {
    return json{{"p", std::string(993, 'x') + std::to_string(t % 10)}};
  };
  for (std::int64_t t = 1; t <= 5; ++t)
    CAF_REQUIRE(r.advance(whole(t, state(t))));
  CAF_CHECK_EQUAL(budget.used(), 5u * 1002u);
  auto refused = r.advance(whole(6, state(6)));
  CAF_REQUIRE(!refused);
  CAF_CHECK_EQUAL(refused.error().code, errc::payload_too_large);
  CAF_CHECK(refused.error().message.find("smaller batches") !=
            std::string::npos);
  CAF_CHECK_EQUAL(budget.used(), 5u * 1002u); // nothing charged for it
  // Patches are charged the whole state they rebuild, not their size.
  rebuild_budget small{3000};
  state_image base{canonicalize(state(1)), {}};
  turn_resolver p{{1, "c1"}, &base, 1 << 20, &small};
  auto next = [](std::int64_t t) {
    return json::array(
      {{{"op", "add"}, {"path", "/t" + std::to_string(t)}, {"value", 1.0}}});
  };
  CAF_REQUIRE(p.advance(patched(2, next(2), {})));
  CAF_REQUIRE(p.advance(patched(3, next(3), {})));
  CAF_CHECK(!p.advance(patched(4, next(4), {})));
}

CAF_TEST(a patch whose edits pass the edit budget is refused) {
  // Finding 3 of issue 11: thousands of inserts at the front of a long
  // array cost the array's size each, on either path.
  state_image base{canonicalize(awf::test::long_array(100000)), {}};
  auto add_front = json{{"op", "add"}, {"path", "/0"}, {"value", 1}};
  turn_resolver r{{1, "c1"}, &base, 1 << 20};
  auto refused =
    r.advance(patched(2, awf::test::repeated(add_front, 4000), {}));
  CAF_REQUIRE(!refused);
  CAF_CHECK_EQUAL(refused.error().code, errc::payload_too_large);
  CAF_MESSAGE(refused.error().message);
  CAF_CHECK(refused.error().message.find("edits cost more than") !=
            std::string::npos);
  // A patch the fast path gives up on, but that costs the parsed state
  // little, still applies there, exactly.
  auto last = json{{"op", "replace"}, {"path", "/99999"}, {"value", 7}};
  auto many = awf::test::repeated(last, 400);
  auto expected =
    canonicalize(*apply_patch(awf::test::long_array(100000), many, 1 << 20));
  turn_resolver exact{{1, "c1"}, &base, 1 << 20};
  CAF_REQUIRE(exact.advance(patched(2, many, state_hash(expected))));
  CAF_CHECK_EQUAL(exact.state()->canonical, expected);
}
