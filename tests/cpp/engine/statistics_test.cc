// Row and distinct-value estimates: memory tables count distinct values exactly (once), and
// equi-join estimates use them.
#include <memory>
#include <string>
#include <vector>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "engine/physical_planner.h"
#include "engine/session_context.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

// A table of `rows` rows whose column "k" takes `distinct` values (k = i % distinct), with a
// null every 10th row, and a unique column "id".
std::shared_ptr<arrow::Table> KeyTable(int64_t rows, int64_t distinct, const std::string& prefix) {
  arrow::Int64Builder k, id;
  for (int64_t i = 0; i < rows; ++i) {
    if (i % 10 == 9) {
      EXPECT_TRUE(k.AppendNull().ok());
    } else {
      EXPECT_TRUE(k.Append(i % distinct).ok());
    }
    EXPECT_TRUE(id.Append(i).ok());
  }
  auto schema = arrow::schema(
      {arrow::field(prefix + "k", arrow::int64()), arrow::field(prefix + "id", arrow::int64())});
  return arrow::Table::Make(schema, {*k.Finish(), *id.Finish()});
}

TEST(StatisticsTest, MemoryTablesCountDistinctNonNullValues) {
  ASSERT_OK(InitializeArrow());
  ASSERT_OK_AND_ASSIGN(auto provider, MemoryTableProvider::Make(KeyTable(100, 7, "")));
  EXPECT_EQ(provider->DistinctCount(0), 7);  // nulls are not a value
  EXPECT_EQ(provider->DistinctCount(1), 100);
  EXPECT_EQ(provider->DistinctCount(0), 7);   // cached
  EXPECT_EQ(provider->DistinctCount(5), -1);  // no such column
}

TEST(StatisticsTest, EquiJoinEstimateUsesDistinctCounts) {
  ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make());
  ASSERT_OK(ctx.RegisterTable("l", KeyTable(1000, 10, "l_")));
  ASSERT_OK(ctx.RegisterTable("r", KeyTable(200, 50, "r_")));
  ASSERT_OK_AND_ASSIGN(auto l, ctx.Table("l"));
  ASSERT_OK_AND_ASSIGN(auto r, ctx.Table("r"));
  // Every 10th row is null, so k = i % 10 keeps 9 values and k = i % 50 keeps 45 (the
  // residues 9, 19, ..., 49 only occur on null rows). Many-to-many on k:
  // 1000 * 200 / max(9, 45) = 4444.
  ASSERT_OK_AND_ASSIGN(auto many, l.Join(r, JoinType::kInner, {"l_k"}, {"r_k"}));
  EXPECT_EQ(EstimateRows(*many.plan()), 4444);
  EXPECT_EQ(EstimateDistinct(*many.plan(), "r_k"), 45);
  // Key join on the unique id: 1000 * 200 / 1000 = 200.
  ASSERT_OK_AND_ASSIGN(auto keyed, l.Join(r, JoinType::kInner, {"l_id"}, {"r_id"}));
  EXPECT_EQ(EstimateRows(*keyed.plan()), 200);
  // A left join keeps at least its left rows.
  ASSERT_OK_AND_ASSIGN(auto left, l.Join(r, JoinType::kLeft, {"l_id"}, {"r_id"}));
  EXPECT_EQ(EstimateRows(*left.plan()), 1000);
  // Through a projection that renames, and capped by a filter's row estimate.
  ASSERT_OK_AND_ASSIGN(auto renamed, r.Select({Alias(Column("r_k"), "key")}));
  EXPECT_EQ(EstimateDistinct(*renamed.plan(), "key"), 45);
  ASSERT_OK_AND_ASSIGN(
      auto filtered, r.Filter(Call("=", {Column("r_id"), Literal(arrow::MakeScalar(int64_t{1}))})));
  EXPECT_EQ(EstimateRows(*filtered.plan()), 20);  // equality: 1/10
  EXPECT_EQ(EstimateDistinct(*filtered.plan(), "r_k"), 20);
  // Unknown where nothing traces to a provider column.
  ASSERT_OK_AND_ASSIGN(auto computed,
                       r.Select({Alias(Call("+", {Column("r_k"), Column("r_id")}), "s")}));
  EXPECT_EQ(EstimateDistinct(*computed.plan(), "s"), -1);
}

}  // namespace
}  // namespace codeanatomy::engine
