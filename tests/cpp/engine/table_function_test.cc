// The session's table function registry: registration, case-insensitive lookup with
// suggestions, argument checking and calls into DataFrames.
#include "engine/table_function.h"

#include <memory>
#include <string>
#include <vector>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "engine/dataframe.h"
#include "engine/session_context.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

using testing::ErrorCode;
using testing::ErrorDetails;
using testing::ErrorStage;
using testing::Rows;
using testing::TableFromJSON;

/// series(start, [stop]): one int64 column `n` from start to stop (start + 2 when not given).
TableFunction Series() {
  return {"Series",
          {{"start", arrow::int64()}, {"stop", arrow::int64(), true}},
          "Integers from start to stop.",
          [](const TableFunctionArgs& args) -> Result<std::shared_ptr<TableProvider>> {
            int64_t start = std::static_pointer_cast<arrow::Int64Scalar>(args[0])->value;
            int64_t stop = args.size() > 1
                               ? std::static_pointer_cast<arrow::Int64Scalar>(args[1])->value
                               : start + 2;
            arrow::Int64Builder b;
            for (int64_t i = start; i <= stop; ++i) ARROW_RETURN_NOT_OK(b.Append(i));
            ARROW_ASSIGN_OR_RAISE(auto array, b.Finish());
            auto table = arrow::Table::Make(arrow::schema({arrow::field("n", arrow::int64())}),
                                            arrow::ArrayVector{array});
            ARROW_ASSIGN_OR_RAISE(auto provider, MemoryTableProvider::Make(table));
            return std::static_pointer_cast<TableProvider>(provider);
          }};
}

std::shared_ptr<arrow::Scalar> I(int64_t v) { return std::make_shared<arrow::Int64Scalar>(v); }

TEST(TableFunctionRegistryTest, LookupIsCaseInsensitiveAndKeepsTheRegisteredName) {
  TableFunctionRegistry registry;
  ASSERT_OK(registry.Register(Series()));
  for (const char* name : {"series", "SERIES", "Series"}) {
    ASSERT_OK_AND_ASSIGN(auto fn, registry.Lookup(name));
    EXPECT_EQ(fn->name, "Series");
  }
  EXPECT_EQ(registry.Names(), std::vector<std::string>{"Series"});
  ASSERT_OK_AND_ASSIGN(auto fn, registry.Lookup("series"));
  EXPECT_EQ(fn->parameter_names(), (std::vector<std::string>{"start", "stop"}));
  EXPECT_EQ(fn->Signature(), "Series(start, [stop])");
}

TEST(TableFunctionRegistryTest, RegisteringAgainReplaces) {
  TableFunctionRegistry registry;
  ASSERT_OK(registry.Register(Series()));
  TableFunction other = Series();
  other.name = "SERIES";
  other.doc = "replaced";
  ASSERT_OK(registry.Register(other));
  EXPECT_EQ(registry.Names(), std::vector<std::string>{"SERIES"});
  ASSERT_OK_AND_ASSIGN(auto fn, registry.Lookup("series"));
  EXPECT_EQ(fn->doc, "replaced");
}

TEST(TableFunctionRegistryTest, UnknownNameSuggestsCloseNames) {
  TableFunctionRegistry registry;
  ASSERT_OK(registry.Register(Series()));
  auto r = registry.Lookup("serie");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorStage(r.status()), "planning");
  EXPECT_EQ(ErrorCode(r.status()), "UNKNOWN_TABLE_FUNCTION");
  EXPECT_NE(r.status().message().find("did you mean 'Series'"), std::string::npos)
      << r.status().message();
  auto details = ErrorDetails(r.status());
  EXPECT_EQ(details.Get("function")->string_value(), "serie");
  EXPECT_EQ(details.Get("candidates")->array_value().at(0).string_value(), "Series");
}

TEST(TableFunctionRegistryTest, RefusesMalformedFunctions) {
  TableFunctionRegistry registry;
  TableFunction nameless = Series();
  nameless.name = "";
  EXPECT_FALSE(registry.Register(nameless).ok());
  TableFunction no_impl = Series();
  no_impl.invoke = nullptr;
  EXPECT_FALSE(registry.Register(no_impl).ok());
  TableFunction required_after_optional = Series();
  required_after_optional.parameters.push_back({"step", arrow::int64()});
  EXPECT_FALSE(registry.Register(required_after_optional).ok());
}

TEST(TableFunctionArgumentsTest, WrongArityNamesTheFunction) {
  TableFunction fn = Series();
  for (const auto& args : {TableFunctionArgs{}, TableFunctionArgs{I(1), I(2), I(3)}}) {
    auto r = CheckArguments(fn, args);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ErrorStage(r.status()), "planning");
    EXPECT_EQ(ErrorCode(r.status()), "WRONG_ARITY");
    auto details = ErrorDetails(r.status());
    EXPECT_EQ(details.Get("function")->string_value(), "Series");
    EXPECT_EQ(details.Get("expected")->string_value(), "1 to 2");
    EXPECT_EQ(details.Get("actual")->int_value(), static_cast<int64_t>(args.size()));
  }
}

