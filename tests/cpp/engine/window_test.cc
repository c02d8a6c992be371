// The window node and operator: ranking, offsets, value functions, running and sliding
// aggregates, partitioning, planning errors and the optimizer's treatment of windows.
#include <memory>
#include <string>
#include <vector>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "engine/dataframe.h"
#include "engine/session_context.h"
#include "engine/window_function.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

using testing::ErrorCode;
using testing::ErrorStage;
using testing::FindNodes;
using testing::Int64;
using testing::Rows;
using testing::SortedRows;
using testing::Str;
using testing::TableFromJSON;
using Bound = WindowFrameBound;

SortKey Asc(const std::string& column, bool nulls_first = false) {
  return SortKey{Column(column), true, nulls_first};
}
SortKey Desc(const std::string& column, bool nulls_first = false) {
  return SortKey{Column(column), false, nulls_first};
}

WindowFunction Win(std::string function, std::vector<ExprPtr> args,
                   std::vector<ExprPtr> partition_by, std::vector<SortKey> order_by,
                   std::string name) {
  WindowFunction w;
  w.function = std::move(function);
  w.args = std::move(args);
  w.partition_by = std::move(partition_by);
  w.order_by = std::move(order_by);
  w.output_name = std::move(name);
  return w;
}

WindowFrame RowsFrame(Bound start, Bound end) {
  WindowFrame f;
  f.units = WindowFrameUnits::kRows;
  f.start = start;
  f.end = end;
  return f;
}

constexpr Bound kUnboundedPreceding{Bound::Kind::kUnboundedPreceding, 0};
constexpr Bound kUnboundedFollowing{Bound::Kind::kUnboundedFollowing, 0};
constexpr Bound kCurrentRow{Bound::Kind::kCurrentRow, 0};

class WindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make());
    ctx_ = std::make_unique<SessionContext>(std::move(ctx));
    // Partitions by g: a (ids 1-4, a tie on v and a NULL v), b (ids 5-6, a NULL x) and NULL
    // (ids 7-8, tied on v); two input batches. Tied rows share a batch, so their relative
    // order (which row_number and last_value expose) does not depend on batch scheduling.
    auto schema =
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::utf8()),
                       arrow::field("v", arrow::int64()), arrow::field("x", arrow::float64())});
    ASSERT_OK(ctx_->RegisterTable("t", TableFromJSON(schema, {R"([
        {"id": 1, "g": "a", "v": 1, "x": 1.0},
        {"id": 5, "g": "b", "v": 5, "x": 5.0},
        {"id": 2, "g": "a", "v": 2, "x": 2.0},
        {"id": 3, "g": "a", "v": 2, "x": 3.0}])",
                                                              R"([
        {"id": 7, "g": null, "v": 7, "x": 7.0},
        {"id": 6, "g": "b", "v": 3, "x": null},
        {"id": 4, "g": "a", "v": null, "x": 4.0},
        {"id": 8, "g": null, "v": 7, "x": 8.0}])"})));
  }

  DataFrame T() { return ctx_->Table("t").ValueOrDie(); }

  /// Runs `windows` over t and returns "id|w1|w2|..." rows sorted by id.
  std::vector<std::string> Run(std::vector<WindowFunction> windows) {
    std::vector<ExprPtr> cols = {Column("id")};
    for (const auto& w : windows) cols.push_back(Column(w.output_name));
    auto df = T().Window(std::move(windows));
    EXPECT_TRUE(df.ok()) << df.status().ToString();
    if (!df.ok()) return {};
    auto selected = df->Select(cols);
    EXPECT_TRUE(selected.ok()) << selected.status().ToString();
    auto result = selected->Collect();
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return {};
    return SortedRows(**result);
  }

  std::unique_ptr<SessionContext> ctx_;
};

