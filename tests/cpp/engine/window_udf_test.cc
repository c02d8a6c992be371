// Session window functions (engine/window_udf.h): resolved from SQL and the DataFrame API with
// PARTITION BY, ORDER BY and frames, given each row's frame exactly as the built-in frame
// aggregates see it, shadowing a built-in of their name, and failing with typed errors.
#include <memory>
#include <string>
#include <vector>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "engine/session_context.h"
#include "engine/window_udf.h"
#include "sql/statement.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

using testing::ErrorCode;
using testing::ErrorStage;
using testing::SortedRows;
using testing::TableFromJSON;

/// frame_sum(int64): the sum of the frame's non-null values, NULL when there are none; or,
/// with `mode`, a deliberately broken variant.
class FrameSum : public WindowUdf {
 public:
  enum class Mode { kGood, kWrongLength, kFails, kWrongType, kNullsWhenNotNull };
  FrameSum(std::string name, Mode mode = Mode::kGood) : name_(std::move(name)), mode_(mode) {}
  const std::string& name() const override { return name_; }
  const std::vector<std::string>& aliases() const override { return aliases_; }
  Result<std::shared_ptr<arrow::Field>> ReturnField(
      const std::vector<std::shared_ptr<arrow::DataType>>& types) const override {
    if (types.size() != 1 || types[0]->id() != arrow::Type::INT64) {
      return InvalidError(stage::kPlanning, "TYPE_MISMATCH", name_ + " takes one int64");
    }
    return arrow::field("", arrow::int64(), mode_ != Mode::kNullsWhenNotNull);
  }
  Result<std::shared_ptr<arrow::Array>> EvaluatePartition(
      const std::vector<std::shared_ptr<arrow::Array>>& args, int64_t num_rows,
      const int64_t* frame_start, const int64_t* frame_end) const override {
    if (mode_ == Mode::kFails) {
      return InvalidError(stage::kExecution, "FRAME_SUM_FAILED", "frame_sum fails as asked");
    }
    if (mode_ == Mode::kWrongType) return arrow::MakeArrayOfNull(arrow::utf8(), num_rows);
    const auto& values = static_cast<const arrow::Int64Array&>(*args[0]);
    EXPECT_EQ(values.length(), num_rows);
    arrow::Int64Builder out;
    int64_t n = mode_ == Mode::kWrongLength ? num_rows + 1 : num_rows;
    for (int64_t r = 0; r < n; ++r) {
      int64_t lo = r < num_rows ? frame_start[r] : 0, hi = r < num_rows ? frame_end[r] : 0;
      EXPECT_LE(0, lo);
      EXPECT_LE(lo, hi);
      EXPECT_LE(hi, num_rows);
      int64_t sum = 0, seen = 0;
      for (int64_t k = lo; k < hi; ++k) {
        if (values.IsNull(k)) continue;
        sum += values.Value(k);
        ++seen;
      }
      CA_RETURN_NOT_OK(seen > 0 ? out.Append(sum) : out.AppendNull());
    }
    return out.Finish();
  }

 private:
  std::string name_;
  std::vector<std::string> aliases_ = {"frame_total"};
  Mode mode_;
};

/// A `lag` of our own: -(the row's position in its partition), so its use is visible.
class FakeLag : public WindowUdf {
 public:
  const std::string& name() const override { return name_; }
  const std::vector<std::string>& aliases() const override { return aliases_; }
  Result<std::shared_ptr<arrow::Field>> ReturnField(
      const std::vector<std::shared_ptr<arrow::DataType>>&) const override {
    return arrow::field("", arrow::int64());
  }
  Result<std::shared_ptr<arrow::Array>> EvaluatePartition(
      const std::vector<std::shared_ptr<arrow::Array>>&, int64_t num_rows, const int64_t*,
      const int64_t*) const override {
    arrow::Int64Builder out;
    for (int64_t r = 0; r < num_rows; ++r) CA_RETURN_NOT_OK(out.Append(-(r + 1)));
    return out.Finish();
  }

 private:
  std::string name_ = "lag";
  std::vector<std::string> aliases_;
};

class WindowUdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make());
    ctx_ = std::make_unique<SessionContext>(std::move(ctx));
    auto schema =
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::utf8()),
                       arrow::field("v", arrow::int64())});
    ASSERT_OK(ctx_->RegisterTable("t", TableFromJSON(schema, {R"([
        {"id": 1, "g": "a", "v": 1},
        {"id": 5, "g": "b", "v": 5},
        {"id": 2, "g": "a", "v": 2},
        {"id": 3, "g": "a", "v": 2}])",
                                                              R"([
        {"id": 7, "g": null, "v": 7},
        {"id": 6, "g": "b", "v": null},
        {"id": 4, "g": "a", "v": null},
        {"id": 8, "g": null, "v": 7}])"})));
    ASSERT_OK(ctx_->state()->RegisterWindowUdf(std::make_shared<FrameSum>("frame_sum")));
  }

  Result<std::vector<std::string>> Sql(const std::string& query) {
    CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(*ctx_, query));
    CA_ASSIGN_OR_RAISE(auto table, df.Collect());
    return SortedRows(*table);
  }

  std::unique_ptr<SessionContext> ctx_;
};

TEST_F(WindowUdfTest, FramesEqualTheBuiltInFrameAggregates) {
  // Every frame shape the operator knows: the UDF sums exactly the rows sum() sums.
  const std::vector<std::string> overs = {
      "PARTITION BY g ORDER BY v, id",
      "PARTITION BY g ORDER BY v",  // RANGE to the current peer group: ties share a frame
      "PARTITION BY g",             // the whole partition
      "ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING",
      "PARTITION BY g ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING",
      "PARTITION BY g ORDER BY v DESC NULLS FIRST ROWS BETWEEN CURRENT ROW AND UNBOUNDED "
      "FOLLOWING",
      "PARTITION BY g ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING",
      "PARTITION BY g ORDER BY v RANGE BETWEEN CURRENT ROW AND CURRENT ROW",
  };
  for (const auto& over : overs) {
    ASSERT_OK_AND_ASSIGN(auto rows, Sql("SELECT id, frame_sum(v) OVER (" + over + ") AS a, " +
                                        "sum(v) OVER (" + over + ") AS b FROM t"));
    ASSERT_EQ(rows.size(), 8u) << over;
    for (const auto& row : rows) {
      auto first = row.find('|');
      auto second = row.find('|', first + 1);
      EXPECT_EQ(row.substr(first + 1, second - first - 1), row.substr(second + 1))
          << over << ": " << row;
    }
  }
  ASSERT_OK_AND_ASSIGN(auto rows,
                       Sql("SELECT id, FRAME_TOTAL(v) OVER (PARTITION BY g ORDER BY id) FROM t"));
  EXPECT_EQ(rows,
            (std::vector<std::string>{"1|1", "2|3", "3|5", "4|5", "5|5", "6|5", "7|7", "8|14"}));
}

TEST_F(WindowUdfTest, WorksFromTheDataFrameApi) {
  WindowFunction w;
  w.function = "frame_sum";
  w.args = {Column("v")};
  w.partition_by = {Column("g")};
  w.order_by = {SortKey{Column("id"), true, false}};
  w.output_name = "s";
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("t"));
  ASSERT_OK_AND_ASSIGN(df, df.Window({w}));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("id"), Column("s")}));
  ASSERT_OK_AND_ASSIGN(auto table, df.Collect());
  EXPECT_EQ(SortedRows(*table),
            (std::vector<std::string>{"1|1", "2|3", "3|5", "4|5", "5|5", "6|5", "7|7", "8|14"}));
  EXPECT_TRUE(table->schema()->field(1)->nullable());
}

TEST_F(WindowUdfTest, ASessionFunctionShadowsTheBuiltInAndAliasesFollow) {
  ASSERT_OK_AND_ASSIGN(auto before, Sql("SELECT id, lag(v) OVER (ORDER BY id) FROM t"));
  EXPECT_EQ(before[1], "2|1");
  ASSERT_OK(RegisterWindowAlias(ctx_->state()->registry(), "lag_window", "lag"));
  ASSERT_OK_AND_ASSIGN(auto alias, Sql("SELECT id, lag_window(v) OVER (ORDER BY id) FROM t"));
  EXPECT_EQ(alias, before);  // an alias of the built-in

  ASSERT_OK(ctx_->state()->RegisterWindowUdf(std::make_shared<FakeLag>()));
  EXPECT_NE(ctx_->state()->LookupWindowUdf("LAG"), nullptr);
  EXPECT_EQ(ctx_->state()->LookupWindowUdf("rank"), nullptr);
  ASSERT_OK_AND_ASSIGN(auto after,
                       Sql("SELECT id, lag(v) OVER (PARTITION BY g ORDER BY id) FROM t"));
  EXPECT_EQ(after, (std::vector<std::string>{"1|-1", "2|-2", "3|-3", "4|-4", "5|-1", "6|-2", "7|-1",
                                             "8|-2"}));
  ASSERT_OK_AND_ASSIGN(alias, Sql("SELECT id, lag_window(v) OVER (PARTITION BY g ORDER BY id) "
                                  "FROM t"));
  EXPECT_EQ(alias, after);  // the alias now reaches the session's lag

  // Another session is untouched.
  ASSERT_OK_AND_ASSIGN(auto other, SessionContext::Make());
  EXPECT_EQ(other.state()->LookupWindowUdf("lag"), nullptr);
  EXPECT_EQ(other.state()->LookupWindowUdf("frame_sum"), nullptr);
}

