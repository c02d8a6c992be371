#include "engine/logical_plan.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/session_state.h"
#include "engine/table_provider.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

using testing::ErrorCode;
using testing::ErrorDetails;
using testing::ErrorStage;
using testing::Int32;
using testing::Int64;
using testing::Null;
using testing::Str;
using testing::TableFromJSON;

class LogicalPlanTest : public testing::SessionStateTest {
 protected:
  FunctionResolver fr() const { return resolver(); }

  PlanPtr ScanOf(const std::string& name, const std::shared_ptr<arrow::Schema>& schema) {
    auto table = TableFromJSON(schema, {"[]"});
    auto provider = MemoryTableProvider::Make(table).ValueOrDie();
    return plan::Scan(name, provider).ValueOrDie();
  }

  // t(a int32 not null, b utf8, c float64)
  PlanPtr T() {
    return ScanOf("t", arrow::schema({arrow::field("a", arrow::int32(), /*nullable=*/false),
                                      arrow::field("b", arrow::utf8()),
                                      arrow::field("c", arrow::float64())}));
  }
};

TEST_F(LogicalPlanTest, ScanExposesTheProviderSchemaAndAllColumns) {
  auto scan = T();
  EXPECT_EQ(scan->kind, PlanKind::kScan);
  EXPECT_EQ(scan->table_name, "t");
  EXPECT_EQ(scan->schema->field_names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(scan->projection, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(scan->filters.empty());
}

TEST_F(LogicalPlanTest, ProjectionDerivesNamesTypesAndNullability) {
  ASSERT_OK_AND_ASSIGN(
      auto p, plan::Projection(T(),
                               {Column("a"), Alias(Call("+", {Column("a"), Int32(1)}), "x"),
                                Call("upper", {Column("b")}),
                                Call(">", {Column("c"), Literal(arrow::MakeScalar(0.0))})},
                               fr()));
  auto expected = arrow::schema(
      {arrow::field("a", arrow::int32(), /*nullable=*/false), arrow::field("x", arrow::int32()),
       arrow::field("upper(b)", arrow::utf8()), arrow::field("(c > 0)", arrow::boolean())});
  EXPECT_TRUE(p->schema->Equals(*expected)) << p->schema->ToString();
}

TEST_F(LogicalPlanTest, ProjectionWidensMixedIntegerArithmetic) {
  auto right = ScanOf(
      "r", arrow::schema({arrow::field("a", arrow::int32()), arrow::field("n", arrow::int64())}));
  ASSERT_OK_AND_ASSIGN(
      auto p, plan::Projection(right, {Alias(Call("+", {Column("a"), Column("n")}), "s")}, fr()));
  EXPECT_TRUE(p->schema->field(0)->type()->Equals(arrow::int64())) << p->schema->ToString();
  ASSERT_OK_AND_ASSIGN(
      auto q, plan::Projection(T(),
                               {Column("a"), Alias(Call("+", {Column("a"), Int64(1)}), "x"),
                                Call("upper", {Column("b")}), Call(">", {Column("c"), Int32(0)})},
                               fr()));
  auto expected = arrow::schema({arrow::field("a", arrow::int32(), /*nullable=*/false),
                                 arrow::field("x", arrow::int32()),  // literal adopts a's type
                                 arrow::field("upper(b)", arrow::utf8()),
                                 arrow::field("(c > 0)", arrow::boolean())});
  EXPECT_TRUE(q->schema->Equals(*expected)) << q->schema->ToString();
}

TEST_F(LogicalPlanTest, ProjectionRejectsDuplicateOutputNames) {
  auto p = plan::Projection(T(), {Column("a"), Alias(Column("b"), "a")}, fr());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ErrorCode(p.status()), "DUPLICATE_COLUMN");
  EXPECT_EQ(ErrorDetails(p.status()).Get("column")->string_value(), "a");
}

TEST_F(LogicalPlanTest, ProjectionOfAnUnknownColumnFails) {
  auto p = plan::Projection(T(), {Column("bb")}, fr());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ErrorCode(p.status()), "UNKNOWN_COLUMN");
  EXPECT_EQ(ErrorStage(p.status()), "planning");
}