TEST_F(WindowTest, RankingWithTiesAndNullOrderKeys) {
  auto order = std::vector<SortKey>{Asc("v")};  // NULLS LAST
  auto rows = Run({Win("row_number", {}, {Column("g")}, order, "rn"),
                   Win("rank", {}, {Column("g")}, order, "rk"),
                   Win("dense_rank", {}, {Column("g")}, order, "dr"),
                   Win("percent_rank", {}, {Column("g")}, order, "pr"),
                   Win("cume_dist", {}, {Column("g")}, order, "cd")});
  EXPECT_EQ(rows, (std::vector<std::string>{"1|1|1|1|0|0.25", "2|2|2|2|0.3333333333333333|0.75",
                                            "3|3|2|2|0.3333333333333333|0.75", "4|4|4|3|1|1",
                                            "5|2|2|2|1|1", "6|1|1|1|0|0.5", "7|1|1|1|0|1",
                                            "8|2|1|1|0|1"}));
}

TEST_F(WindowTest, RankingDescendingNullsFirst) {
  auto order = std::vector<SortKey>{Desc("v", /*nulls_first=*/true)};
  auto rows = Run({Win("rank", {}, {Column("g")}, order, "rk"),
                   Win("dense_rank", {}, {Column("g")}, order, "dr"),
                   Win("row_number", {}, {Column("g")}, order, "rn")});
  // a: id4 (NULL) first, then v=2 (ids 2, 3 tied), then v=1.
  EXPECT_EQ(rows, (std::vector<std::string>{"1|4|3|4", "2|2|2|2", "3|2|2|3", "4|1|1|1", "5|1|1|1",
                                            "6|2|2|2", "7|1|1|1", "8|1|1|2"}));
}

TEST_F(WindowTest, RankingAscendingNullsFirstAndDescendingNullsLast) {
  auto rows = Run({Win("rank", {}, {Column("g")}, {Asc("v", true)}, "asc_nf"),
                   Win("rank", {}, {Column("g")}, {Desc("v", false)}, "desc_nl")});
  // a ASC NULLS FIRST: 4, 1, {2,3}; a DESC NULLS LAST: {2,3}, 1, 4.
  EXPECT_EQ(rows, (std::vector<std::string>{"1|2|3", "2|3|1", "3|3|1", "4|1|4", "5|2|1", "6|1|2",
                                            "7|1|1", "8|1|1"}));
}

TEST_F(WindowTest, OutputComesInPartitionAndOrderKeyOrder) {
  ASSERT_OK_AND_ASSIGN(auto df,
                       T().Window({Win("row_number", {}, {Column("g")}, {Asc("v")}, "rn")}));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("id"), Column("rn")}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  // Partitions ascending with the NULL partition last; ties keep their input order.
  EXPECT_EQ(Rows(*result),
            (std::vector<std::string>{"1|1", "2|2", "3|3", "4|4", "6|1", "5|2", "7|1", "8|2"}));
}

TEST_F(WindowTest, LagAndLeadWithOffsetAndDefault) {
  auto order = std::vector<SortKey>{Asc("id")};
  auto rows = Run({Win("lag", {Column("v")}, {Column("g")}, order, "lag1"),
                   Win("lag", {Column("v"), Int64(2), Int64(-1)}, {Column("g")}, order, "lag2"),
                   Win("lead", {Column("v"), Int64(1), Int64(0)}, {Column("g")}, order, "lead1")});
  // A missing row gives the default; an existing row with a NULL value gives NULL.
  EXPECT_EQ(rows, (std::vector<std::string>{"1|null|-1|2", "2|1|-1|2", "3|2|1|null", "4|2|2|0",
                                            "5|null|-1|3", "6|5|-1|0", "7|null|-1|7", "8|7|-1|0"}));
}

TEST_F(WindowTest, LagDefaultIsCastToTheValueType) {
  // An int32 default for a float64 value; a negative lag offset looks forward.
  auto rows = Run({Win("lag", {Column("x"), Int64(-1), testing::Int32(0)}, {Column("g")},
                       {Asc("id")}, "next_x")});
  EXPECT_EQ(rows,
            (std::vector<std::string>{"1|2", "2|3", "3|4", "4|0", "5|null", "6|0", "7|8", "8|0"}));
}