TEST_F(WindowUdfTest, ErrorsAreTyped) {
  auto bad_args = Sql("SELECT frame_sum(g) OVER () FROM t");
  EXPECT_EQ(ErrorCode(bad_args.status()), "TYPE_MISMATCH");
  EXPECT_EQ(ErrorStage(bad_args.status()), "planning");
  auto distinct = Sql("SELECT frame_sum(DISTINCT v) OVER () FROM t");
  EXPECT_FALSE(distinct.ok());

  using Mode = FrameSum::Mode;
  const std::vector<std::pair<Mode, std::string>> cases = {
      {Mode::kWrongLength, "WINDOW_UDF_INVALID_RESULT"},
      {Mode::kWrongType, "WINDOW_UDF_INVALID_RESULT"},
      {Mode::kNullsWhenNotNull, "WINDOW_UDF_INVALID_RESULT"},
      {Mode::kFails, "FRAME_SUM_FAILED"},
  };
  for (const auto& [mode, code] : cases) {
    ASSERT_OK(ctx_->state()->RegisterWindowUdf(std::make_shared<FrameSum>("broken", mode)));
    // One-row frames: rows with a NULL v give NULL.
    auto out =
        Sql("SELECT id, broken(v) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN CURRENT ROW AND "
            "CURRENT ROW) FROM t");
    EXPECT_EQ(ErrorCode(out.status()), code) << out.status().ToString();
    EXPECT_EQ(ErrorStage(out.status()), "execution") << out.status().ToString();
  }
  // A window function is not a scalar function.
  EXPECT_FALSE(Sql("SELECT frame_sum(v) FROM t").ok());
}

TEST_F(WindowUdfTest, ManyPartitionsRunInParallelAndFailuresWin) {
  // Enough rows for several chunks of partitions on the session's executor.
  arrow::Int64Builder ids, groups, values;
  const int64_t n = 200000;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_OK(ids.Append(i));
    ASSERT_OK(groups.Append(i % 1000));
    ASSERT_OK(i % 7 == 0 ? values.AppendNull() : values.Append(i % 13));
  }
  std::shared_ptr<arrow::Array> id, g, v;
  ASSERT_OK(ids.Finish(&id));
  ASSERT_OK(groups.Finish(&g));
  ASSERT_OK(values.Finish(&v));
  auto schema =
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::int64()),
                     arrow::field("v", arrow::int64())});
  ASSERT_OK_AND_ASSIGN(auto table, arrow::Table::FromRecordBatches(
                                       {arrow::RecordBatch::Make(schema, n, {id, g, v})}));
  ASSERT_OK(ctx_->RegisterTable("big", table));
  ASSERT_OK_AND_ASSIGN(
      auto rows,
      Sql("SELECT count(*), sum(CASE WHEN coalesce(a, -1) = coalesce(b, -1) THEN 1 ELSE 0 END) "
          "FROM "
          "(SELECT frame_sum(v) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 3 PRECEDING AND "
          "CURRENT ROW) AS a, sum(v) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 3 PRECEDING "
          "AND CURRENT ROW) AS b FROM big) s"));
  EXPECT_EQ(rows, (std::vector<std::string>{"200000|200000"}));
  ASSERT_OK(ctx_->state()->RegisterWindowUdf(
      std::make_shared<FrameSum>("broken", FrameSum::Mode::kFails)));
  auto failed = Sql("SELECT broken(v) OVER (PARTITION BY g) FROM big");
  EXPECT_EQ(ErrorCode(failed.status()), "FRAME_SUM_FAILED") << failed.status().ToString();
}

}  // namespace
}  // namespace codeanatomy::engine
