#define CAF_SUITE canonical_json

#include "core/canonical_json.hpp"

#include "caf/test/unit_test.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

#include "tests/support/shared_dir.hpp"

using namespace awf::core;
using nlohmann::json;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

/// Turns "7b 22 ..." (whitespace separated hex bytes) into bytes.
std::string from_hex(const std::string& text) {
  std::istringstream in{text};
  std::string out;
  std::string byte;
  while (in >> byte)
    out += static_cast<char>(std::stoi(byte, nullptr, 16));
  return out;
}

/// Canonical bytes of `text`, or "error: <code>" if it does not parse.
std::string jcs(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed)
    return std::string{"error: "} + to_string(parsed.error().code);
  return canonicalize(*parsed);
}

/// The error code of `res`, or "ok". Returned by value: error() of a
/// temporary result would dangle inside CAF_CHECK_EQUAL.
std::string code_of(const result<json>& res) {
  return res ? "ok" : to_string(res.error().code);
}

/// The error code parse_json gives `text`, or "ok".
std::string parse_code(std::string_view text) {
  return code_of(parse_json(text));
}

/// The error code normalize_json gives `value`, or "ok".
std::string normalize_code(json value) {
  return code_of(normalize_json(std::move(value)));
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

/// Every error message must itself be valid JSON string content.
bool message_is_utf8(const error& err) {
  try {
    static_cast<void>(json(err.message).dump());
    return !err.message.empty();
  } catch (const json::exception&) {
    return false;
  }
}

} // namespace

CAF_TEST(conformance vectors are reproduced byte for byte) {
  auto shared = awf::test::shared_dir();
  if (!shared) {
    if (awf::test::running_in_ci())
      CAF_FAIL("shared/ is missing under CI");
    CAF_MESSAGE("shared/ not found; skipping the JCS conformance vectors");
    return;
  }
  auto dir = *shared / "conformance" / "jcs";
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator{dir / "input"}) {
    auto name = entry.path().filename();
    CAF_MESSAGE("vector " << name.string());
    auto parsed = parse_json(read_file(entry.path()));
    CAF_REQUIRE(parsed.ok());
    auto bytes = canonicalize(*parsed);
    CAF_CHECK_EQUAL(bytes, read_file(dir / "output" / name));
    auto hex_file = dir / "outhex" / name.replace_extension(".txt");
    CAF_CHECK_EQUAL(bytes, from_hex(read_file(hex_file)));
    ++checked;
  }
  CAF_CHECK_GREATER_OR_EQUAL(checked, 6u);
}

CAF_TEST(numbers follow ecmascript number to string) {
  CAF_CHECK_EQUAL(format_es_number(0.0), "0");
  CAF_CHECK_EQUAL(format_es_number(-0.0), "0");
  CAF_CHECK_EQUAL(format_es_number(1.0), "1");
  CAF_CHECK_EQUAL(format_es_number(-1.5), "-1.5");
  CAF_CHECK_EQUAL(format_es_number(56.0), "56");
  CAF_CHECK_EQUAL(format_es_number(4.5), "4.5");
  CAF_CHECK_EQUAL(format_es_number(0.002), "0.002");
  CAF_CHECK_EQUAL(format_es_number(0.1 + 0.2), "0.30000000000000004");
  CAF_CHECK_EQUAL(format_es_number(333333333.33333329), "333333333.3333333");
  CAF_CHECK_EQUAL(format_es_number(1e21), "1e+21");
  CAF_CHECK_EQUAL(format_es_number(1e20), "100000000000000000000");
  CAF_CHECK_EQUAL(format_es_number(123456789012345680000.0),
                  "123456789012345680000");
  CAF_CHECK_EQUAL(format_es_number(1e30), "1e+30");
  CAF_CHECK_EQUAL(format_es_number(1.5e300), "1.5e+300");
  CAF_CHECK_EQUAL(format_es_number(0.000001), "0.000001");
  CAF_CHECK_EQUAL(format_es_number(0.0000012345), "0.0000012345");
  CAF_CHECK_EQUAL(format_es_number(1e-7), "1e-7");
  CAF_CHECK_EQUAL(format_es_number(-1.25e-7), "-1.25e-7");
  CAF_CHECK_EQUAL(format_es_number(1e-27), "1e-27");
  CAF_CHECK_EQUAL(format_es_number(5e-324), "5e-324");
  CAF_CHECK_EQUAL(format_es_number(std::numeric_limits<double>::denorm_min()),
                  "5e-324");
  CAF_CHECK_EQUAL(format_es_number(1.7976931348623157e308),
                  "1.7976931348623157e+308");
  CAF_CHECK_EQUAL(format_es_number(std::numeric_limits<double>::max()),
                  "1.7976931348623157e+308");
  CAF_CHECK_EQUAL(format_es_number(9007199254740992.0), "9007199254740992");
  CAF_CHECK_EQUAL(format_es_number(4424670594744384512.0),
                  "4424670594744384500");
  CAF_CHECK_EQUAL(format_es_number(9007199254740994.0), "9007199254740994");
  CAF_CHECK_EQUAL(format_es_number(36028797018963968.0), "36028797018963970");
}