TEST(TableFunctionArgumentsTest, WrongTypeNamesTheParameter) {
  auto r = CheckArguments(Series(), {I(1), std::make_shared<arrow::StringScalar>("2")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorStage(r.status()), "planning");
  EXPECT_EQ(ErrorCode(r.status()), "INVALID_TABLE_FUNCTION_ARGUMENT");
  auto details = ErrorDetails(r.status());
  EXPECT_EQ(details.Get("function")->string_value(), "Series");
  EXPECT_EQ(details.Get("parameter")->string_value(), "stop");
  EXPECT_EQ(details.Get("expected")->string_value(), "int64");
  EXPECT_EQ(details.Get("actual")->string_value(), "string");
}

TEST(TableFunctionArgumentsTest, IntegersWidenAndTrailingNullsAreNotGiven) {
  ASSERT_OK_AND_ASSIGN(auto args,
                       CheckArguments(Series(), {std::make_shared<arrow::Int8Scalar>(4),
                                                 arrow::MakeNullScalar(arrow::int32())}));
  ASSERT_EQ(args.size(), 1u);
  EXPECT_TRUE(args[0]->type->Equals(arrow::int64()));
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Scalar>(args[0])->value, 4);
}

TEST(TableFunctionArgumentsTest, RequiredNullIsRefused) {
  auto r = CheckArguments(Series(), {arrow::MakeNullScalar(arrow::int64())});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorCode(r.status()), "INVALID_TABLE_FUNCTION_ARGUMENT");
  EXPECT_EQ(ErrorDetails(r.status()).Get("parameter")->string_value(), "start");
}