TEST_F(LogicalPlanTest, AggregateOutputTypes) {
  ASSERT_OK_AND_ASSIGN(
      auto p,
      plan::Aggregate(T(), {Column("b")},
                      {AggregateCall("count", {Column("a")}), AggregateCall("sum", {Column("a")}),
                       AggregateCall("mean", {Column("a")}), AggregateCall("min", {Column("a")}),
                       AggregateCall("count", {}), AggregateCall("avg", {Column("c")}),
                       Alias(AggregateCall("count", {Column("b")}, /*distinct=*/true), "nb")},
                      fr()));
  ASSERT_EQ(p->schema->num_fields(), 8);
  EXPECT_EQ(p->schema->field_names(),
            (std::vector<std::string>{"b", "count(a)", "sum(a)", "mean(a)", "min(a)", "count()",
                                      "avg(c)", "nb"}));
  EXPECT_TRUE(p->schema->field(0)->type()->Equals(arrow::utf8()));
  EXPECT_TRUE(p->schema->field(1)->type()->Equals(arrow::int64()));    // count
  EXPECT_TRUE(p->schema->field(2)->type()->Equals(arrow::int64()));    // sum(int32)
  EXPECT_TRUE(p->schema->field(3)->type()->Equals(arrow::float64()));  // mean
  EXPECT_TRUE(p->schema->field(4)->type()->Equals(arrow::int32()));    // min keeps the type
  EXPECT_TRUE(p->schema->field(5)->type()->Equals(arrow::int64()));    // count(*)
  EXPECT_TRUE(p->schema->field(6)->type()->Equals(arrow::float64()));
  EXPECT_TRUE(p->schema->field(7)->type()->Equals(arrow::int64()));  // count(DISTINCT)
}

TEST_F(LogicalPlanTest, AggregateOutputTypeHelper) {
  ASSERT_OK_AND_ASSIGN(auto sum, AggregateOutputType("sum", {arrow::int32()}, fr()));
  EXPECT_TRUE(sum->Equals(arrow::int64()));
  ASSERT_OK_AND_ASSIGN(auto mean, AggregateOutputType("mean", {arrow::int64()}, fr()));
  EXPECT_TRUE(mean->Equals(arrow::float64()));
  ASSERT_OK_AND_ASSIGN(auto count, AggregateOutputType("count", {arrow::utf8()}, fr()));
  EXPECT_TRUE(count->Equals(arrow::int64()));
}

TEST_F(LogicalPlanTest, AggregateRejectsNonAggregatesAndNesting) {
  auto scalar = plan::Aggregate(T(), {}, {Column("a")}, fr());
  EXPECT_EQ(ErrorCode(scalar.status()), "NOT_AN_AGGREGATE");
  auto nested =
      plan::Aggregate(T(), {}, {AggregateCall("sum", {AggregateCall("sum", {Column("a")})})}, fr());
  EXPECT_EQ(ErrorCode(nested.status()), "AGGREGATE_NOT_ALLOWED");
  auto in_group = plan::Aggregate(T(), {AggregateCall("sum", {Column("a")})}, {}, fr());
  EXPECT_EQ(ErrorCode(in_group.status()), "AGGREGATE_NOT_ALLOWED");
  auto arity = plan::Aggregate(T(), {}, {AggregateCall("sum", {Column("a"), Column("c")})}, fr());
  EXPECT_EQ(ErrorCode(arity.status()), "WRONG_ARITY");
  auto distinct_sum = plan::Aggregate(T(), {}, {AggregateCall("sum", {Column("a")}, true)}, fr());
  EXPECT_EQ(ErrorCode(distinct_sum.status()), "NOT_SUPPORTED");
}

