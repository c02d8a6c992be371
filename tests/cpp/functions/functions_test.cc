// Conformance of the codeanatomy function bundle (CONTRACTS.md §5): values worked by hand or
// with Python's hashlib, e.g.
//   python3 -c "import hashlib; print(hashlib.blake2b(b'delta', digest_size=16).hexdigest())"
#include "functions/functions.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "common/hash.h"
#include "common/status.h"
#include "engine/session_context.h"
#include "sql/statement.h"

namespace codeanatomy::functions {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Scalar> S(const std::string& v) { return arrow::MakeScalar(v); }
std::shared_ptr<arrow::Scalar> I(int64_t v) { return arrow::MakeScalar(v); }
std::shared_ptr<arrow::Scalar> B(bool v) { return arrow::MakeScalar(v); }
std::shared_ptr<arrow::Scalar> Null() { return std::make_shared<arrow::NullScalar>(); }

std::string CodeOf(const Status& status) { return DescribeError(status).code; }

class FunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = cp::FunctionRegistry::Make(cp::GetFunctionRegistry());
    ASSERT_TRUE(InstallCodeanatomyFunctions(registry_.get()).ok());
  }

  Result<std::shared_ptr<arrow::Scalar>> Call(const std::string& name,
                                              std::vector<std::shared_ptr<arrow::Scalar>> args) {
    cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, registry_.get());
    std::vector<arrow::Datum> datums(args.begin(), args.end());
    CA_ASSIGN_OR_RAISE(auto result, cp::CallFunction(name, datums, &ctx));
    return result.scalar();
  }

  // The call's value as text ("null" for NULL); failures as "error <CODE>".
  std::string Text(const std::string& name, std::vector<std::shared_ptr<arrow::Scalar>> args) {
    auto result = Call(name, std::move(args));
    if (!result.ok()) return "error " + CodeOf(result.status());
    return (*result)->is_valid ? (*result)->ToString() : "null";
  }

  std::unique_ptr<cp::FunctionRegistry> registry_;
};

TEST_F(FunctionsTest, StableHashesMatchBlake2b) {
  EXPECT_EQ(Text("stable_hash64", {S("abc")}), "6393727014797677913");
  EXPECT_EQ(Text("stable_hash128", {S("abc")}), "cf4ab791c62b8d2b2109c90275287816");
  EXPECT_EQ(Text("hash128", {S("abc")}), "cf4ab791c62b8d2b2109c90275287816");
  EXPECT_EQ(Text("prefixed_hash64", {S("p"), S("abc")}), "p:6393727014797677913");
  EXPECT_EQ(Text("stable_hash64", {Null()}), "null");
  EXPECT_EQ(Text("stable_id", {S("ns"), Null()}), "null");
}

TEST_F(FunctionsTest, StableIdPrefixesTheUnhashedNamespace) {
  // Conformance: stable_id('ns','delta') = 'ns:' || stable_hash128('delta').
  EXPECT_EQ(Text("stable_id", {S("ns"), S("delta")}), "ns:" + StableHash128("delta"));
  EXPECT_EQ(Text("stable_id", {S("ns"), S("delta")}), "ns:7fe3792fbdd937674be221ed030739da");
}

TEST_F(FunctionsTest, PartsJoinWithUnitSeparatorAndNullSentinel) {
  EXPECT_EQ(Text("stable_id_parts", {S("ns"), S("a"), Null(), I(3)}),
            "ns:353a32fea6ae9400d08952ff7d775113");
  EXPECT_EQ(Text("stable_id_multi", {S("ns"), S("a"), Null(), I(3)}),
            "ns:353a32fea6ae9400d08952ff7d775113");
  EXPECT_EQ(Text("prefixed_hash_parts64", {S("e"), S("a"), S("b")}), "e:8668388485945676816");
  EXPECT_EQ(Text("stable_id_parts", {Null(), S("a")}), "null");
  EXPECT_TRUE(Text("stable_id_parts", {S("ns")}).starts_with("error "));
}