CAF_TEST(numbers match rfc 8785 appendix b) {
  auto es = [](std::uint64_t bits) {
    return format_es_number(std::bit_cast<double>(bits));
  };
  CAF_CHECK_EQUAL(es(0x0000000000000000), "0");
  CAF_CHECK_EQUAL(es(0x8000000000000000), "0");
  CAF_CHECK_EQUAL(es(0x0000000000000001), "5e-324");
  CAF_CHECK_EQUAL(es(0x8000000000000001), "-5e-324");
  CAF_CHECK_EQUAL(es(0x7fefffffffffffff), "1.7976931348623157e+308");
  CAF_CHECK_EQUAL(es(0xffefffffffffffff), "-1.7976931348623157e+308");
  CAF_CHECK_EQUAL(es(0x4340000000000000), "9007199254740992");
  CAF_CHECK_EQUAL(es(0xc340000000000000), "-9007199254740992");
  CAF_CHECK_EQUAL(es(0x4430000000000000), "295147905179352830000");
  CAF_CHECK_EQUAL(es(0x44b52d02c7e14af5), "9.999999999999997e+22");
  CAF_CHECK_EQUAL(es(0x44b52d02c7e14af6), "1e+23");
  CAF_CHECK_EQUAL(es(0x44b52d02c7e14af7), "1.0000000000000001e+23");
  CAF_CHECK_EQUAL(es(0x444b1ae4d6e2ef4e), "999999999999999700000");
  CAF_CHECK_EQUAL(es(0x444b1ae4d6e2ef4f), "999999999999999900000");
  CAF_CHECK_EQUAL(es(0x444b1ae4d6e2ef50), "1e+21");
  CAF_CHECK_EQUAL(es(0x3eb0c6f7a0b5ed8c), "9.999999999999997e-7");
  CAF_CHECK_EQUAL(es(0x3eb0c6f7a0b5ed8d), "0.000001");
  CAF_CHECK_EQUAL(es(0x41b3de4355555553), "333333333.3333332");
  CAF_CHECK_EQUAL(es(0x41b3de4355555554), "333333333.33333325");
  CAF_CHECK_EQUAL(es(0x41b3de4355555555), "333333333.3333333");
  CAF_CHECK_EQUAL(es(0x41b3de4355555556), "333333333.3333334");
  CAF_CHECK_EQUAL(es(0x41b3de4355555557), "333333333.33333343");
  CAF_CHECK_EQUAL(es(0xbecbf647612f3696), "-0.0000033333333333333333");
  CAF_CHECK_EQUAL(es(0x43143ff3c1cb0959), "1424953923781206.2");
}

CAF_TEST(integers of all nlohmann types are written as doubles) {
  CAF_CHECK_EQUAL(canonicalize(json(42)), "42");
  CAF_CHECK_EQUAL(canonicalize(json(-7)), "-7");
  CAF_CHECK_EQUAL(canonicalize(json(std::uint64_t{1} << 63)),
                  "9223372036854776000");
  CAF_CHECK_EQUAL(canonicalize(json(1e21)), "1e+21");
  CAF_CHECK_EQUAL(jcs("[-0, -0.0, 0e5, 1E2, 1.50]"), "[0,0,0,100,1.5]");
}

CAF_TEST(parsed numbers are all doubles) {
  auto parsed = parse_json(R"({"a": 1, "b": -2, "c": 3.5})");
  CAF_REQUIRE(parsed.ok());
  for (const auto& [key, value] : parsed->items())
    CAF_CHECK(value.is_number_float());
}