TEST_F(WindowTest, FirstLastAndNthValueFrames) {
  auto order = std::vector<SortKey>{Asc("v")};
  auto whole = Win("last_value", {Column("id")}, {Column("g")}, order, "last_all");
  whole.frame = RowsFrame(kUnboundedPreceding, kUnboundedFollowing);
  auto rows = Run({Win("first_value", {Column("id")}, {Column("g")}, order, "first"),
                   Win("last_value", {Column("id")}, {Column("g")}, order, "last"), whole,
                   Win("nth_value", {Column("id"), Int64(2)}, {Column("g")}, order, "nth2")});
  // Under the default frame last_value is the current row's last peer.
  EXPECT_EQ(rows,
            (std::vector<std::string>{"1|1|1|4|null", "2|1|3|4|2", "3|1|3|4|2", "4|1|4|4|2",
                                      "5|6|5|5|5", "6|6|6|5|null", "7|7|8|8|8", "8|7|8|8|8"}));
}

TEST_F(WindowTest, RunningAggregatesRangeFrameIncludesPeersRowsFrameDoesNot) {
  auto order = std::vector<SortKey>{Asc("v")};
  auto rows_sum = Win("sum", {Column("x")}, {Column("g")}, order, "rows_sum");
  rows_sum.frame = RowsFrame(kUnboundedPreceding, kCurrentRow);
  auto rows = Run({Win("sum", {Column("x")}, {Column("g")}, order, "s"),
                   Win("count", {Column("x")}, {Column("g")}, order, "c"),
                   Win("avg", {Column("x")}, {Column("g")}, order, "a"), rows_sum,
                   Win("count", {}, {Column("g")}, order, "c_all"),
                   Win("sum", {Column("v")}, {Column("g")}, order, "sv")});
  EXPECT_EQ(rows, (std::vector<std::string>{"1|1|1|1|1|1|1", "2|6|3|2|3|3|5", "3|6|3|2|6|3|5",
                                            "4|10|4|2.5|10|4|5", "5|5|1|5|5|2|8",
                                            "6|null|0|null|null|1|3", "7|15|2|7.5|7|2|14",
                                            "8|15|2|7.5|15|2|14"}));
}

TEST_F(WindowTest, SlidingRowsFrame) {
  auto frame = RowsFrame({Bound::Kind::kPreceding, 1}, {Bound::Kind::kFollowing, 1});
  std::vector<WindowFunction> windows;
  for (const char* f : {"sum", "min", "max", "count", "avg"}) {
    auto w = Win(f, {Column("x")}, {Column("g")}, {Asc("id")}, std::string("w_") + f);
    w.frame = frame;
    windows.push_back(w);
  }
  auto rows = Run(windows);
  EXPECT_EQ(rows, (std::vector<std::string>{"1|3|1|2|2|1.5", "2|6|1|3|3|2", "3|9|2|4|3|3",
                                            "4|7|3|4|2|3.5", "5|5|5|5|1|5", "6|5|5|5|1|5",
                                            "7|15|7|8|2|7.5", "8|15|7|8|2|7.5"}));
}

TEST_F(WindowTest, FramesEntirelyBeforeOrAfterTheRow) {
  auto before = Win("sum", {Column("v")}, {}, {Asc("id")}, "before");
  before.frame = RowsFrame({Bound::Kind::kPreceding, 2}, {Bound::Kind::kPreceding, 1});
  auto after = Win("max", {Column("g")}, {}, {Asc("id")}, "after");
  after.frame = RowsFrame({Bound::Kind::kFollowing, 1}, kUnboundedFollowing);
  auto rows = Run({before, after});
  // v by id: 1 2 2 null 5 3 7 7; g by id: a a a a b b null null (max over strings).
  EXPECT_EQ(rows, (std::vector<std::string>{"1|null|b", "2|1|b", "3|3|b", "4|4|b", "5|2|b",
                                            "6|5|null", "7|8|null", "8|10|null"}));
}

TEST_F(WindowTest, WholePartitionWithoutOrderByAndSeveralPartitionings) {
  auto rows = Run({Win("sum", {Column("x")}, {Column("g")}, {}, "by_g"),
                   Win("sum", {Column("x")}, {}, {}, "total"),
                   Win("row_number", {}, {}, {Desc("id")}, "rev"),
                   Win("ntile", {Int64(3)}, {}, {Asc("id")}, "tile")});
  EXPECT_EQ(rows,
            (std::vector<std::string>{"1|10|30|8|1", "2|10|30|7|1", "3|10|30|6|1", "4|10|30|5|2",
                                      "5|5|30|4|2", "6|5|30|3|2", "7|15|30|2|3", "8|15|30|1|3"}));
}

