#define CAF_SUITE load_options

#include "tools/load/load_options.hpp"

#include "caf/test/unit_test.hpp"

#include <vector>

using namespace awf::load;

namespace {

auto parse(std::vector<const char*> args) {
  args.insert(args.begin(), "awf-load");
  return parse_load_options(static_cast<int>(args.size()), args.data(), 2);
}

} // namespace

CAF_TEST(conflicts are off by default) {
  auto o = parse({});
  CAF_REQUIRE(o);
  CAF_CHECK_EQUAL(o->conflict_rate, 0.0);
  CAF_CHECK_EQUAL(o->conflict_strategy, "longest_chain");
}

CAF_TEST(conflict rate and strategy parse) {
  auto o = parse(
    {"--conflict-rate", "0.25", "--conflict-strategy", "three_way_merge"});
  CAF_REQUIRE(o);
  CAF_CHECK_EQUAL(o->conflict_rate, 0.25);
  CAF_CHECK_EQUAL(o->conflict_strategy, "three_way_merge");
  for (const auto& name : conflict_strategies) {
    auto each = parse({"--conflict-strategy", name.c_str()});
    CAF_CHECK(each && each->conflict_strategy == name);
  }
  auto edges = parse({"--conflict-rate", "1"});
  CAF_CHECK(edges && edges->conflict_rate == 1.0);
}

CAF_TEST(bad conflict options exit 2) {
  for (auto* rate : {"-0.1", "1.5", "x"}) {
    auto o = parse({"--conflict-rate", rate});
    CAF_REQUIRE(!o);
    CAF_CHECK_EQUAL(o.error().code, 2);
    CAF_CHECK(o.error().text.find('\n') == std::string::npos);
  }
  auto o = parse({"--conflict-strategy", "newest"});
  CAF_REQUIRE(!o);
  CAF_CHECK_EQUAL(o.error().code, 2);
}

CAF_TEST(help lists the conflict options) {
  auto o = parse({"--help"});
  CAF_REQUIRE(!o);
  CAF_CHECK_EQUAL(o.error().code, 0);
  CAF_CHECK(o.error().text.find("--conflict-rate") != std::string::npos);
  CAF_CHECK(o.error().text.find("--conflict-strategy") != std::string::npos);
}
