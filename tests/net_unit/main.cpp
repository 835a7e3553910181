// Entry point of the net unit test binary: CAF's test runner provides main().
#include "caf/test/unit_test_impl.hpp"
