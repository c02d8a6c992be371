#include "engine/optimizer.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/dataframe.h"
#include "engine/execution.h"
#include "engine/physical_planner.h"
#include "engine/session_context.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

using testing::ExprTexts;
using testing::FindNodes;
using testing::Int32;
using testing::Int64;
using testing::ScanColumns;
using testing::SortedRows;
using testing::Str;
using testing::TableFromJSON;

class OptimizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SessionConfig config;
    config.batch_size = 2;  // several batches per table
    ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make(config));
    ctx_ = std::make_unique<SessionContext>(std::move(ctx));
    // t(a int64, b int64, c utf8, d float64)
    auto t_schema =
        arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::int64()),
                       arrow::field("c", arrow::utf8()), arrow::field("d", arrow::float64())});
    ASSERT_OK(ctx_->RegisterTable(
        "t", TableFromJSON(t_schema, {R"([{"a": 1, "b": 10, "c": "x", "d": 0.5},
                                          {"a": 2, "b": 20, "c": "y", "d": 1.5},
                                          {"a": 3, "b": null, "c": "x", "d": 2.5}])",
                                      R"([{"a": 4, "b": 40, "c": null, "d": 3.5},
                                          {"a": null, "b": 50, "c": "z", "d": null}])"})));
    // l(id, lv) and r(id, rv): ids 1..4 on the left, 2..5 on the right.
    auto l_schema =
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("lv", arrow::int64())});
    auto r_schema =
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("rv", arrow::int64())});
    ASSERT_OK(ctx_->RegisterTable(
        "l",
        TableFromJSON(l_schema, {R"([{"id": 1, "lv": 1}, {"id": 2, "lv": 2}, {"id": 3, "lv": 3},
                                          {"id": 4, "lv": 4}])"})));
    ASSERT_OK(ctx_->RegisterTable(
        "r", TableFromJSON(r_schema, {R"([{"id": 2, "rv": 20}, {"id": 3, "rv": null},
                                          {"id": 4, "rv": 40}, {"id": 5, "rv": 50}])"})));
  }

  DataFrame Table(const std::string& name) { return ctx_->Table(name).ValueOrDie(); }
  FunctionResolver fr() const { return ctx_->state()->resolver(); }

  Result<PlanPtr> Optimized(const DataFrame& df) { return Optimize(df.plan(), fr()); }

  /// Runs `plan` as is, without optimizing it.
  Result<std::shared_ptr<arrow::Table>> RunUnoptimized(const PlanPtr& plan) {
    PhysicalPlanner planner(ctx_->state(), ExecuteOptions{});
    CA_ASSIGN_OR_RAISE(auto decl, planner.Plan(*plan));
    CA_ASSIGN_OR_RAISE(auto reader,
                       ExecuteDeclaration(std::move(decl), ctx_->state(), ExecuteOptions{}));
    CA_ASSIGN_OR_RAISE(reader, RenameStream(std::move(reader), plan->schema));
    return reader->ToTable();
  }

  /// The optimized plan keeps the schema and gives the same rows as the original plan.
  void ExpectEquivalent(const DataFrame& df) {
    ASSERT_OK_AND_ASSIGN(auto optimized, Optimized(df));
    EXPECT_TRUE(optimized->schema->Equals(*df.schema(), /*check_metadata=*/false))
        << "original " << df.schema()->ToString() << "\noptimized "
        << optimized->schema->ToString();
    ASSERT_OK_AND_ASSIGN(auto before, RunUnoptimized(df.plan()));
    ASSERT_OK_AND_ASSIGN(auto after, df.Collect());
    EXPECT_TRUE(after->schema()->Equals(*df.schema(), false)) << after->schema()->ToString();
    EXPECT_EQ(SortedRows(*before), SortedRows(*after)) << ExplainLogical(*df.plan()) << "\n"
                                                       << ExplainLogical(*optimized);
  }

  std::unique_ptr<SessionContext> ctx_;
};

// ------------------------------------------------------------------ projection pushdown

TEST_F(OptimizerTest, ProjectionPushdownNarrowsTheScan) {
  ASSERT_OK_AND_ASSIGN(
      auto df, Table("t").Select({Column("a"), Alias(Call("+", {Column("b"), Int64(1)}), "x")}));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(ScanColumns(*scans[0]), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(scans[0]->schema->field_names(), (std::vector<std::string>{"a", "b"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, ProjectionPushdownKeepsFilterColumns) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t").Filter(Call("=", {Column("c"), Str("x")})));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("d")}));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(ScanColumns(*scans[0]), (std::vector<std::string>{"c", "d"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, CountStarKeepsOneFixedWidthColumn) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t").Aggregate({}, {Alias(AggregateCall("count", {}), "n")}));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 1u);
  ASSERT_EQ(scans[0]->projection.size(), 1u);
  EXPECT_TRUE(arrow::is_fixed_width(scans[0]->schema->field(0)->type()->id()));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(testing::Rows(*result), (std::vector<std::string>{"5"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, ProjectionPushdownThroughJoinsKeepsKeysAndSuffixes) {
  ASSERT_OK_AND_ASSIGN(auto t2, Table("t").Select({Column("a"), Column("b")}));
  ASSERT_OK_AND_ASSIGN(auto j, Table("t").Join(t2, JoinType::kInner, {"a"}, {"a"}));
  // Only the right side's renamed b is needed; the suffix must survive pruning.
  ASSERT_OK_AND_ASSIGN(auto df, j.Select({Column("b_right")}));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_EQ(ScanColumns(*scans[0]), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ScanColumns(*scans[1]), (std::vector<std::string>{"a", "b"}));
  ExpectEquivalent(df);
}

// ------------------------------------------------------------------ filter pushdown

TEST_F(OptimizerTest, FiltersGoIntoTheScanAsConjuncts) {
  ASSERT_OK_AND_ASSIGN(auto df,
                       Table("t").Filter(Call("and", {Call(">", {Column("a"), Int64(1)}),
                                                      Call("<", {Column("b"), Int64(45)})})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  EXPECT_TRUE(FindNodes(opt, PlanKind::kFilter).empty()) << ExplainLogical(*opt);
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(a > 1)", "(b < 45)"}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"2|20|y|1.5", "4|40|null|3.5"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, StackedFiltersMerge) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t").Filter(Call(">", {Column("a"), Int64(1)})));
  ASSERT_OK_AND_ASSIGN(df, df.Filter(Call("is_not_null", {Column("c")})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  EXPECT_TRUE(FindNodes(opt, PlanKind::kFilter).empty());
  auto scans = FindNodes(opt, PlanKind::kScan);
  EXPECT_EQ(scans[0]->filters.size(), 2u);
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FilterMovesBelowAProjectionThroughItsDefinitions) {
  ASSERT_OK_AND_ASSIGN(
      auto df, Table("t").Select({Column("a"), Alias(Call("*", {Column("b"), Int64(2)}), "b2")}));
  ASSERT_OK_AND_ASSIGN(df, df.Filter(Call(">", {Column("b2"), Int64(40)})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  EXPECT_EQ(opt->kind, PlanKind::kProjection) << ExplainLogical(*opt);
  EXPECT_TRUE(FindNodes(opt, PlanKind::kFilter).empty()) << ExplainLogical(*opt);
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"((b * 2) > 40)"}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"4|80", "null|100"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FilterGoesToBothSidesOfAnInnerJoin) {
  ASSERT_OK_AND_ASSIGN(auto j, Table("l").Join(Table("r"), JoinType::kInner, {"id"}, {"id"}));
  ASSERT_OK_AND_ASSIGN(auto df, j.Filter(Call("and", {Call(">", {Column("lv"), Int64(2)}),
                                                      Call(">", {Column("id_right"), Int64(3)})})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  EXPECT_TRUE(FindNodes(opt, PlanKind::kFilter).empty()) << ExplainLogical(*opt);
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_EQ(scans[0]->table_name, "l");
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(lv > 2)"}));
  EXPECT_EQ(scans[1]->table_name, "r");
  // The condition on the renamed column reaches the right input under its own name.
  EXPECT_EQ(ExprTexts(scans[1]->filters), (std::vector<std::string>{"(id > 3)"}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"4|4|4|40"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, SingleSideConditionsOfAnInnerJoinFilterGoDown) {
  ASSERT_OK_AND_ASSIGN(auto df,
                       Table("l").Join(Table("r"), JoinType::kInner, {"id"}, {"id"},
                                       Call("and", {Call(">", {Column("lv"), Int64(2)}),
                                                    Call("<", {Column("lv"), Column("rv")})})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto joins = FindNodes(opt, PlanKind::kJoin);
  ASSERT_EQ(joins.size(), 1u);
  ASSERT_NE(joins[0]->join_filter, nullptr);
  EXPECT_EQ(ToString(*joins[0]->join_filter), "(lv < rv)");
  auto scans = FindNodes(opt, PlanKind::kScan);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(lv > 2)"}));
}

// Crashes (SIGSEGV in acero::JoinResidualFilter): the residual (lv < rv) reaches the hash join.
TEST_F(OptimizerTest, SingleSideConditionsOfAnInnerJoinFilterGoDownWithSameResults) {
  ASSERT_OK_AND_ASSIGN(auto df,
                       Table("l").Join(Table("r"), JoinType::kInner, {"id"}, {"id"},
                                       Call("and", {Call(">", {Column("lv"), Int64(2)}),
                                                    Call("<", {Column("lv"), Column("rv")})})));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"4|4|4|40"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FilterOnTheNullSupplyingSideOfALeftJoinStaysAbove) {
  ASSERT_OK_AND_ASSIGN(auto j, Table("l").Join(Table("r"), JoinType::kLeft, {"id"}, {"id"}));
  ASSERT_OK_AND_ASSIGN(auto df, j.Filter(Call("and", {Call("is_null", {Column("rv")}),
                                                      Call(">", {Column("lv"), Int64(1)})})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(lv > 1)"}));
  EXPECT_TRUE(scans[1]->filters.empty()) << ExplainLogical(*opt);
  auto filters = FindNodes(opt, PlanKind::kFilter);
  ASSERT_EQ(filters.size(), 1u) << ExplainLogical(*opt);
  EXPECT_EQ(ToString(*filters[0]->predicate), "rv IS NULL");
  ASSERT_EQ(filters[0]->inputs[0]->kind, PlanKind::kJoin);
  // id 3 matches with a NULL rv; id 4 and 2 match with values; id 1 is unmatched (lv > 1 drops it).
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"3|3|3|null"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FilterOnTheNullSupplyingSideOfARightJoinStaysAbove) {
  ASSERT_OK_AND_ASSIGN(auto j, Table("l").Join(Table("r"), JoinType::kRight, {"id"}, {"id"}));
  ASSERT_OK_AND_ASSIGN(auto df, j.Filter(Call("is_null", {Column("lv")})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  for (const auto& scan : FindNodes(opt, PlanKind::kScan)) {
    EXPECT_TRUE(scan->filters.empty()) << ExplainLogical(*opt);
  }
  EXPECT_EQ(FindNodes(opt, PlanKind::kFilter).size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"null|null|5|50"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FilterDoesNotCrossAFullJoin) {
  ASSERT_OK_AND_ASSIGN(auto j, Table("l").Join(Table("r"), JoinType::kFull, {"id"}, {"id"}));
  ASSERT_OK_AND_ASSIGN(
      auto df,
      j.Filter(Call("or", {Call("is_null", {Column("lv")}), Call("is_null", {Column("rv")})})));
  ASSERT_OK_AND_ASSIGN(auto df2, j.Filter(Call(">", {Column("lv"), Int64(0)})));
  for (const auto& query : {df, df2}) {
    ASSERT_OK_AND_ASSIGN(auto opt, Optimized(query));
    for (const auto& scan : FindNodes(opt, PlanKind::kScan)) {
      EXPECT_TRUE(scan->filters.empty()) << ExplainLogical(*opt);
    }
    ExpectEquivalent(query);
  }
}

TEST_F(OptimizerTest, FilterIsNotPushedBelowALimit) {
  ASSERT_OK_AND_ASSIGN(auto sorted, Table("t").Sort({SortKey{Column("a")}}));
  ASSERT_OK_AND_ASSIGN(auto limited, sorted.Limit(2));
  ASSERT_OK_AND_ASSIGN(auto df, limited.Filter(Call(">", {Column("a"), Int64(1)})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  ASSERT_EQ(opt->kind, PlanKind::kFilter) << ExplainLogical(*opt);
  EXPECT_EQ(opt->inputs[0]->kind, PlanKind::kLimit);
  for (const auto& scan : FindNodes(opt, PlanKind::kScan)) {
    EXPECT_TRUE(scan->filters.empty()) << ExplainLogical(*opt);
  }
  // The first two rows by a are 1 and 2; only 2 passes.
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(testing::Rows(*result), (std::vector<std::string>{"2|20|y|1.5"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FiltersBelowALimitStillGoDown) {
  ASSERT_OK_AND_ASSIGN(auto filtered, Table("t").Filter(Call(">", {Column("a"), Int64(2)})));
  ASSERT_OK_AND_ASSIGN(auto df, filtered.Limit(10));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(a > 2)"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FilterOnGroupKeysGoesBelowTheAggregate) {
  ASSERT_OK_AND_ASSIGN(
      auto agg,
      Table("t").Aggregate({Column("c")}, {Alias(AggregateCall("sum", {Column("b")}), "s")}));
  ASSERT_OK_AND_ASSIGN(auto df, agg.Filter(Call("and", {Call("=", {Column("c"), Str("x")}),
                                                        Call(">", {Column("s"), Int64(5)})})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(c = 'x')"}));
  auto filters = FindNodes(opt, PlanKind::kFilter);
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_EQ(ToString(*filters[0]->predicate), "(s > 5)");
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"x|10"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, FilterGoesIntoEveryUnionInputUnderItsNames) {
  ASSERT_OK_AND_ASSIGN(auto left, Table("l").Select({Alias(Column("id"), "k"), Column("lv")}));
  ASSERT_OK_AND_ASSIGN(auto u, left.Union(Table("r"), /*distinct=*/false));
  ASSERT_OK_AND_ASSIGN(auto df, u.Filter(Call(">", {Column("k"), Int64(3)})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(id > 3)"}));
  EXPECT_EQ(ExprTexts(scans[1]->filters), (std::vector<std::string>{"(id > 3)"}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"4|4", "4|40", "5|50"}));
  ExpectEquivalent(df);
}

// ------------------------------------------------------------------ constant folding

TEST_F(OptimizerTest, ConstantsFoldInFiltersAndProjections) {
  ASSERT_OK_AND_ASSIGN(
      auto filtered, Table("t").Filter(Call(">", {Column("a"), Call("+", {Int64(1), Int64(2)})})));
  ASSERT_OK_AND_ASSIGN(auto df, filtered.Select({Column("a"), Call("*", {Int64(2), Int64(3)})}));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  auto scans = FindNodes(opt, PlanKind::kScan);
  EXPECT_EQ(ExprTexts(scans[0]->filters), (std::vector<std::string>{"(a > 3)"}));
  auto projections = FindNodes(opt, PlanKind::kProjection);
  ASSERT_FALSE(projections.empty());
  const auto& folded = projections[0]->exprs[1];
  EXPECT_EQ(Unaliased(*folded).kind, ExprKind::kLiteral) << ToString(*folded);
  EXPECT_EQ(OutputName(*folded), "(2 * 3)");  // the output name is kept
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->schema()->field(1)->name(), "(2 * 3)");
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"4|6"}));
  ExpectEquivalent(df);
}

TEST_F(OptimizerTest, AlwaysTrueFiltersDisappear) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t").Filter(Call("=", {Int64(1), Int64(1)})));
  ASSERT_OK_AND_ASSIGN(auto opt, Optimized(df));
  EXPECT_TRUE(FindNodes(opt, PlanKind::kFilter).empty());
  EXPECT_TRUE(FindNodes(opt, PlanKind::kScan)[0]->filters.empty()) << ExplainLogical(*opt);
  ExpectEquivalent(df);
}

// ------------------------------------------------------------------ equivalence

TEST_F(OptimizerTest, OptimizedPlansKeepSchemasAndResults) {
  std::vector<std::function<Result<DataFrame>()>> queries = {
      [&] {
        return Table("t").Select({Column("d"), Column("a")});
      },
      [&] {
        return Table("t").WithColumn("b", Call("+", {Column("b"), Column("a")}));
      },
      [&]() -> Result<DataFrame> {
        CA_ASSIGN_OR_RAISE(auto s, Table("t").Sort({SortKey{Column("d"), false, true}}));
        return s.Select({Column("c")});
      },
      [&]() -> Result<DataFrame> {
        CA_ASSIGN_OR_RAISE(
            auto a, Table("t").Aggregate({Column("c")}, {AggregateCall("count", {}),
                                                         AggregateCall("max", {Column("d")})}));
        return a.Filter(Call("is_not_null", {Column("c")}));
      },
      [&]() -> Result<DataFrame> {
        CA_ASSIGN_OR_RAISE(auto j,
                           Table("l").Join(Table("r"), JoinType::kLeftSemi, {"id"}, {"id"}));
        return j.Filter(Call("<", {Column("lv"), Int64(4)}));
      },
      [&]() -> Result<DataFrame> {
        CA_ASSIGN_OR_RAISE(auto j,
                           Table("l").Join(Table("r"), JoinType::kLeftAnti, {"id"}, {"id"}));
        return j.Select({Column("lv")});
      },
      [&]() -> Result<DataFrame> {
        CA_ASSIGN_OR_RAISE(auto j, Table("l").Join(Table("r"), JoinType::kFull, {"id"}, {"id"}));
        return j.Select({Column("rv"), Column("id")});
      },
      [&]() -> Result<DataFrame> {
        CA_ASSIGN_OR_RAISE(auto u, Table("l").Union(Table("r"), true));
        return u.Filter(Call(">=", {Column("lv"), Int64(3)}));
      },
      [&]() -> Result<DataFrame> {
        CA_ASSIGN_OR_RAISE(auto d, Table("t").Select({Column("c")}));
        CA_ASSIGN_OR_RAISE(d, d.Distinct());
        return d.Filter(Call("!=", {Column("c"), Str("y")}));
      },
  };
  for (size_t i = 0; i < queries.size(); ++i) {
    SCOPED_TRACE("query " + std::to_string(i));
    ASSERT_OK_AND_ASSIGN(auto df, queries[i]());
    ExpectEquivalent(df);
  }
}

TEST_F(OptimizerTest, OptimizeIsIdempotentOnSchema) {
  ASSERT_OK_AND_ASSIGN(auto df, Table("t").Select({Column("b"), Column("a")}));
  ASSERT_OK_AND_ASSIGN(auto once, Optimized(df));
  ASSERT_OK_AND_ASSIGN(auto twice, Optimize(once, fr()));
  EXPECT_TRUE(twice->schema->Equals(*df.schema(), false));
  EXPECT_EQ(ExplainLogical(*once), ExplainLogical(*twice));
}

}  // namespace
}  // namespace codeanatomy::engine