TEST_F(WindowTest, ExpressionArgumentsAndKeys) {
  // PARTITION BY id & 1 ORDER BY -id, sum(x * 2).
  auto parity = Call("bit_wise_and", {Column("id"), Int64(1)});
  auto rows = Run({Win("sum", {Call("*", {Column("x"), Literal(arrow::MakeScalar(2.0))})}, {parity},
                       {SortKey{Call("negate", {Column("id")}), true, false}}, "s"),
                   Win("row_number", {}, {parity}, {Asc("id")}, "rn")});
  // Odd ids by -id: 7, 5, 3, 1 (x 7, 5, 3, 1); even: 8, 6, 4, 2 (x 8, null, 4, 2).
  EXPECT_EQ(rows, (std::vector<std::string>{"1|32|1", "2|28|1", "3|30|2", "4|24|2", "5|24|3",
                                            "6|16|3", "7|14|4", "8|16|4"}));
}

TEST_F(WindowTest, EmptyInput) {
  ASSERT_OK_AND_ASSIGN(auto df, T().Filter(Call(">", {Column("id"), Int64(100)})));
  ASSERT_OK_AND_ASSIGN(df, df.Window({Win("row_number", {}, {Column("g")}, {Asc("v")}, "rn"),
                                      Win("sum", {Column("x")}, {}, {}, "s"),
                                      Win("lag", {Column("g")}, {}, {Asc("id")}, "prev")}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(result->num_rows(), 0);
  EXPECT_EQ(result->schema()->field_names(),
            (std::vector<std::string>{"id", "g", "v", "x", "rn", "s", "prev"}));
}

TEST_F(WindowTest, OutputTypes) {
  auto order = std::vector<SortKey>{Asc("id")};
  ASSERT_OK_AND_ASSIGN(auto df, T().Window({Win("row_number", {}, {}, order, "rn"),
                                            Win("percent_rank", {}, {}, order, "pr"),
                                            Win("lag", {Column("g")}, {}, order, "lag_g"),
                                            Win("sum", {Column("v")}, {}, order, "sum_v"),
                                            Win("sum", {Column("x")}, {}, order, "sum_x"),
                                            Win("avg", {Column("v")}, {}, order, "avg_v"),
                                            Win("min", {Column("g")}, {}, order, "min_g"),
                                            Win("count", {Column("g")}, {}, order, "count_g")}));
  auto s = df.schema();
  EXPECT_EQ(s->GetFieldByName("rn")->type()->id(), arrow::Type::INT64);
  EXPECT_EQ(s->GetFieldByName("pr")->type()->id(), arrow::Type::DOUBLE);
  EXPECT_EQ(s->GetFieldByName("lag_g")->type()->id(), arrow::Type::STRING);
  EXPECT_EQ(s->GetFieldByName("sum_v")->type()->id(), arrow::Type::INT64);
  EXPECT_EQ(s->GetFieldByName("sum_x")->type()->id(), arrow::Type::DOUBLE);
  EXPECT_EQ(s->GetFieldByName("avg_v")->type()->id(), arrow::Type::DOUBLE);
  EXPECT_EQ(s->GetFieldByName("min_g")->type()->id(), arrow::Type::STRING);
  EXPECT_EQ(s->GetFieldByName("count_g")->type()->id(), arrow::Type::INT64);
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());  // the operator yields the declared types
  EXPECT_EQ(result->num_rows(), 8);
  EXPECT_EQ(Rows(*result).back(), "8|null|7|8|8|1|null|27|30|3.857142857142857|a|6");
}

TEST_F(WindowTest, DecimalSum) {
  auto schema = arrow::schema(
      {arrow::field("k", arrow::int32()), arrow::field("d", arrow::decimal128(5, 2))});
  ASSERT_OK(ctx_->RegisterTable("dec", TableFromJSON(schema, {R"([
      {"k": 1, "d": "1.25"}, {"k": 1, "d": "2.50"}, {"k": 2, "d": null}, {"k": 2, "d": "-0.75"}])"})));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("dec"));
  ASSERT_OK_AND_ASSIGN(df, df.Window({Win("sum", {Column("d")}, {Column("k")}, {}, "s"),
                                      Win("avg", {Column("d")}, {Column("k")}, {}, "a")}));
  EXPECT_EQ(df.schema()->GetFieldByName("s")->type()->ToString(), "decimal128(38, 2)");
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result),
            (std::vector<std::string>{"1|1.25|3.75|1.875", "1|2.50|3.75|1.875",
                                      "2|-0.75|-0.75|-0.75", "2|null|-0.75|-0.75"}));
}

TEST_F(WindowTest, PlanningErrors) {
  auto order = std::vector<SortKey>{Asc("v")};
  auto unknown_column = T().Window({Win("rank", {}, {Column("nope")}, order, "r")});
  EXPECT_EQ(ErrorCode(unknown_column.status()), "UNKNOWN_COLUMN");
  EXPECT_EQ(ErrorStage(unknown_column.status()), "planning");
  auto unknown_order = T().Window({Win("rank", {}, {}, {Asc("vv")}, "r")});
  EXPECT_EQ(ErrorCode(unknown_order.status()), "UNKNOWN_COLUMN");
  auto unknown_function = T().Window({Win("rnk", {}, {}, order, "r")});
  EXPECT_EQ(ErrorCode(unknown_function.status()), "UNKNOWN_WINDOW_FUNCTION");
  EXPECT_NE(unknown_function.status().message().find("'rnk'"), std::string::npos);
  EXPECT_NE(unknown_function.status().message().find("rank"), std::string::npos);  // suggestion
  auto arity = T().Window({Win("row_number", {Column("v")}, {}, order, "r")});
  EXPECT_EQ(ErrorCode(arity.status()), "WRONG_ARITY");
  auto lag_arity = T().Window({Win("lag", {}, {}, order, "r")});
  EXPECT_EQ(ErrorCode(lag_arity.status()), "WRONG_ARITY");
  auto offset = T().Window({Win("lag", {Column("v"), Column("id")}, {}, order, "r")});
  EXPECT_EQ(ErrorCode(offset.status()), "INVALID_WINDOW_ARGUMENT");
  auto ntile = T().Window({Win("ntile", {Int64(0)}, {}, order, "r")});
  EXPECT_EQ(ErrorCode(ntile.status()), "INVALID_WINDOW_ARGUMENT");
  auto sum_text = T().Window({Win("sum", {Column("g")}, {}, order, "r")});
  EXPECT_EQ(ErrorCode(sum_text.status()), "TYPE_MISMATCH");
  auto duplicate = T().Window({Win("rank", {}, {}, order, "v")});
  EXPECT_EQ(ErrorCode(duplicate.status()), "DUPLICATE_COLUMN");
  auto distinct = Win("count", {Column("v")}, {}, {}, "r");
  distinct.distinct = true;
  EXPECT_EQ(ErrorCode(T().Window({distinct}).status()), "NOT_SUPPORTED");
  auto range_offset = Win("sum", {Column("x")}, {}, order, "r");
  range_offset.frame = WindowFrame{};
  range_offset.frame->start = {Bound::Kind::kPreceding, 1};
  auto range_status = T().Window({range_offset}).status();
  EXPECT_EQ(ErrorCode(range_status), "NOT_SUPPORTED");
  EXPECT_NE(range_status.message().find("not supported: RANGE frame with offset"),
            std::string::npos);
  auto backwards = Win("sum", {Column("x")}, {}, order, "r");
  backwards.frame = RowsFrame(kUnboundedFollowing, kCurrentRow);
  EXPECT_EQ(ErrorCode(T().Window({backwards}).status()), "INVALID_WINDOW_FRAME");
  EXPECT_EQ(ErrorCode(T().Window({}).status()), "EMPTY_WINDOW");
}

TEST_F(WindowTest, FilterAboveWindowIsNotPushedBelowIt) {
  ASSERT_OK_AND_ASSIGN(auto df, T().Window({Win("row_number", {}, {}, {Asc("id")}, "rn"),
                                            Win("sum", {Column("x")}, {Column("g")}, {}, "s")}));
  ASSERT_OK_AND_ASSIGN(df, df.Filter(Call(">", {Column("id"), Int64(4)})));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("id"), Column("rn"), Column("s")}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  // Numbered over all eight rows: the filter applies after the window.
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"5|5|5", "6|6|5", "7|7|15", "8|8|15"}));
  ASSERT_OK_AND_ASSIGN(auto optimized, df.OptimizedPlan());
  auto windows = FindNodes(optimized, PlanKind::kWindow);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_TRUE(FindNodes(windows[0], PlanKind::kFilter).empty());
  for (const auto& scan : FindNodes(optimized, PlanKind::kScan)) EXPECT_TRUE(scan->filters.empty());
}

