#include "engine/error_context.h"

#include <gtest/gtest.h>

#include "engine/session_context.h"

namespace codeanatomy::engine {
namespace {

Result<PlanPtr> PlanWithArithmetic() {
  CA_ASSIGN_OR_RAISE(auto ctx, SessionContext::Make());
  auto schema =
      arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::int64())});
  CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema));
  CA_RETURN_NOT_OK(ctx.RegisterTable("t", empty));
  CA_ASSIGN_OR_RAISE(auto df, ctx.Table("t"));
  CA_ASSIGN_OR_RAISE(df, df.Select({Alias(Call("*", {Column("a"), Column("b")}), "p"),
                                    Alias(Call("/", {Column("a"), Column("b")}), "q")}));
  return df.plan();
}

TEST(AttributeRuntimeErrorTest, OverflowNamesTheArithmeticExpressions) {
  auto plan = PlanWithArithmetic();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto info = DescribeError(AttributeRuntimeError(Status::Invalid("overflow"), **plan));
  EXPECT_EQ(info.code, "ARITHMETIC_OVERFLOW");
  EXPECT_EQ(info.stage, "execution");
  EXPECT_EQ(info.details_json, R"json({"expressions":["(a * b)","(a / b)"]})json");
}

TEST(AttributeRuntimeErrorTest, DivisionByZeroNamesOnlyDivisions) {
  auto plan = PlanWithArithmetic();
  ASSERT_TRUE(plan.ok());
  auto info = DescribeError(AttributeRuntimeError(Status::Invalid("divide by zero"), **plan));
  EXPECT_EQ(info.code, "DIVISION_BY_ZERO");
  EXPECT_EQ(info.message, "divide by zero in (a / b)");
}

TEST(AttributeRuntimeErrorTest, OtherErrorsPassThroughUnchanged) {
  auto plan = PlanWithArithmetic();
  ASSERT_TRUE(plan.ok());
  Status other = Status::IOError("disk");
  EXPECT_TRUE(AttributeRuntimeError(other, **plan).Equals(other));
  Status tagged = InvalidError(stage::kPlanning, "X", "overflow");
  EXPECT_EQ(DescribeError(AttributeRuntimeError(tagged, **plan)).code, "X");
  EXPECT_TRUE(AttributeRuntimeError(Status::OK(), **plan).ok());
}

}  // namespace
}  // namespace codeanatomy::engine