TEST_F(LogicalPlanTest, JoinRenamesCollidingRightColumnsWithSuffix) {
  auto left = ScanOf("l", arrow::schema({arrow::field("id", arrow::int64(), false),
                                         arrow::field("v", arrow::utf8())}));
  auto right = ScanOf("r", arrow::schema({arrow::field("id", arrow::int64(), false),
                                          arrow::field("v", arrow::utf8()),
                                          arrow::field("w", arrow::int32(), false)}));
  ASSERT_OK_AND_ASSIGN(auto j,
                       plan::Join(left, right, JoinType::kInner, {"id"}, {"id"}, nullptr, fr()));
  EXPECT_EQ(j->schema->field_names(),
            (std::vector<std::string>{"id", "v", "id_right", "v_right", "w"}));
  EXPECT_EQ(j->right_names, (std::vector<std::string>{"id_right", "v_right", "w"}));
  // Inner joins keep declared nullability.
  EXPECT_FALSE(j->schema->GetFieldByName("id")->nullable());
  EXPECT_FALSE(j->schema->GetFieldByName("id_right")->nullable());
  EXPECT_FALSE(j->schema->GetFieldByName("w")->nullable());
  // A custom suffix.
  ASSERT_OK_AND_ASSIGN(
      auto j2, plan::Join(left, right, JoinType::kInner, {"id"}, {"id"}, nullptr, fr(), "_r"));
  EXPECT_EQ(j2->schema->field_names(), (std::vector<std::string>{"id", "v", "id_r", "v_r", "w"}));
}

TEST_F(LogicalPlanTest, JoinRepeatsTheSuffixUntilNamesAreUnique) {
  auto left = ScanOf("l", arrow::schema({arrow::field("id", arrow::int64()),
                                         arrow::field("id_right", arrow::int64())}));
  auto right = ScanOf("r", arrow::schema({arrow::field("id", arrow::int64())}));
  ASSERT_OK_AND_ASSIGN(auto j,
                       plan::Join(left, right, JoinType::kInner, {"id"}, {"id"}, nullptr, fr()));
  EXPECT_EQ(j->schema->field_names(),
            (std::vector<std::string>{"id", "id_right", "id_right_right"}));
}

TEST_F(LogicalPlanTest, OuterJoinsMakeTheNullSupplyingSideNullable) {
  auto left = ScanOf("l", arrow::schema({arrow::field("id", arrow::int64(), false)}));
  auto right = ScanOf("r", arrow::schema({arrow::field("rid", arrow::int64(), false)}));
  struct Case {
    JoinType type;
    bool left_nullable;
    bool right_nullable;
  };
  for (const auto& c : {Case{JoinType::kInner, false, false}, Case{JoinType::kLeft, false, true},
                        Case{JoinType::kRight, true, false}, Case{JoinType::kFull, true, true}}) {
    ASSERT_OK_AND_ASSIGN(auto j, plan::Join(left, right, c.type, {"id"}, {"rid"}, nullptr, fr()));
    EXPECT_EQ(j->schema->field(0)->nullable(), c.left_nullable) << JoinTypeName(c.type);
    EXPECT_EQ(j->schema->field(1)->nullable(), c.right_nullable) << JoinTypeName(c.type);
  }
}

TEST_F(LogicalPlanTest, SemiAndAntiJoinsProduceTheLeftSchema) {
  auto left = T();
  auto right = ScanOf("r", arrow::schema({arrow::field("a", arrow::int32())}));
  for (auto type : {JoinType::kLeftSemi, JoinType::kLeftAnti}) {
    ASSERT_OK_AND_ASSIGN(auto j, plan::Join(left, right, type, {"a"}, {"a"}, nullptr, fr()));
    EXPECT_TRUE(j->schema->Equals(*left->schema)) << j->schema->ToString();
  }
}

TEST_F(LogicalPlanTest, JoinValidatesKeysAndFilter) {
  auto left = T();
  auto right = ScanOf(
      "r", arrow::schema({arrow::field("k", arrow::int64()), arrow::field("s", arrow::utf8())}));
  auto count = plan::Join(left, right, JoinType::kInner, {"a", "b"}, {"k"}, nullptr, fr());
  EXPECT_EQ(ErrorCode(count.status()), "JOIN_KEY_MISMATCH");
  auto unknown = plan::Join(left, right, JoinType::kInner, {"a"}, {"kk"}, nullptr, fr());
  EXPECT_EQ(ErrorCode(unknown.status()), "UNKNOWN_COLUMN");
  auto types = plan::Join(left, right, JoinType::kInner, {"b"}, {"k"}, nullptr, fr());
  EXPECT_EQ(ErrorCode(types.status()), "TYPE_MISMATCH");
  // int32 vs int64 keys are comparable.
  EXPECT_TRUE(plan::Join(left, right, JoinType::kInner, {"a"}, {"k"}, nullptr, fr()).ok());
  auto filter = plan::Join(left, right, JoinType::kInner, {}, {}, Column("s"), fr());
  EXPECT_EQ(ErrorCode(filter.status()), "TYPE_MISMATCH");
  // The filter sees renamed right columns.
  auto right2 = ScanOf("r2", arrow::schema({arrow::field("a", arrow::int32())}));
  EXPECT_TRUE(plan::Join(left, right2, JoinType::kInner, {}, {},
                         Call("<", {Column("a"), Column("a_right")}), fr())
                  .ok());
}