TEST_F(WindowTest, FilterOnSharedPartitionKeyGoesBelow) {
  ASSERT_OK_AND_ASSIGN(auto df, T().Window({Win("row_number", {}, {Column("g")}, {Asc("id")}, "rn"),
                                            Win("sum", {Column("x")}, {Column("g")}, {}, "s")}));
  ASSERT_OK_AND_ASSIGN(df, df.Filter(Call("and", {Call("=", {Column("g"), Str("a")}),
                                                  Call(">", {Column("rn"), Int64(2)})})));
  ASSERT_OK_AND_ASSIGN(auto result, df.Select({Column("id"), Column("rn"), Column("s")}));
  ASSERT_OK_AND_ASSIGN(auto table, result.Collect());
  EXPECT_EQ(SortedRows(*table), (std::vector<std::string>{"3|3|10", "4|4|10"}));
  ASSERT_OK_AND_ASSIGN(auto optimized, df.OptimizedPlan());
  auto scans = FindNodes(optimized, PlanKind::kScan);
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(testing::ExprTexts(scans[0]->filters).size(), 1u);  // g = 'a' only
}

TEST_F(WindowTest, PruningKeepsColumnsTheWindowReads) {
  ASSERT_OK_AND_ASSIGN(auto df, T().Window({Win("sum", {Column("x")}, {Column("g")}, {}, "s"),
                                            Win("rank", {}, {}, {Asc("v")}, "unused")}));
  ASSERT_OK_AND_ASSIGN(df, df.Select({Column("id"), Column("s")}));
  ASSERT_OK_AND_ASSIGN(auto optimized, df.OptimizedPlan());
  auto windows = FindNodes(optimized, PlanKind::kWindow);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0]->windows.size(), 1u);  // the unused window function is dropped
  auto scans = FindNodes(optimized, PlanKind::kScan);
  EXPECT_EQ(testing::ScanColumns(*scans[0]), (std::vector<std::string>{"id", "g", "x"}));
  ASSERT_OK_AND_ASSIGN(auto result, df.Collect());
  EXPECT_EQ(SortedRows(*result), (std::vector<std::string>{"1|10", "2|10", "3|10", "4|10", "5|5",
                                                           "6|5", "7|15", "8|15"}));
}