TEST_F(FunctionsTest, StableHashAnyCanonicalizesTextAndNulls) {
  EXPECT_EQ(Text("stable_hash_any", {S(" x ")}), "442a44457137672b3218c1007dc8f76a");
  EXPECT_EQ(Text("stable_hash_any", {S("\xEF\xBD\x98")}), "442a44457137672b3218c1007dc8f76a");
  EXPECT_EQ(Text("stable_hash_any", {S(" x "), B(false)}), "fa8e67b32a282efab80cdf06cabf0755");
  EXPECT_EQ(Text("stable_hash_any", {Null()}), "a57b800059f43b1b7b599199eb6e1b74");
  EXPECT_EQ(Text("stable_hash", {I(42)}), "755345b7ef54b0d592c17e04737ab3d9");
  EXPECT_EQ(Text("stable_hash_any", {arrow::MakeNullScalar(arrow::utf8()), B(true), S("x")}),
            "442a44457137672b3218c1007dc8f76a");
}

TEST_F(FunctionsTest, ColToByteCountsEachUnit) {
  EXPECT_EQ(Text("col_to_byte", {S("abcdef"), I(3), S("BYTE")}), "3");  // conformance
  EXPECT_EQ(Text("col_to_byte", {S("h\xC3\xA9llo"), I(2), S("UTF32")}), "3");
  EXPECT_EQ(Text("col_to_byte", {S("h\xC3\xA9llo"), I(2), S("utf8")}), "1");  // snaps back
  EXPECT_EQ(Text("col_to_byte", {S("h\xC3\xA9llo"), I(3), S("UTF8")}), "3");
  // U+1F600 is two UTF-16 units and four UTF-8 bytes.
  EXPECT_EQ(Text("col_to_byte", {S("a\xF0\x9F\x98\x80"
                                   "b"),
                                 I(3), S("UTF16")}),
            "5");
  EXPECT_EQ(Text("col_to_byte", {S("a\xF0\x9F\x98\x80"
                                   "b"),
                                 I(2), S("UTF16")}),
            "1");
  EXPECT_EQ(Text("col_to_byte", {S("a\xF0\x9F\x98\x80"
                                   "b"),
                                 I(2), S("UTF32")}),
            "5");
  EXPECT_EQ(Text("col_to_byte", {S("abc"), I(10), S("BYTE")}), "3");
  EXPECT_EQ(Text("col_to_byte", {S("abc"), I(-1), S("BYTE")}), "null");
  EXPECT_EQ(Text("col_to_byte", {S("abc"), I(1), Null()}), "null");
  EXPECT_EQ(Text("col_to_byte", {S("abc"), I(1), S("chars")}), "error INVALID_COL_UNIT");
  EXPECT_EQ(Text("col_to_byte", {S("a\xFF"), I(1), S("UTF32")}), "error INVALID_UTF8");
  EXPECT_EQ(Text("col_to_byte", {S("a\xFF"), I(1), S("BYTE")}), "1");
}

TEST_F(FunctionsTest, CanonicalizeByteSpanAddsLineStarts) {
  EXPECT_EQ(Text("canonicalize_byte_span",
                 {I(10), S("abcdef"), I(3), I(20), S("ghijkl"), I(2), S("BYTE")}),
            "{bstart:int64 = 13, bend:int64 = 22}");
  EXPECT_EQ(Text("canonicalize_byte_span",
                 {I(-1), S("abcdef"), I(3), I(20), S("ghijkl"), I(2), S("BYTE")}),
            "null");
  EXPECT_EQ(Text("canonicalize_byte_span",
                 {I(INT64_MAX), S("abcdef"), I(3), I(20), S("ghijkl"), I(2), S("BYTE")}),
            "error INTEGER_OVERFLOW");
}