TEST_F(LogicalPlanTest, UnionRequiresMatchingColumnTypes) {
  auto a = ScanOf(
      "a", arrow::schema({arrow::field("x", arrow::int64()), arrow::field("y", arrow::utf8())}));
  auto b = ScanOf(
      "b", arrow::schema({arrow::field("p", arrow::int64()), arrow::field("q", arrow::int64())}));
  auto mismatch = plan::Union({a, b}, false);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(ErrorCode(mismatch.status()), "UNION_SCHEMA_MISMATCH");
  EXPECT_EQ(ErrorStage(mismatch.status()), "planning");
  EXPECT_EQ(ErrorDetails(mismatch.status()).Get("column")->string_value(), "y");
  auto c = ScanOf("c", arrow::schema({arrow::field("x", arrow::int64())}));
  EXPECT_EQ(ErrorCode(plan::Union({a, c}, false).status()), "UNION_SCHEMA_MISMATCH");
  EXPECT_EQ(ErrorCode(plan::Union({}, false).status()), "INVALID_UNION");
}

TEST_F(LogicalPlanTest, UnionTakesNamesFromTheFirstInputAndWidensNullability) {
  auto a = ScanOf("a", arrow::schema({arrow::field("x", arrow::int64(), false)}));
  auto b = ScanOf("b", arrow::schema({arrow::field("p", arrow::int64(), true)}));
  ASSERT_OK_AND_ASSIGN(auto u, plan::Union({a, b}, true));
  EXPECT_EQ(u->schema->field(0)->name(), "x");
  EXPECT_TRUE(u->schema->field(0)->nullable());
  EXPECT_TRUE(u->distinct);
}

TEST_F(LogicalPlanTest, FilterRequiresABooleanPredicate) {
  auto bad = plan::Filter(T(), Column("a"), fr());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(ErrorCode(bad.status()), "TYPE_MISMATCH");
  EXPECT_EQ(ErrorStage(bad.status()), "planning");
  EXPECT_EQ(ErrorDetails(bad.status()).Get("expression")->string_value(), "a");
  EXPECT_TRUE(plan::Filter(T(), Call(">", {Column("a"), Int32(1)}), fr()).ok());
  EXPECT_TRUE(plan::Filter(T(), Null(), fr()).ok());  // WHERE NULL keeps nothing, but is valid
}

TEST_F(LogicalPlanTest, LimitRejectsNegativeValues) {
  auto fetch = plan::Limit(T(), 0, -2);
  ASSERT_FALSE(fetch.ok());
  EXPECT_EQ(ErrorCode(fetch.status()), "INVALID_LIMIT");
  EXPECT_EQ(ErrorStage(fetch.status()), "planning");
  EXPECT_EQ(ErrorDetails(fetch.status()).Get("fetch")->int_value(), -2);
  EXPECT_EQ(ErrorCode(plan::Limit(T(), -1, 5).status()), "INVALID_LIMIT");
  ASSERT_OK_AND_ASSIGN(auto unlimited, plan::Limit(T(), 3, -1));
  EXPECT_EQ(unlimited->offset, 3);
  EXPECT_EQ(unlimited->fetch, -1);
}

TEST_F(LogicalPlanTest, SortValidatesKeys) {
  EXPECT_EQ(ErrorCode(plan::Sort(T(), {SortKey{Column("zz")}}, fr()).status()), "UNKNOWN_COLUMN");
  ASSERT_OK_AND_ASSIGN(auto s, plan::Sort(T(), {SortKey{Column("a"), false, true}}, fr()));
  EXPECT_TRUE(s->schema->Equals(*T()->schema));
}

