// Entry point of the core test binary: CAF's test runner provides main().
#include "caf/test/unit_test_impl.hpp"