TEST_F(WindowTest, ExplainShowsTheWindow) {
  auto w = Win("sum", {Column("x")}, {Column("g")}, {Asc("v")}, "s");
  w.frame = RowsFrame({Bound::Kind::kPreceding, 1}, kCurrentRow);
  ASSERT_OK_AND_ASSIGN(auto df, T().Window({w}));
  ASSERT_OK_AND_ASSIGN(auto text, df.Explain());
  EXPECT_NE(text.find("Window: sum(x) OVER (PARTITION BY g ORDER BY v ASC NULLS LAST ROWS BETWEEN "
                      "1 PRECEDING AND CURRENT ROW) AS s"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Stream operator window input 1"), std::string::npos) << text;
}

TEST_F(WindowTest, ManyPartitionsRunAsParallelChunks) {
  // 200k rows in 1000 partitions (k = i % 1000), several batches: spread over the executor.
  constexpr int64_t kRows = 200000;
  arrow::Int64Builder ids, keys;
  for (int64_t i = 0; i < kRows; ++i) {
    ASSERT_OK(ids.Append(i));
    ASSERT_OK(keys.Append(i % 1000));
  }
  std::shared_ptr<arrow::Array> id_array, key_array;
  ASSERT_OK(ids.Finish(&id_array));
  ASSERT_OK(keys.Finish(&key_array));
  auto schema =
      arrow::schema({arrow::field("i", arrow::int64()), arrow::field("k", arrow::int64())});
  auto table = arrow::Table::Make(schema, {id_array, key_array})->Slice(0);
  ASSERT_OK(ctx_->RegisterTable("big", table));
  ASSERT_OK_AND_ASSIGN(auto df, ctx_->Table("big"));
  auto frame = RowsFrame({Bound::Kind::kPreceding, 2}, kCurrentRow);
  auto sliding = Win("sum", {Column("i")}, {Column("k")}, {Asc("i")}, "sliding");
  sliding.frame = frame;
  ASSERT_OK_AND_ASSIGN(
      df, df.Window({Win("row_number", {}, {Column("k")}, {Asc("i")}, "rn"),
                     Win("sum", {Column("i")}, {Column("k")}, {Asc("i")}, "run"), sliding}));
  ASSERT_OK_AND_ASSIGN(auto reader, df.ExecuteStream());
  int64_t seen = 0, batches = 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ASSERT_OK(reader->ReadNext(&batch));
    if (!batch) break;
    ++batches;
    EXPECT_LE(batch->num_rows(), ctx_->state()->config().batch_size);
    auto i = std::static_pointer_cast<arrow::Int64Array>(batch->column(0));
    auto rn = std::static_pointer_cast<arrow::Int64Array>(batch->column(2));
    auto run = std::static_pointer_cast<arrow::Int64Array>(batch->column(3));
    auto slide = std::static_pointer_cast<arrow::Int64Array>(batch->column(4));
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      int64_t v = i->Value(r), k = v % 1000, n = v / 1000;  // row n of partition k
      ASSERT_EQ(rn->Value(r), n + 1) << v;
      // k + (k + 1000) + ... + (k + 1000 n)
      ASSERT_EQ(run->Value(r), (n + 1) * k + 1000 * n * (n + 1) / 2) << v;
      int64_t expected = v + (n >= 1 ? v - 1000 : 0) + (n >= 2 ? v - 2000 : 0);
      ASSERT_EQ(slide->Value(r), expected) << v;
    }
    seen += batch->num_rows();
  }
  EXPECT_EQ(seen, kRows);
  EXPECT_GT(batches, 1);
}

