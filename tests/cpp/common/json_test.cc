#include "common/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace codeanatomy {
namespace {

JsonValue ParseOk(std::string_view text) {
  auto result = JsonValue::Parse(text);
  EXPECT_TRUE(result.ok()) << text << ": " << result.status().ToString();
  return result.ok() ? *result : JsonValue();
}

std::string ParseError(std::string_view text) {
  auto result = JsonValue::Parse(text);
  EXPECT_FALSE(result.ok()) << text << " parsed as " << result->ToJson();
  if (result.ok()) return "";
  EXPECT_TRUE(result.status().IsInvalid()) << result.status().ToString();
  return result.status().message();
}

TEST(JsonValueTest, ConstructorsPickTheExpectedType) {
  EXPECT_TRUE(JsonValue().is_null());
  EXPECT_TRUE(JsonValue(nullptr).is_null());
  EXPECT_TRUE(JsonValue(true).is_bool());
  EXPECT_TRUE(JsonValue(3).is_int());
  EXPECT_TRUE(JsonValue(uint8_t{3}).is_int());
  EXPECT_TRUE(JsonValue(3.0).is_double());
  // A string literal must not decay to bool.
  EXPECT_TRUE(JsonValue("x").is_string());
  EXPECT_TRUE(JsonValue(std::string_view("x")).is_string());
  EXPECT_TRUE(JsonValue::MakeArray().is_array());
  EXPECT_TRUE(JsonValue::MakeObject().is_object());
  EXPECT_EQ(JsonValue(int64_t{-5}).int_value(), -5);
  EXPECT_EQ(JsonValue(uint64_t{1} << 63).type(), JsonType::kDouble);
  EXPECT_EQ(JsonValue(uint64_t{1} << 62).int_value(), int64_t{1} << 62);
}

TEST(JsonValueTest, IntAndDoubleAreDistinctValues) {
  EXPECT_NE(JsonValue(1), JsonValue(1.0));
  EXPECT_EQ(JsonValue(1).ToJson(), "1");
  EXPECT_EQ(JsonValue(1.0).ToJson(), "1.0");
  EXPECT_DOUBLE_EQ(JsonValue(2).number_value(), 2.0);
}

TEST(JsonValueTest, SetGetAppendBuildNestedValues) {
  JsonValue v;  // null becomes an object on first Set
  v.Set("b", 1).Set("a", JsonValue().Append("x").Append(2));
  v.Set("b", 3);  // replaces
  ASSERT_NE(v.Get("b"), nullptr);
  EXPECT_EQ(v.Get("b")->int_value(), 3);
  EXPECT_EQ(v.Get("missing"), nullptr);
  EXPECT_EQ(JsonValue(1).Get("b"), nullptr);
  EXPECT_EQ(v.Get("a")->array_value().size(), 2u);
  EXPECT_EQ(v.ToJson(), R"({"a":["x",2],"b":3})");
}

TEST(JsonValueTest, WrongTypeAccessAborts) {
  EXPECT_DEATH(JsonValue(1).string_value(), "holds int, not string");
  EXPECT_DEATH(JsonValue("x").Append(1), "holds string, not array");
}

TEST(JsonWriterTest, KeysAreSortedRegardlessOfInsertionOrder) {
  JsonValue a;
  a.Set("zeta", 1).Set("alpha", 2).Set("Beta", 3).Set("", 4);
  JsonValue b;
  b.Set("", 4).Set("Beta", 3).Set("alpha", 2).Set("zeta", 1);
  EXPECT_EQ(a.ToJson(), R"({"":4,"Beta":3,"alpha":2,"zeta":1})");
  EXPECT_EQ(a.ToJson(), b.ToJson());
}

TEST(JsonWriterTest, KeysSortByUnsignedBytes) {
  JsonValue v;
  v.Set("\xc3\xa9", 1).Set("z", 2);  // "é" (0xC3 0xA9) sorts after ASCII
  EXPECT_EQ(v.ToJson(), "{\"z\":2,\"\xc3\xa9\":1}");
}

TEST(JsonWriterTest, SameMeaningGivesSameBytes) {
  const std::string a =
      ParseOk(R"( { "b" : [1, 2.50, {"y":null,"x":true}], "a":"\u0041" } )").ToJson();
  const std::string b = ParseOk(R"({"a":"A","b":[1,25e-1,{"x":true,"y":null}]})").ToJson();
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, R"({"a":"A","b":[1,2.5,{"x":true,"y":null}]})");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string s = std::string("q\" b\\ \b\f\n\r\t \x01\x1f\x7f ") + '\0';
  EXPECT_EQ(JsonValue(s).ToJson(), "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f\x7f \\u0000\"");
}

TEST(JsonWriterTest, NonAsciiUtf8PassesThrough) {
  const std::string text = "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"";  // héllo € 😀
  EXPECT_EQ(JsonValue(text.substr(1, text.size() - 2)).ToJson(), text);
  EXPECT_EQ(ParseOk(R"("h\u00e9llo \u20ac \ud83d\ude00")").ToJson(), text);
}

