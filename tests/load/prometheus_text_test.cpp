#define CAF_SUITE prometheus_text

#include "tools/load/prometheus_text.hpp"

#include "caf/test/unit_test.hpp"

using awf::load::prometheus_value;

CAF_TEST(a sample is read by its exact name) {
  const char* text = "# HELP process_cpu_seconds_total CPU.\n"
                     "# TYPE process_cpu_seconds_total counter\n"
                     "process_cpu_seconds_total_extra 9\n"
                     "process_cpu_seconds_total 12.5\n"
                     "process_resident_memory_bytes 73400320\n";
  CAF_CHECK_EQUAL(prometheus_value(text, "process_cpu_seconds_total"), 12.5);
  CAF_CHECK_EQUAL(prometheus_value(text, "process_resident_memory_bytes"),
                  73400320.0);
}

CAF_TEST(a missing or malformed sample reads as nothing) {
  CAF_CHECK(!prometheus_value("", "x"));
  CAF_CHECK(!prometheus_value("y 1\n", "x"));
  CAF_CHECK(!prometheus_value("x{label=\"a\"} 1\n", "x"));
  CAF_CHECK(!prometheus_value("x abc\n", "x"));
  CAF_CHECK(!prometheus_value("# x 1\n", "x"));
}