CAF_TEST(the contract integer examples) {
  CAF_CHECK_EQUAL(parse_code("9007199254740993"), "unsupported_number");
  CAF_CHECK_EQUAL(parse_code("-9007199254740993"), "unsupported_number");
  CAF_CHECK_EQUAL(parse_code(R"({"id": [1, 9007199254740993]})"),
                  "unsupported_number");
  // 2^55 is exact, so it is accepted although ES writes it differently.
  CAF_CHECK_EQUAL(jcs("36028797018963968"), "36028797018963970");
  CAF_CHECK_EQUAL(jcs("4424670594744384500"), "4424670594744384500");
  // Beyond 64 bits the literal reaches the float path.
  CAF_CHECK_EQUAL(parse_code("18446744073709551617"), "unsupported_number");
  CAF_CHECK_EQUAL(parse_code("-18446744073709551617"), "unsupported_number");
  CAF_CHECK_EQUAL(parse_code("100000000000000000000000"), "unsupported_number");
  // Exact doubles are fine whatever their ES text: 2^64 and -2^63.
  CAF_CHECK_EQUAL(jcs("18446744073709551616"), "18446744073709552000");
  CAF_CHECK_EQUAL(jcs("-9223372036854775808"), "-9223372036854776000");
  // ES text equal to the literal, beyond 64 bits.
  CAF_CHECK_EQUAL(jcs("123456789012345680000"), "123456789012345680000");
  // Fractions and exponents round as in JavaScript.
  CAF_CHECK_EQUAL(jcs("9007199254740993.0"), "9007199254740992");
  CAF_CHECK_EQUAL(jcs("9007199254740993e0"), "9007199254740992");
  auto refused = parse_json(R"({"id": 9007199254740993})");
  CAF_REQUIRE(!refused.ok());
  CAF_MESSAGE(refused.error().message);
  CAF_CHECK(refused.error().message.find("/id") != std::string::npos);
  CAF_CHECK(refused.error().message.find("9007199254740992") !=
            std::string::npos);
}