TEST(JsonWriterTest, DoublesUseShortestRoundTripText) {
  EXPECT_EQ(JsonValue(0.1).ToJson(), "0.1");
  EXPECT_EQ(JsonValue(1.0 / 3).ToJson(), "0.3333333333333333");
  EXPECT_EQ(JsonValue(1e300).ToJson(), "1e+300");
  EXPECT_EQ(JsonValue(5e-324).ToJson(), "5e-324");
  EXPECT_EQ(JsonValue(100.0).ToJson(), "100.0");
  EXPECT_EQ(JsonValue(-0.0).ToJson(), "-0.0");
  EXPECT_EQ(JsonValue(0.0).ToJson(), "0.0");
}

TEST(JsonWriterTest, NonFiniteDoublesWriteNull) {
  EXPECT_EQ(JsonValue(std::nan("")).ToJson(), "null");
  EXPECT_EQ(JsonValue(std::numeric_limits<double>::infinity()).ToJson(), "null");
  EXPECT_EQ(JsonValue(-std::numeric_limits<double>::infinity()).ToJson(), "null");
}

TEST(JsonWriterTest, IntegersAreExact) {
  EXPECT_EQ(JsonValue(std::numeric_limits<int64_t>::max()).ToJson(), "9223372036854775807");
  EXPECT_EQ(JsonValue(std::numeric_limits<int64_t>::min()).ToJson(), "-9223372036854775808");
}

TEST(JsonWriterTest, PrettyPrintIndentsAndKeepsEmptyContainersInline) {
  JsonValue v;
  v.Set("b", JsonValue::MakeArray().Append(1).Append(JsonValue::MakeObject()));
  v.Set("a", JsonValue::MakeArray());
  EXPECT_EQ(v.ToPrettyJson(), "{\n  \"a\": [],\n  \"b\": [\n    1,\n    {}\n  ]\n}");
  EXPECT_EQ(v.ToPrettyJson(0), "{\n\"a\": [],\n\"b\": [\n1,\n{}\n]\n}");
  EXPECT_EQ(JsonValue(1.0).ToPrettyJson(), "1.0");
}

TEST(JsonParseTest, RoundTripPreservesValuesAndTypes) {
  const std::string canonical =
      R"({"arr":[null,true,false,0,-1,1.5,-0.0,1e-07,"s"],"nested":{"k":{"k":[[]]}},)"
      R"("num":2.0,"obj":{}})";
  const JsonValue v = ParseOk(canonical);
  EXPECT_EQ(v.ToJson(), canonical);
  EXPECT_EQ(ParseOk(v.ToJson()), v);
  EXPECT_TRUE(v.Get("num")->is_double());
  EXPECT_TRUE(v.Get("arr")->array_value()[3].is_int());
  EXPECT_TRUE(std::signbit(v.Get("arr")->array_value()[6].double_value()));
}

TEST(JsonParseTest, ScalarDocumentsAndSurroundingWhitespace) {
  EXPECT_EQ(ParseOk(" 42 "), JsonValue(42));
  EXPECT_EQ(ParseOk("\n\"x\"\t"), JsonValue("x"));
  EXPECT_EQ(ParseOk("null"), JsonValue());
  EXPECT_EQ(ParseOk("false"), JsonValue(false));
  EXPECT_EQ(ParseOk("-0"), JsonValue(0));
}