TEST_F(LogicalPlanTest, ExplainLogicalIndentsOneOperatorPerLine) {
  auto scan = T();
  ASSERT_OK_AND_ASSIGN(auto proj, plan::Projection(scan, {Column("a"), Column("b")}, fr()));
  ASSERT_OK_AND_ASSIGN(auto filt, plan::Filter(proj, Call(">", {Column("a"), Int32(1)}), fr()));
  ASSERT_OK_AND_ASSIGN(auto sorted, plan::Sort(filt, {SortKey{Column("b"), false, true}}, fr()));
  ASSERT_OK_AND_ASSIGN(auto limited, plan::Limit(sorted, 2, 10));
  EXPECT_EQ(ExplainLogical(*limited),
            "Limit: skip=2 fetch=10\n"
            "  Sort: b DESC NULLS FIRST\n"
            "    Filter: (a > 1)\n"
            "      Projection: a, b\n"
            "        TableScan: t [memory] projection=[a, b, c]\n");
}

TEST_F(LogicalPlanTest, ExplainLogicalShowsJoinsAggregatesAndUnions) {
  auto left = ScanOf("l", arrow::schema({arrow::field("id", arrow::int64())}));
  auto right = ScanOf("r", arrow::schema({arrow::field("id", arrow::int64())}));
  ASSERT_OK_AND_ASSIGN(auto j, plan::Join(left, right, JoinType::kLeft, {"id"}, {"id"},
                                          Call(">", {Column("id_right"), Int64(0)}), fr()));
  ASSERT_OK_AND_ASSIGN(auto agg,
                       plan::Aggregate(j, {Column("id")}, {AggregateCall("count", {})}, fr()));
  ASSERT_OK_AND_ASSIGN(auto lim, plan::Limit(agg, 0, -1));
  EXPECT_EQ(ExplainLogical(*lim),
            "Limit: skip=0 fetch=None\n"
            "  Aggregate: groupBy=[id] aggr=[count()]\n"
            "    left join: on=[id = id_right] filter=(id_right > 0)\n"
            "      TableScan: l [memory] projection=[id]\n"
            "      TableScan: r [memory] projection=[id]\n");
  ASSERT_OK_AND_ASSIGN(auto u, plan::Union({left, right}, false));
  ASSERT_OK_AND_ASSIGN(auto d, plan::Distinct(u));
  EXPECT_EQ(ExplainLogical(*d),
            "Distinct\n"
            "  Union: all\n"
            "    TableScan: l [memory] projection=[id]\n"
            "    TableScan: r [memory] projection=[id]\n");
}

TEST_F(LogicalPlanTest, WithInputsKeepsTheNodeAndSwapsInputs) {
  auto scan = T();
  ASSERT_OK_AND_ASSIGN(auto f, plan::Filter(scan, Call(">", {Column("a"), Int32(1)}), fr()));
  auto other = T();
  auto copy = plan::WithInputs(*f, {other});
  EXPECT_EQ(copy->kind, PlanKind::kFilter);
  EXPECT_EQ(copy->inputs[0].get(), other.get());
  EXPECT_EQ(copy->predicate.get(), f->predicate.get());
  EXPECT_EQ(f->inputs[0].get(), scan.get());  // the original is untouched
}

TEST_F(LogicalPlanTest, ParseJoinTypeAcceptsAliasesCaseInsensitively) {
  EXPECT_EQ(*ParseJoinType("INNER"), JoinType::kInner);
  EXPECT_EQ(*ParseJoinType("left_outer"), JoinType::kLeft);
  EXPECT_EQ(*ParseJoinType("Right"), JoinType::kRight);
  EXPECT_EQ(*ParseJoinType("outer"), JoinType::kFull);
  EXPECT_EQ(*ParseJoinType("full"), JoinType::kFull);
  EXPECT_EQ(*ParseJoinType("semi"), JoinType::kLeftSemi);
  EXPECT_EQ(*ParseJoinType("anti"), JoinType::kLeftAnti);
  auto bad = ParseJoinType("sideways");
  EXPECT_EQ(ErrorCode(bad.status()), "INVALID_JOIN_TYPE");
  EXPECT_EQ(ErrorDetails(bad.status()).Get("join_type")->string_value(), "sideways");
}

}  // namespace
}  // namespace codeanatomy::engine