TEST_F(FunctionsTest, SpansTreatInclusiveEndsAsEndPlusOne) {
  auto span = [&](int64_t s, int64_t e, bool exclusive) {
    return Call("span_make", {I(s), I(e), I(0), S("BYTE"), B(exclusive)}).ValueOrDie();
  };
  EXPECT_EQ(span(3, 7, true)->ToString(),
            "{bstart:int64 = 3, bend:int64 = 7, line_base:int32 = 0, col_unit:string = byte, "
            "end_exclusive:bool = true}");
  EXPECT_EQ(Text("span_len", {span(3, 7, true)}), "4");
  EXPECT_EQ(Text("span_len", {span(3, 7, false)}), "5");
  EXPECT_EQ(Text("span_overlaps", {span(0, 5, true), span(5, 8, true)}), "false");
  EXPECT_EQ(Text("span_overlaps", {span(0, 5, false), span(5, 8, true)}), "true");
  EXPECT_EQ(Text("span_contains", {span(0, 10, true), span(2, 10, true)}), "true");
  EXPECT_EQ(Text("span_contains", {span(0, 10, true), span(2, 10, false)}), "false");
  EXPECT_EQ(Text("span_len", {Null()}), "null");
  EXPECT_EQ(Text("span_make", {I(1), I(2), I(0), S("lines")}), "error INVALID_COL_UNIT");
}

TEST_F(FunctionsTest, SpanMakeDefaultsComeFromTheConfig) {
  FunctionConfig config;
  config.span_default_line_base = 1;
  config.span_default_col_unit = "utf16";
  config.span_default_end_exclusive = false;
  ASSERT_TRUE(InstallCodeanatomyFunctions(registry_.get(), config).ok());
  EXPECT_EQ(Text("span", {I(1), Null()}),
            "{bstart:int64 = 1, bend:int64 = null, line_base:int32 = 1, col_unit:string = utf16, "
            "end_exclusive:bool = false}");
}

TEST_F(FunctionsTest, SpanIdAndAlignScore) {
  EXPECT_EQ(Text("span_id", {S("span"), S("src/a.py"), I(3), I(7)}),
            "span:b264655eae613a1e47c2ac3e03728695");
  EXPECT_EQ(Text("span_id", {Null(), S("src/a.py"), I(3), I(7)}), "null");
  EXPECT_EQ(Text("interval_align_score", {I(0), I(0), I(3), I(10)}), "-7");
  EXPECT_EQ(Text("interval_align_score", {I(0), I(0), Null(), I(10)}), "null");
}

TEST_F(FunctionsTest, Utf8NormalizeTrimsFoldsAndCollapses) {
  // Fullwidth letters become ASCII under NFKC.
  EXPECT_EQ(Text("utf8_normalize", {S("  \xEF\xBC\xA6oo \t  Bar ")}), "foo bar");
  EXPECT_EQ(Text("normalize_utf8", {S(" A  B "), S("NFC"), B(false), B(false)}), "A  B");
  EXPECT_EQ(Text("utf8_normalize", {S("   ")}), "null");
  EXPECT_EQ(Text("utf8_normalize", {S("x"), S("NFX")}), "error INVALID_NORMALIZATION_FORM");
  EXPECT_EQ(Text("utf8_normalize", {S("\xC3")}), "error INVALID_UTF8");
}

TEST_F(FunctionsTest, BlankAndQualifiedNames) {
  EXPECT_EQ(Text("utf8_null_if_blank", {S("  x ")}), "x");
  EXPECT_EQ(Text("null_if_blank", {S(" \xE3\x80\x80 ")}), "null");  // U+3000 is White_Space
  EXPECT_EQ(Text("qname_normalize", {S("Foo"), S("Pkg.Mod")}), "pkg.mod.foo");
  EXPECT_EQ(Text("qualname_normalize", {S("a.B"), S("m")}), "a.b");
  EXPECT_EQ(Text("qname_normalize", {S(" Foo ")}), "foo");
  EXPECT_EQ(Text("qname_normalize", {S("  "), S("m")}), "null");
  EXPECT_EQ(Text("semantic_tag", {S("NodeId"), I(5)}), "5");
  EXPECT_EQ(Text("semantic_tag", {S(" "), I(5)}), "error INVALID_SEMANTIC_TYPE");
}