TEST(TableFunctionArgumentsTest, OutOfRangeIntegerIsRefused) {
  TableFunction fn = Series();
  fn.parameters[0].type = arrow::int8();
  auto r = CheckArguments(fn, {I(1000)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorCode(r.status()), "INVALID_TABLE_FUNCTION_ARGUMENT");
}

TEST(TableFunctionDescriptorTest, DescribesEachArityAndRoundTrips) {
  TableFunction fn = Series();
  JsonValue d = TableFunctionDescriptor(fn);
  EXPECT_EQ(d.Get("kind")->string_value(), "table");
  EXPECT_EQ(d.Get("parameter_names")->ToJson(), R"(["start","stop"])");
  EXPECT_EQ(d.Get("signatures")->ToJson(), R"([["int64"],["int64","int64"]])");
  EXPECT_EQ(d.Get("volatility")->string_value(), "volatile");
  EXPECT_EQ(d.Get("return_type")->string_value(), "table");
  ASSERT_OK_AND_ASSIGN(auto back, TableFunctionFromDescriptor(d));
  EXPECT_EQ(back.name, "Series");
  EXPECT_EQ(back.doc, fn.doc);
  EXPECT_EQ(back.Signature(), "Series(start, [stop])");
  ASSERT_EQ(back.parameters.size(), 2u);
  EXPECT_TRUE(back.parameters[1].type->Equals(*arrow::int64()));
  EXPECT_FALSE(back.parameters[0].optional);
  EXPECT_TRUE(back.parameters[1].optional);
  EXPECT_EQ(TableFunctionDescriptor(back).ToJson(), d.ToJson());
  // No parameters: one empty signature.
  TableFunction none{"now_tables", {}, "", fn.invoke};
  EXPECT_EQ(TableFunctionDescriptor(none).Get("signatures")->ToJson(), "[[]]");
  ASSERT_OK_AND_ASSIGN(auto none_back, TableFunctionFromDescriptor(TableFunctionDescriptor(none)));
  EXPECT_TRUE(none_back.parameters.empty());
  EXPECT_FALSE(none_back.any_arguments);
}

TEST(TableFunctionDescriptorTest, MalformedDescriptorsNameTheMember) {
  auto with = [](const std::string& key, JsonValue value) {
    JsonValue d = TableFunctionDescriptor(Series());
    d.Set(key, std::move(value));
    return TableFunctionFromDescriptor(d);
  };
  struct Case {
    std::string key;
    JsonValue value;
  };
  JsonValue unknown_type =
      JsonValue::Parse(R"j([["int64"],["int64","decimal(3,1)"]])j").ValueOrDie();
  JsonValue short_sig = JsonValue::Parse(R"([["int64"]])").ValueOrDie();
  for (const auto& [key, value] : std::vector<Case>{{"name", JsonValue(int64_t{3})},
                                                    {"kind", JsonValue("scalar")},
                                                    {"parameter_names", JsonValue("start")},
                                                    {"signatures", JsonValue::MakeArray()},
                                                    {"signatures", unknown_type},
                                                    {"signatures", short_sig}}) {
    auto r = with(key, value);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(ErrorCode(r.status()), "INVALID_FUNCTION_DESCRIPTOR") << key;
    EXPECT_EQ(ErrorStage(r.status()), "validation");
    EXPECT_EQ(ErrorDetails(r.status()).Get("field")->string_value(), key);
  }
}

TEST(TableFunctionArgumentsTest, AnyArgumentsPassAsGiven) {
  TableFunction fn{"loose", {}, "", Series().invoke, /*any_arguments=*/true};
  EXPECT_EQ(fn.Signature(), "loose(...)");
  auto null_int = arrow::MakeNullScalar(arrow::int64());
  ASSERT_OK_AND_ASSIGN(
      auto args, CheckArguments(fn, {std::make_shared<arrow::StringScalar>("x"), I(2), null_int}));
  ASSERT_EQ(args.size(), 2u);  // the trailing NULL is "not given"
  EXPECT_EQ(args[0]->type->id(), arrow::Type::STRING);
  // Integers are widened to int64 (SQL types the literal 4 int32).
  ASSERT_OK_AND_ASSIGN(auto widened,
                       CheckArguments(fn, {std::make_shared<arrow::Int32Scalar>(-7),
                                           std::make_shared<arrow::UInt8Scalar>(200)}));
  EXPECT_TRUE(widened[0]->Equals(*I(-7))) << widened[0]->ToString();
  EXPECT_TRUE(widened[1]->Equals(*I(200))) << widened[1]->ToString();
  TableFunctionRegistry registry;
  TableFunction both = fn;
  both.parameters = {{"a", arrow::int64()}};
  EXPECT_FALSE(registry.Register(both).ok());
  EXPECT_EQ(TableFunctionDescriptor(fn).Get("variadic")->ToJson(), "true");
  ASSERT_OK_AND_ASSIGN(auto back, TableFunctionFromDescriptor(TableFunctionDescriptor(fn)));
  EXPECT_TRUE(back.any_arguments);
}

TEST(TableFunctionSessionTest, SessionsKeepTheirOwnRegistry) {
  ASSERT_OK_AND_ASSIGN(auto a, SessionContext::Make());
  ASSERT_OK_AND_ASSIGN(auto b, SessionContext::Make());
  ASSERT_OK(a.state()->RegisterTableFunction(Series()));
  EXPECT_EQ(a.state()->TableFunctionNames(), std::vector<std::string>{"Series"});
  EXPECT_TRUE(b.state()->TableFunctionNames().empty());
  EXPECT_EQ(ErrorCode(b.state()->LookupTableFunction("series").status()), "UNKNOWN_TABLE_FUNCTION");
}

TEST(TableFunctionSessionTest, CallPlansAScanThatRunsAndJoins) {
  ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make());
  ASSERT_OK(ctx.state()->RegisterTableFunction(Series()));
  ASSERT_OK_AND_ASSIGN(auto fn, ctx.state()->LookupTableFunction("series"));
  ASSERT_OK_AND_ASSIGN(auto plan, PlanTableFunctionCall(*fn, {I(2), I(4)}));
  EXPECT_EQ(plan->kind, PlanKind::kScan);
  EXPECT_EQ(plan->table_name, "Series(2, 4)");
  DataFrame df(ctx.state(), plan);
  ASSERT_OK_AND_ASSIGN(auto table, df.Collect());
  EXPECT_EQ(Rows(*table), (std::vector<std::string>{"2", "3", "4"}));

  ASSERT_OK(ctx.RegisterTable(
      "names", TableFromJSON(arrow::schema({arrow::field("k", arrow::int64()),
                                            arrow::field("s", arrow::utf8())}),
                             {R"([{"k": 3, "s": "three"}, {"k": 9, "s": "nine"}])"})));
  ASSERT_OK_AND_ASSIGN(auto names, ctx.Table("names"));
  ASSERT_OK_AND_ASSIGN(auto joined, df.Join(names, JoinType::kInner, {"n"}, {"k"}));
  ASSERT_OK_AND_ASSIGN(auto rows, joined.Collect());
  EXPECT_EQ(Rows(*rows), (std::vector<std::string>{"3|3|three"}));
}

TEST(TableFunctionSessionTest, ErrorsOfTheFunctionPassThrough) {
  TableFunction failing = Series();
  failing.name = "failing";
  failing.invoke = [](const TableFunctionArgs&) -> Result<std::shared_ptr<TableProvider>> {
    return InvalidError("delta", "NOT_A_DELTA_TABLE", "no table here");
  };
  auto r = PlanTableFunctionCall(failing, {I(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorStage(r.status()), "delta");
  EXPECT_EQ(ErrorCode(r.status()), "NOT_A_DELTA_TABLE");
}

}  // namespace
}  // namespace codeanatomy::engine