TEST_F(WindowTest, BeyondTheMemoryLimitFailsWithMemoryLimitExceeded) {
  SessionConfig config;
  config.memory_limit_bytes = 1 << 20;
  ASSERT_OK_AND_ASSIGN(auto ctx, SessionContext::Make(config));
  constexpr int64_t kRows = 1'000'000;  // 8 MB per int64 column, built outside the session pool
  arrow::Int64Builder xs;
  for (int64_t i = 0; i < kRows; ++i) ASSERT_OK(xs.Append((i * 7919) % kRows));
  std::shared_ptr<arrow::Array> x;
  ASSERT_OK(xs.Finish(&x));
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  ASSERT_OK(ctx.RegisterTable("big", arrow::Table::Make(schema, {x})));
  ASSERT_OK_AND_ASSIGN(auto df, ctx.Table("big"));
  ASSERT_OK_AND_ASSIGN(df, df.Window({Win("row_number", {}, {}, {Asc("x")}, "rn")}));
  auto result = df.Collect();
  ASSERT_FALSE(result.ok()) << "numbered " << (*result)->num_rows() << " rows within 1 MiB";
  EXPECT_EQ(ErrorCode(result.status()), "MEMORY_LIMIT_EXCEEDED") << result.status().ToString();
  // The session stays usable for small queries.
  ASSERT_OK(ctx.RegisterTable("small", arrow::Table::Make(schema, {x->Slice(0, 10)})));
  ASSERT_OK_AND_ASSIGN(auto small, ctx.Table("small"));
  ASSERT_OK_AND_ASSIGN(small, small.Window({Win("count", {}, {}, {}, "n")}));
  ASSERT_OK_AND_ASSIGN(auto table, small.Collect());
  EXPECT_EQ(Rows(*table).front(), "0|10");
}

TEST_F(WindowTest, CancelledQueryStops) {
  arrow::StopSource stop;
  stop.RequestStop();
  ExecuteOptions options;
  options.stop_token = stop.token();
  ASSERT_OK_AND_ASSIGN(auto df,
                       T().Window({Win("row_number", {}, {Column("g")}, {Asc("v")}, "rn")}));
  auto result = df.Collect(options);
  EXPECT_FALSE(result.ok());
}

}  // namespace
}  // namespace codeanatomy::engine