CAF_TEST(duplicate keys are rejected) {
  CAF_CHECK_EQUAL(parse_code(R"({"a": 1, "a": 1})"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code(R"({"x": [{"b": 1, "c": {"d": 1, "d": 2}}]})"),
                  "invalid_json");
  // Escapes denote the same key.
  CAF_CHECK_EQUAL(parse_code(R"({"a": 1, "\u0061": 2})"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code(R"({"a": {"a": 1}, "b": {"a": 2}})"), "ok");
  auto refused = parse_json(R"({"x": [0, {"d": 1, "d": 2}]})");
  CAF_REQUIRE(!refused.ok());
  CAF_MESSAGE(refused.error().message);
  CAF_CHECK(refused.error().message.find("/x/1") != std::string::npos);
  CAF_CHECK(refused.error().message.find("\"d\"") != std::string::npos);
}

CAF_TEST(a syntax error says where without quoting the input) {
  // The request's own bytes are not sent back in the error: nlohmann's
  // "last read" quotation of the bad token is dropped.
  for (const char* text : {R"({"a": <script>alert(1)</script>})",
                           R"({"a": 1 <script>})", R"([1, 2, 'x'])"}) {
    auto refused = parse_json(text);
    CAF_REQUIRE(!refused.ok());
    const auto& message = refused.error().message;
    CAF_MESSAGE(message);
    CAF_CHECK_EQUAL(std::string{to_string(refused.error().code)},
                    std::string{"invalid_json"});
    CAF_CHECK(message.find("column") != std::string::npos);
    CAF_CHECK(message.find("script") == std::string::npos);
    CAF_CHECK(message.find("last read") == std::string::npos);
  }
}

CAF_TEST(nesting is limited to max_json_depth) {
  CAF_CHECK_EQUAL(parse_code(nested_arrays(128)), "ok");
  CAF_CHECK_EQUAL(parse_code(nested_arrays(129)), "invalid_json");
  std::string objects;
  for (int i = 0; i < 129; ++i)
    objects += "{\"k\":";
  objects += "1" + std::string(129, '}');
  CAF_CHECK_EQUAL(parse_code(objects), "invalid_json");
  // Far too deep input fails fast instead of exhausting the stack.
  CAF_CHECK_EQUAL(parse_code(nested_arrays(1000000)), "invalid_json");
}

CAF_TEST(invalid utf8 is rejected in strings and keys) {
  CAF_CHECK_EQUAL(parse_code("\"\xff\""), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("{\"\xc3\x28\": 1}"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("\"\xed\xa0\x80\""), "invalid_json"); // surrogate
  CAF_CHECK_EQUAL(parse_code("\"\xc0\xaf\""), "invalid_json");     // overlong
  CAF_CHECK_EQUAL(parse_code("\"\xf4\x90\x80\x80\""), "invalid_json");
  CAF_CHECK_EQUAL(parse_code(R"("\ud800")"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code(R"({"\udc00": 1})"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code(R"("\ud800\u0041")"), "invalid_json");
  CAF_CHECK_EQUAL(jcs(R"("\ud83d\ude00")"), "\"\xf0\x9f\x98\x80\"");
  auto refused = parse_json("{\"k\": \"\xff\xfe\"}");
  CAF_REQUIRE(!refused.ok());
  CAF_MESSAGE(refused.error().message);
  CAF_CHECK(message_is_utf8(refused.error()));
}

CAF_TEST(non json numbers and bad syntax are rejected) {
  CAF_CHECK_EQUAL(parse_code("1e400"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("[-1e400]"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("NaN"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("Infinity"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("-Infinity"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("01"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code(""), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("   "), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("{} x"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("[1] [2]"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("{\"a\": 1,}"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("// c\n1"), "invalid_json");
  CAF_CHECK_EQUAL(parse_code("\"a\x01\""), "invalid_json");
  CAF_CHECK_EQUAL(parse_code(" {} \n"), "ok");
  for (auto text : {"1e400", "{} x", "", "[1,"}) {
    auto refused = parse_json(text);
    CAF_REQUIRE(!refused.ok());
    CAF_MESSAGE(refused.error().message);
    CAF_CHECK(message_is_utf8(refused.error()));
  }
}

CAF_TEST(strings use the minimal escapes) {
  CAF_CHECK_EQUAL(jcs(R"("\u0000\u0001\u001f\u0020")"),
                  R"("\u0000\u0001\u001f ")");
  CAF_CHECK_EQUAL(jcs(R"("\b\f\n\r\t")"), R"("\b\f\n\r\t")");
  CAF_CHECK_EQUAL(jcs(R"("\u0008\u000C\u000a")"), R"("\b\f\n")");
  CAF_CHECK_EQUAL(jcs(R"("\"\\\/")"), R"("\"\\/")");
  CAF_CHECK_EQUAL(jcs(R"("\u007f\u0080\u00e9\u2028")"),
                  "\"\x7f\xc2\x80\xc3\xa9\xe2\x80\xa8\"");
  CAF_CHECK_EQUAL(jcs(R"("\u001B\u000b")"), R"("\u001b\u000b")");
  CAF_CHECK_EQUAL(canonicalize(json(std::string("a\0b", 3))), R"("a\u0000b")");
}

CAF_TEST(members sort by utf16 code units) {
  // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FF61, although
  // its code point (and UTF-8) is larger.
  CAF_CHECK_EQUAL(jcs(R"({"\uff61": 1, "\ud83d\ude00": 2})"),
                  "{\"\xf0\x9f\x98\x80\":2,\"\xef\xbd\xa1\":1}");
  CAF_CHECK_EQUAL(jcs(R"({"\ue000": 1, "\ud800\udc00": 2, "\ud7ff": 3})"),
                  "{\"\xed\x9f\xbf\":3,\"\xf0\x90\x80\x80\":2,"
                  "\"\xee\x80\x80\":1}");
  // Same first characters, difference later in the name.
  CAF_CHECK_EQUAL(jcs(R"({"a\uffff": 1, "a\ud83d\ude00": 2, "a": 3})"),
                  "{\"a\":3,\"a\xf0\x9f\x98\x80\":2,\"a\xef\xbf\xbf\":1}");
  // Without both kinds present, byte order already is UTF-16 order.
  CAF_CHECK_EQUAL(jcs(R"({"b": 1, "\u00e9": 2, "A": 3, "a": 4, "": 5})"),
                  "{\"\":5,\"A\":3,\"a\":4,\"b\":1,\"\xc3\xa9\":2}");
  CAF_CHECK_EQUAL(jcs(R"({"\ud83d\ude00": 1, "\u4e00": 2})"),
                  "{\"\xe4\xb8\x80\":2,\"\xf0\x9f\x98\x80\":1}");
}

CAF_TEST(canonical form of a whole document) {
  CAF_CHECK_EQUAL(jcs(R"( { "b" : [ 1 , 2.0 , { } , [ ] ] ,
                            "a" : { "z" : null , "y" : true , "x" : false } } )"),
                  R"({"a":{"x":false,"y":true,"z":null},"b":[1,2,{},[]]})");
  std::string out = "prefix:";
  canonicalize_to(json::parse(R"({"k": "v"})"), out);
  CAF_CHECK_EQUAL(out, R"(prefix:{"k":"v"})");
}

CAF_TEST(normalize applies the parse rules to built values) {
  auto value = json::parse(R"({"a": 1, "b": [2, -3, 4.5], "c": "x"})");
  auto normalized = normalize_json(value);
  CAF_REQUIRE(normalized.ok());
  CAF_CHECK((*normalized)["a"].is_number_float());
  CAF_CHECK((*normalized)["b"][1].is_number_float());
  CAF_CHECK_EQUAL(canonicalize(*normalized),
                  R"({"a":1,"b":[2,-3,4.5],"c":"x"})");
  auto big = normalize_json(json::parse(R"({"id": [9007199254740993]})"));
  CAF_REQUIRE(!big.ok());
  CAF_CHECK_EQUAL(std::string{to_string(big.error().code)},
                  std::string{"unsupported_number"});
  CAF_MESSAGE(big.error().message);
  CAF_CHECK(big.error().message.find("/id/0") != std::string::npos);
  CAF_CHECK_EQUAL(normalize_code(std::uint64_t{36028797018963968}), "ok");
  CAF_CHECK_EQUAL(normalize_code(std::uint64_t{4424670594744384500}), "ok");
  CAF_CHECK_EQUAL(normalize_code(std::int64_t{-9007199254740993}),
                  "unsupported_number");
  CAF_CHECK_EQUAL(normalize_code(std::numeric_limits<std::uint64_t>::max()),
                  "unsupported_number");
  CAF_CHECK_EQUAL(normalize_code(std::numeric_limits<std::int64_t>::min()),
                  "ok");
  CAF_CHECK_EQUAL(normalize_code(std::nan("")), "invalid_json");
  CAF_CHECK_EQUAL(
    normalize_code({{"x", std::numeric_limits<double>::infinity()}}),
    "invalid_json");
  CAF_CHECK_EQUAL(normalize_code(std::string("\xff")), "invalid_json");
  CAF_CHECK_EQUAL(normalize_code({{std::string("\xc3"), 1}}), "invalid_json");
  CAF_CHECK_EQUAL(normalize_code(json::binary({1, 2})), "invalid_json");
  CAF_CHECK_EQUAL(normalize_code(json(json::value_t::discarded)),
                  "invalid_json");
}

CAF_TEST(normalize limits depth) {
  auto deep = [](std::size_t depth) {
    json value = json::array();
    for (std::size_t i = 1; i < depth; ++i)
      value = json::array({std::move(value)});
    return value;
  };
  CAF_CHECK_EQUAL(canonicalize(deep(3)), "[[[]]]");
  CAF_CHECK_EQUAL(normalize_code(deep(128)), "ok");
  CAF_CHECK_EQUAL(normalize_code(deep(129)), "invalid_json");
}

CAF_TEST(bounded canonicalization stops once the bytes pass the limit) {
  json big = json::array();
  for (int i = 0; i < 100'000; ++i)
    big.push_back(json::array({123456.5, "abcdef"}));
  std::string out;
  CAF_CHECK(!canonicalize_within_depth(big, out, 1000));
  // It stops after the element that passed the limit, not at the end.
  CAF_CHECK_GREATER(out.size(), 1000u);
  CAF_CHECK_LESS(out.size(), 1100u);
  std::string whole;
  CAF_CHECK(canonicalize_within_depth(big, whole));
  CAF_CHECK_EQUAL(whole, canonicalize(big));
  std::string exact;
  CAF_CHECK(canonicalize_within_depth(big, exact, whole.size()));
}
