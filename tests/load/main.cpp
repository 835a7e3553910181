// Entry point of the awf-load model tests: CAF's test runner provides main().
#include "caf/test/unit_test_impl.hpp"
