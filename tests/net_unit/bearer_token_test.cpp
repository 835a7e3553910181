#define CAF_SUITE bearer_token

#include "caf/test/unit_test.hpp"

#include <string>
#include <string_view>

#include "net/bearer_token.hpp"

namespace {

/// The token found in `value`, or "-" for none.
std::string token_of(std::string_view value) {
  return std::string{awf::net::bearer_token(value).value_or("-")};
}

} // namespace

CAF_TEST(the scheme is matched in any case) {
  for (auto value : {"Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc"})
    CAF_CHECK_EQUAL(token_of(value), "abc");
}

CAF_TEST(spaces around and after the scheme are ignored) {
  CAF_CHECK_EQUAL(token_of("Bearer   abc"), "abc");
  CAF_CHECK_EQUAL(token_of(" Bearer\tabc \t"), "abc");
  CAF_CHECK_EQUAL(token_of("Bearer awfd1.a-b_c="), "awfd1.a-b_c=");
}

CAF_TEST(anything else is no bearer token) {
  for (auto value :
       {"", "Bearer", "Bearer ", "Bearer  \t", "Bearerabc",
        "Basic YWxpY2U6cHc=", "Token abc", "abc", "Bearer a b", "Bear abc"})
    CAF_CHECK_EQUAL(token_of(value), "-");
}