TEST(JsonParseTest, IntegersThatFitInt64StayInts) {
  EXPECT_EQ(ParseOk("9223372036854775807"), JsonValue(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(ParseOk("[-9223372036854775808]").array_value()[0],
            JsonValue(std::numeric_limits<int64_t>::min()));
}

TEST(JsonParseTest, IntegersBeyondInt64BecomeDoubles) {
  EXPECT_EQ(ParseOk("9223372036854775808"), JsonValue(9223372036854775808.0));
  EXPECT_EQ(ParseOk("18446744073709551615"), JsonValue(18446744073709551615.0));
  // Beyond uint64 too; expected values from Python's float("...").
  EXPECT_EQ(ParseOk("[123456789012345678901234]").ToJson(), "[1.2345678901234569e+23]");
  EXPECT_EQ(ParseOk("-123456789012345678901234").ToJson(), "-1.2345678901234569e+23");
}

TEST(JsonParseTest, LongDecimalsParseCorrectly) {
  // simdjson 3.0.1's on-demand number parsing gets these wrong; we must not.
  // Expected values from Python's repr(float("...")).
  EXPECT_EQ(ParseOk("[123456789012345678901234.5]").ToJson(), "[1.2345678901234569e+23]");
  EXPECT_EQ(ParseOk("0.10000000000000000000001").ToJson(), "0.1");
  EXPECT_EQ(ParseOk("[3.14159265358979323846264]").ToJson(), "[3.141592653589793]");
  EXPECT_EQ(ParseOk("2.2250738585072011e-308").ToJson(), "2.225073858507201e-308");
}

TEST(JsonParseTest, UnderflowingNumbersBecomeZero) { EXPECT_EQ(ParseOk("1e-400").ToJson(), "0.0"); }

TEST(JsonParseTest, DuplicateKeysLastOneWins) {
  EXPECT_EQ(ParseOk(R"({"a":1,"b":2,"a":3})").ToJson(), R"({"a":3,"b":2})");
}

TEST(JsonParseTest, UnicodeEscapesDecodeToUtf8) {
  const JsonValue v = ParseOk(R"(["\u00e9", "\ud83d\ude00", "\u0000", "caf\u00E9"])");
  EXPECT_EQ(v.array_value()[0].string_value(), "\xc3\xa9");
  EXPECT_EQ(v.array_value()[1].string_value(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(v.array_value()[2].string_value(), std::string(1, '\0'));
  EXPECT_EQ(v.array_value()[3].string_value(), "caf\xc3\xa9");
  EXPECT_EQ(ParseOk(v.ToJson()), v);
}

TEST(JsonParseTest, ErrorsAreInvalidWithByteOffset) {
  EXPECT_NE(ParseError(R"({"a":[1,2,}})").find("at byte 10"), std::string::npos);
  EXPECT_NE(ParseError(R"({"a" 1})").find("at byte 5"), std::string::npos);
  EXPECT_NE(ParseError(R"({"a":1 "b":2})").find("at byte 7"), std::string::npos);
  EXPECT_NE(ParseError("[1,tru]").find("at byte 3"), std::string::npos);
  EXPECT_NE(ParseError("[1, 01]").find("at byte 4"), std::string::npos);
  EXPECT_NE(ParseError(R"({"k":-})").find("at byte 5"), std::string::npos);
}

TEST(JsonParseTest, TrailingContentIsAnErrorAtItsOffset) {
  EXPECT_NE(ParseError("1 2").find("at byte 2"), std::string::npos);
  EXPECT_NE(ParseError(R"("a" "b")").find("at byte 4"), std::string::npos);
  EXPECT_NE(ParseError(R"({"a":1}})").find("at byte 7"), std::string::npos);
  EXPECT_NE(ParseError(R"({"a":1} {})").find("at byte 8"), std::string::npos);
  ParseError("[1,2] 3");
}

TEST(JsonParseTest, RejectsMalformedDocuments) {
  for (const char* text :
       {"", "   ", "[1,2", "[1,]", "[,1]", "{,}", "{1:2}", "x", "nul", "[truex]", "1.", "-",
        "1e400", "\"unterminated", "\"tab\there\"", "\"\xff\"", "{\"a\":}", "'a'"}) {
    const std::string message = ParseError(text);
    EXPECT_NE(message.find("JSON parse error"), std::string::npos) << text;
  }
}

TEST(JsonParseTest, ErrorsWithoutPositionCarrySimdjsonText) {
  EXPECT_NE(ParseError("\"\xff\"").find("UTF-8"), std::string::npos);
  EXPECT_NE(ParseError("").find("Empty"), std::string::npos);
}

TEST(JsonParseTest, NestingBeyond512LevelsIsAnError) {
  // Deep enough to overflow the stack if recursion were unbounded.
  const std::string message = ParseError(std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_NE(message.find("at byte 512"), std::string::npos) << message;
  EXPECT_TRUE(JsonValue::Parse(std::string(512, '[') + std::string(512, ']')).ok());
  EXPECT_FALSE(JsonValue::Parse(std::string(513, '[') + std::string(513, ']')).ok());
}

TEST(JsonPathTest, IdentifierKeysUseDotNotation) {
  std::string path(kJsonPathRoot);
  path = JsonPathAppendKey(path, "view_definitions");
  path = JsonPathAppendIndex(path, 3);
  path = JsonPathAppendKey(path, "transform");
  path = JsonPathAppendKey(path, "kind");
  EXPECT_EQ(path, "$.view_definitions[3].transform.kind");
  EXPECT_EQ(JsonPathAppendKey("$", "_x9"), "$._x9");
}

TEST(JsonPathTest, OtherKeysUseQuotedBrackets) {
  EXPECT_EQ(JsonPathAppendKey("$", "has space"), R"($["has space"])");
  EXPECT_EQ(JsonPathAppendKey("$", "9lives"), R"($["9lives"])");
  EXPECT_EQ(JsonPathAppendKey("$", ""), R"($[""])");
  EXPECT_EQ(JsonPathAppendKey("$", "a.b"), R"($["a.b"])");
  EXPECT_EQ(JsonPathAppendKey("$", "q\"uote"), R"($["q\"uote"])");
}

}  // namespace
}  // namespace codeanatomy