TEST_F(FunctionsTest, ChangeTypesRank) {
  EXPECT_EQ(Text("cdf_change_rank", {S("update_postimage")}), "3");
  EXPECT_EQ(Text("cdf_change_rank", {S(" INSERT ")}), "2");
  EXPECT_EQ(Text("cdf_change_rank", {S("delete")}), "1");
  EXPECT_EQ(Text("cdf_change_rank", {S("update_preimage")}), "0");
  EXPECT_EQ(Text("cdf_change_rank", {S("merge")}), "-1");
  EXPECT_EQ(Text("cdf_is_upsert", {S("update_postimage")}), "true");
  EXPECT_EQ(Text("cdf_is_upsert", {S("update_preimage")}), "false");
  EXPECT_EQ(Text("cdf_is_delete", {S("delete")}), "true");
  EXPECT_EQ(Text("cdf_is_delete", {Null()}), "null");
}

TEST_F(FunctionsTest, ListsCompactAndSortAsText) {
  auto list = arrow::json::ScalarFromJSONString(arrow::list(arrow::int64()), "[10, null, 9, 10]");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Text("list_compact", {*list}), "list<item: string>[10, 9, 10]");
  EXPECT_EQ(Text("array_unique_sorted", {*list}), "list<item: string>[10, 9]");
  EXPECT_EQ(Text("list_compact", {arrow::MakeNullScalar(arrow::list(arrow::utf8()))}), "null");
  EXPECT_EQ(Text("list_compact", {S("x")}), "error TYPE_MISMATCH");
}

TEST_F(FunctionsTest, MapsLookUpAndNormalizeAsText) {
  auto map = arrow::json::ScalarFromJSONString(arrow::map(arrow::utf8(), arrow::int64()),
                                               R"([["B", 2], ["a", null], ["a", 1], ["b", 3]])");
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(Text("map_get_default", {*map, S("a"), S("none")}), "1");
  EXPECT_EQ(Text("map_get_default", {*map, S("z"), S("none")}), "none");
  EXPECT_EQ(Text("map_get_default", {*map, Null(), S("none")}), "error NULL_MAP_KEY");
  EXPECT_EQ(Text("map_normalize", {*map}),
            "map<string, string>[{key:string = a, value:string = 1}, "
            "{key:string = b, value:string = 3}]");
  EXPECT_EQ(Text("map_normalize", {*map, S("none"), B(false)}),
            "map<string, string>[{key:string = B, value:string = 2}, {key:string = a, "
            "value:string = null}, {key:string = a, value:string = 1}, {key:string = b, "
            "value:string = 3}]");
  EXPECT_EQ(Text("map_normalize", {*map, S("title")}), "error INVALID_KEY_CASE");
}

TEST_F(FunctionsTest, WrongTypesAndAritiesAreTypedErrors) {
  EXPECT_EQ(Text("span_make", {I(1), I(2), I(0), S("byte"), B(true), I(9)}), "error WRONG_ARITY");
  EXPECT_EQ(Text("stable_hash64", {I(1)}), Text("stable_hash64", {S("1")}));
  EXPECT_EQ(Text("stable_hash64",
                 {std::make_shared<arrow::BinaryScalar>(arrow::Buffer::FromString("x"))}),
            "error TYPE_MISMATCH");
  EXPECT_EQ(Text("span_len", {I(1)}), "error TYPE_MISMATCH");
}

