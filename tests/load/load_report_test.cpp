#define CAF_SUITE load_report

#include "tools/load/load_report.hpp"

#include "caf/test/unit_test.hpp"

using namespace awf::load;

CAF_TEST(without a conflict rate the report has no conflict fields) {
  load_summary s;
  s.mode = "ws";
  auto j = summary_json(s);
  CAF_CHECK(!j.contains("conflicts"));
  CAF_CHECK(!j.contains("conflict_resolve_p95_ms"));
  CAF_CHECK(summary_text(s).find("conflict") == std::string::npos);
}

CAF_TEST(with a conflict rate the report counts conflicts) {
  load_summary s;
  s.mode = "rest";
  s.conflict_rate = 0.2;
  s.conflict_strategy = "manual";
  s.conflict_resolve.record(4.0);
  s.conflict_resolve.record(8.0);
  s.conflict_winners = {2, 0, 0};
  s.manual_conflicts = 2;
  auto j = summary_json(s);
  CAF_CHECK_EQUAL(j["conflicts"], 2);
  CAF_CHECK_EQUAL(j["conflicts_manual"], 2);
  CAF_CHECK_EQUAL(j["conflict_heads"]["server"], 2);
  CAF_CHECK_EQUAL(j["conflict_strategy"], "manual");
  CAF_CHECK(j["conflict_resolve_p95_ms"].get<double>() > 7.9);
  CAF_CHECK(summary_text(s).find("conflicts 2") != std::string::npos);
  load_summary none;
  none.conflict_rate = 0.5;
  auto empty = summary_json(none);
  CAF_CHECK(empty["conflict_resolve_p95_ms"].is_null());
  CAF_CHECK_EQUAL(empty["conflicts"], 0);
}

CAF_TEST(cpu per turn is reported for both sides when measured) {
  load_summary s;
  s.turns = 1000;
  s.server_cpu_s = 0.25;
  s.server_resident_bytes = 64.0 * 1024 * 1024;
  s.load_cpu_s = 0.05;
  auto j = summary_json(s);
  CAF_CHECK_EQUAL(j["server_cpu_us_per_turn"], 250.0);
  CAF_CHECK_EQUAL(j["load_cpu_us_per_turn"], 50.0);
  CAF_CHECK_EQUAL(j["server_resident_mb"], 64.0);
  CAF_CHECK(summary_text(s).find("server 250.0 us") != std::string::npos);
  // A server without process metrics: its figures are null, not zero.
  s.server_cpu_s = -1;
  s.server_resident_bytes = -1;
  auto without = summary_json(s);
  CAF_CHECK(without["server_cpu_us_per_turn"].is_null());
  CAF_CHECK(without["server_resident_mb"].is_null());
  CAF_CHECK_EQUAL(without["load_cpu_us_per_turn"], 50.0);
}
