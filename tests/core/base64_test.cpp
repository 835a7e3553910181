#define CAF_SUITE base64

#include "core/base64.hpp"

#include "caf/test/unit_test.hpp"

#include <optional>
#include <string>

using namespace awf::core;

namespace {

/// Decoded text, or "<rejected>", so failures print readably.
std::string show(const std::optional<std::string>& decoded) {
  return decoded ? *decoded : "<rejected>";
}

std::string all_bytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes += static_cast<char>(i);
  return bytes;
}

} // namespace

CAF_TEST(rfc 4648 test vectors encode) {
  CAF_CHECK_EQUAL(base64_encode(""), "");
  CAF_CHECK_EQUAL(base64_encode("f"), "Zg==");
  CAF_CHECK_EQUAL(base64_encode("fo"), "Zm8=");
  CAF_CHECK_EQUAL(base64_encode("foo"), "Zm9v");
  CAF_CHECK_EQUAL(base64_encode("foob"), "Zm9vYg==");
  CAF_CHECK_EQUAL(base64_encode("fooba"), "Zm9vYmE=");
  CAF_CHECK_EQUAL(base64_encode("foobar"), "Zm9vYmFy");
}

CAF_TEST(rfc 4648 test vectors decode) {
  CAF_CHECK_EQUAL(show(base64_decode("")), "");
  CAF_CHECK_EQUAL(show(base64_decode("Zg==")), "f");
  CAF_CHECK_EQUAL(show(base64_decode("Zm8=")), "fo");
  CAF_CHECK_EQUAL(show(base64_decode("Zm9v")), "foo");
  CAF_CHECK_EQUAL(show(base64_decode("Zm9vYg==")), "foob");
  CAF_CHECK_EQUAL(show(base64_decode("Zm9vYmE=")), "fooba");
  CAF_CHECK_EQUAL(show(base64_decode("Zm9vYmFy")), "foobar");
}

CAF_TEST(base64url is unpadded and url safe) {
  CAF_CHECK_EQUAL(base64url_encode(""), "");
  CAF_CHECK_EQUAL(base64url_encode("f"), "Zg");
  CAF_CHECK_EQUAL(base64url_encode("fo"), "Zm8");
  CAF_CHECK_EQUAL(base64url_encode("foo"), "Zm9v");
  CAF_CHECK_EQUAL(base64url_encode("foob"), "Zm9vYg");
  CAF_CHECK_EQUAL(base64url_encode("fooba"), "Zm9vYmE");
  CAF_CHECK_EQUAL(base64url_encode("foobar"), "Zm9vYmFy");
  CAF_CHECK_EQUAL(show(base64url_decode("Zm9vYmE")), "fooba");
  // 0xFB 0xFF 0xBF uses the two alphabet-specific characters.
  CAF_CHECK_EQUAL(base64_encode("\xfb\xff\xbf"), "+/+/");
  CAF_CHECK_EQUAL(base64url_encode("\xfb\xff\xbf"), "-_-_");
  CAF_CHECK_EQUAL(show(base64url_decode("-_-_")), "\xfb\xff\xbf");
  CAF_CHECK_EQUAL(show(base64_decode("+/+/")), "\xfb\xff\xbf");
}

CAF_TEST(every byte value round trips) {
  auto bytes = all_bytes();
  for (std::size_t n = 0; n <= bytes.size(); n += 37) {
    auto part = bytes.substr(bytes.size() - n);
    CAF_CHECK_EQUAL(show(base64_decode(base64_encode(part))), part);
    CAF_CHECK_EQUAL(show(base64url_decode(base64url_encode(part))), part);
  }
}

CAF_TEST(base64 decode rejects bad characters and padding) {
  CAF_CHECK(!base64_decode("Zg"));       // padding missing
  CAF_CHECK(!base64_decode("Zg="));      // length not a multiple of 4
  CAF_CHECK(!base64_decode("Z==="));     // three pad characters
  CAF_CHECK(!base64_decode("===="));     // nothing but padding
  CAF_CHECK(!base64_decode("Zg==Zg==")); // padding in the middle
  CAF_CHECK(!base64_decode("Z=g="));     // padding before data
  CAF_CHECK(!base64_decode("Zm9v\n"));   // no whitespace
  CAF_CHECK(!base64_decode("Zm 9v"));
  CAF_CHECK(!base64_decode("Zm9-")); // url alphabet
  CAF_CHECK(!base64_decode("Zm9_"));
  CAF_CHECK(!base64_decode(std::string("Zm9\0", 4)));
  CAF_CHECK(!base64_decode("Zh==")); // unused bits set (canonical: Zg==)
  CAF_CHECK(!base64_decode("Zm9=")); // unused bits set (canonical: Zm8=)
}

CAF_TEST(base64url decode rejects bad characters and padding) {
  CAF_CHECK(!base64url_decode("Zg==")); // padded
  CAF_CHECK(!base64url_decode("Zm8="));
  CAF_CHECK(!base64url_decode("Z")); // a lone sextet is no byte
  CAF_CHECK(!base64url_decode("Zm9vY"));
  CAF_CHECK(!base64url_decode("+/+/")); // standard alphabet
  CAF_CHECK(!base64url_decode("Zm9v\r\n"));
  CAF_CHECK(!base64url_decode("Zh"));  // unused bits set (canonical: Zg)
  CAF_CHECK(!base64url_decode("Zm9")); // unused bits set (canonical: Zm8)
}