TEST(FunctionConfigTest, ParsesAndRejectsWithTheFieldNamed) {
  auto config = ParseFunctionConfig(R"({"utf8_normalize_form": "nfc", "span_default_line_base": 1,
                                        "span_default_col_unit": "UTF16"})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->utf8_normalize_form, "NFC");
  EXPECT_EQ(config->span_default_line_base, 1);
  EXPECT_EQ(config->span_default_col_unit, "utf16");
  EXPECT_TRUE(ParseFunctionConfig("")->utf8_normalize_casefold);

  for (const char* bad : {R"({"utf8_normalize_form": "NFX"})", R"({"utf8_normalize_form": 1})",
                          R"({"span_default_line_base": 2})", R"({"bogus": true})",
                          R"({"utf8_normalize_casefold": "yes"})", "[1]", "{"}) {
    auto st = ParseFunctionConfig(bad).status();
    ASSERT_FALSE(st.ok()) << bad;
    auto info = DescribeError(st);
    EXPECT_EQ(info.code, "INVALID_UDF_CONFIG") << bad;
    EXPECT_EQ(info.stage, "validation") << bad;
  }
  auto st = ParseFunctionConfig(R"({"span_default_col_unit": "lines"})").status();
  EXPECT_NE(st.message().find("span_default_col_unit"), std::string::npos);
  EXPECT_EQ(DescribeError(st).details_json, R"({"field":"span_default_col_unit"})");
}

TEST(FunctionDescriptorTest, EveryFunctionAndAliasIsRegistered) {
  auto registry = cp::FunctionRegistry::Make(cp::GetFunctionRegistry());
  ASSERT_TRUE(InstallCodeanatomyFunctions(registry.get()).ok());
  ASSERT_TRUE(InstallCodeanatomyFunctions(registry.get()).ok());  // idempotent
  std::vector<std::string> names;
  size_t scalar = 0, aggregate = 0;
  for (const auto& d : CodeanatomyFunctions()) {
    EXPECT_TRUE(d.kind == "scalar" || d.kind == "aggregate") << d.name;
    scalar += d.kind == "scalar";
    aggregate += d.kind == "aggregate";
    EXPECT_FALSE(d.doc.empty()) << d.name;
    EXPECT_FALSE(d.signatures.empty()) << d.name;
    EXPECT_TRUE(registry->GetFunction(d.name).ok()) << d.name;
    for (const auto& alias : d.aliases) EXPECT_TRUE(registry->GetFunction(alias).ok()) << alias;
    names.push_back(d.name);
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  // CONTRACTS §5: 29 scalar functions (hashing 7, spans 6, positions 2, strings 4, nested 5,
  // change data 3, misc 2) and 11 aggregates.
  EXPECT_EQ(scalar, 29u);
  EXPECT_EQ(aggregate, 11u);
  // Arrow's own utf8_normalize is untouched in the default registry.
  auto arrow_fn = cp::GetFunctionRegistry()->GetFunction("utf8_normalize");
  ASSERT_TRUE(arrow_fn.ok());
  EXPECT_EQ((*arrow_fn)->arity().num_args, 1);
}

TEST(FunctionSqlTest, SqlResolvesTheBundleAfterInstall) {
  auto ctx = engine::SessionContext::Make();
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  ASSERT_TRUE(InstallCodeanatomyFunctions(ctx->state()->registry()).ok());
  auto df = sql::ExecuteSql(
      *ctx,
      "SELECT stable_id('ns', 'delta') AS id, col_to_byte('abcdef', 3, 'BYTE') AS c, "
      "canonicalize_byte_span(10, 'abcdef', 3, 20, 'ghijkl', 2, 'BYTE') AS s, "
      "utf8_normalize('  A  b ') AS n");
  ASSERT_TRUE(df.ok()) << df.status().ToString();
  auto table = df->Collect();
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_EQ((*table)->num_rows(), 1);
  EXPECT_EQ((*table)->column(0)->GetScalar(0).ValueOrDie()->ToString(),
            "ns:" + StableHash128("delta"));
  EXPECT_EQ((*table)->column(1)->GetScalar(0).ValueOrDie()->ToString(), "3");
  EXPECT_EQ((*table)->column(2)->GetScalar(0).ValueOrDie()->ToString(),
            "{bstart:int64 = 13, bend:int64 = 22}");
  EXPECT_EQ((*table)->column(3)->GetScalar(0).ValueOrDie()->ToString(), "a b");
}

}  // namespace
}  // namespace codeanatomy::functions
