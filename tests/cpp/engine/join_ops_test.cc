// GCC 12 reports a false -Wrestrict inside std::string (GCC bug 105329) for this file.
#pragma GCC diagnostic ignored "-Wrestrict"
#include "engine/join_ops.h"

#include <algorithm>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/expression.h>
#include <arrow/compute/initialize.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/util/cancel.h>
#include <gtest/gtest.h>

namespace codeanatomy::engine {
namespace {

using arrow::RecordBatch;
using arrow::compute::call;
using arrow::compute::field_ref;
using arrow::compute::literal;

#define JOIN_CONCAT_INNER(a, b) a##b
#define JOIN_CONCAT(a, b) JOIN_CONCAT_INNER(a, b)
#define ASSERT_OK(expr)                              \
  do {                                               \
    const arrow::Status _status = (expr);            \
    ASSERT_TRUE(_status.ok()) << _status.ToString(); \
  } while (false)
#define ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, rexpr)     \
  auto result = (rexpr);                                  \
  ASSERT_TRUE(result.ok()) << result.status().ToString(); \
  lhs = std::move(result).ValueUnsafe()
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(JOIN_CONCAT(_result_, __LINE__), lhs, rexpr)

using Batches = std::vector<std::shared_ptr<RecordBatch>>;

class JoinOpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_OK(arrow::compute::Initialize()); }
};

std::shared_ptr<RecordBatch> Batch(const std::shared_ptr<arrow::Schema>& schema,
                                   const std::vector<std::string>& columns_json) {
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int i = 0; i < schema->num_fields(); ++i) {
    columns.push_back(arrow::json::ArrayFromJSONString(schema->field(i)->type(), columns_json.at(i))
                          .ValueOrDie());
  }
  const int64_t rows = columns.empty() ? 0 : columns[0]->length();
  return RecordBatch::Make(schema, rows, std::move(columns));
}

std::shared_ptr<arrow::RecordBatchReader> Reader(const std::shared_ptr<arrow::Schema>& schema,
                                                 Batches batches) {
  return arrow::RecordBatchReader::Make(std::move(batches), schema).ValueOrDie();
}

std::shared_ptr<arrow::Table> Table(const std::shared_ptr<arrow::Schema>& schema, Batches batches) {
  return arrow::Table::FromRecordBatches(schema, std::move(batches)).ValueOrDie();
}

// Drains `reader`, checking that every batch is valid and carries its schema.
arrow::Result<Batches> ReadAll(arrow::RecordBatchReader& reader) {
  Batches batches;
  while (true) {
    std::shared_ptr<RecordBatch> batch;
    ARROW_RETURN_NOT_OK(reader.ReadNext(&batch));
    if (batch == nullptr) return batches;
    ARROW_RETURN_NOT_OK(batch->ValidateFull());
    if (!batch->schema()->Equals(*reader.schema())) {
      return arrow::Status::Invalid("batch schema ", batch->schema()->ToString(),
                                    " differs from reader schema");
    }
    batches.push_back(std::move(batch));
  }
}

int64_t CountRows(const Batches& batches) {
  int64_t rows = 0;
  for (const auto& batch : batches) rows += batch->num_rows();
  return rows;
}

// Rows rendered as strings and sorted: join output order is not part of the contract.
std::vector<std::string> SortedRows(const Batches& batches) {
  std::vector<std::string> rows;
  for (const auto& batch : batches) {
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      std::string row;
      for (int c = 0; c < batch->num_columns(); ++c) {
        auto scalar = batch->column(c)->GetScalar(r).ValueOrDie();
        row += (c ? " | " : "") + (scalar->is_valid ? scalar->ToString() : "null");
      }
      rows.push_back(std::move(row));
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Left and right inputs with duplicates and nulls in the join columns.
struct SmallInputs {
  std::shared_ptr<arrow::Schema> left_schema =
      arrow::schema({arrow::field("la", arrow::int32()), arrow::field("lp", arrow::utf8())});
  std::shared_ptr<arrow::Schema> right_schema =
      arrow::schema({arrow::field("rb", arrow::int32()),
                     arrow::field("rp", arrow::large_utf8(), /*nullable=*/false)});

  // Left arrives in two batches; right is a two-chunk table.
  std::shared_ptr<arrow::RecordBatchReader> Left() const {
    return Reader(left_schema, {Batch(left_schema, {"[1, 2, 2]", R"(["x", "y", "y2"])"}),
                                Batch(left_schema, {"[]", "[]"}),
                                Batch(left_schema, {"[null, 4]", R"(["n", "z"])"})});
  }
  std::shared_ptr<arrow::RecordBatchReader> EmptyLeft() const { return Reader(left_schema, {}); }
  std::shared_ptr<arrow::Table> Right() const {
    return Table(right_schema, {Batch(right_schema, {"[2, 2]", R"(["A", "B"])"}),
                                Batch(right_schema, {"[3, null]", R"(["C", "D"])"})});
  }
  std::shared_ptr<arrow::Table> EmptyRight() const { return Table(right_schema, {}); }

  // Expected output schema for `type`.
  std::shared_ptr<arrow::Schema> OutputSchema(JoinType type) const {
    const bool left_nullable = type == JoinType::kRight || type == JoinType::kFull;
    const bool right_nullable = type == JoinType::kLeft || type == JoinType::kFull;
    arrow::FieldVector fields;
    for (const auto& f : left_schema->fields()) {
      fields.push_back(f->WithNullable(f->nullable() || left_nullable));
    }
    if (type == JoinType::kLeftSemi || type == JoinType::kLeftAnti) return arrow::schema(fields);
    for (const auto& f : right_schema->fields()) {
      fields.push_back(f->WithNullable(f->nullable() || right_nullable));
    }
    return arrow::schema(fields);
  }
};

struct JoinCase {
  JoinType type;
  std::vector<std::string> expected_json;  // one JSON array per output column
};

void ExpectJoin(const SmallInputs& in, std::shared_ptr<arrow::RecordBatchReader> left,
                std::shared_ptr<arrow::Table> right, const arrow::compute::Expression& filter,
                const JoinCase& c, JoinExecOptions options = {}) {
  SCOPED_TRACE(JoinTypeName(c.type));
  ASSERT_OK_AND_ASSIGN(auto reader,
                       NestedLoopJoin(std::move(left), std::move(right), c.type, filter, options));
  auto expected_schema = in.OutputSchema(c.type);
  EXPECT_TRUE(reader->schema()->Equals(*expected_schema)) << reader->schema()->ToString();
  ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  EXPECT_EQ(SortedRows(batches), SortedRows({Batch(expected_schema, c.expected_json)}));
}

TEST_F(JoinOpsTest, EqualityFilterTreatsNullAsNoMatchForEveryJoinType) {
  SmallInputs in;
  const auto filter = call("equal", {field_ref("la"), field_ref("rb")});
  const std::vector<JoinCase> cases = {
      {JoinType::kInner,
       {"[2, 2, 2, 2]", R"(["y", "y", "y2", "y2"])", "[2, 2, 2, 2]", R"(["A", "B", "A", "B"])"}},
      {JoinType::kLeft,
       {"[2, 2, 2, 2, 1, null, 4]", R"(["y", "y", "y2", "y2", "x", "n", "z"])",
        "[2, 2, 2, 2, null, null, null]", R"(["A", "B", "A", "B", null, null, null])"}},
      {JoinType::kRight,
       {"[2, 2, 2, 2, null, null]", R"(["y", "y", "y2", "y2", null, null])",
        "[2, 2, 2, 2, 3, null]", R"(["A", "B", "A", "B", "C", "D"])"}},
      {JoinType::kFull,
       {"[2, 2, 2, 2, 1, null, 4, null, null]",
        R"(["y", "y", "y2", "y2", "x", "n", "z", null, null])",
        "[2, 2, 2, 2, null, null, null, 3, null]",
        R"(["A", "B", "A", "B", null, null, null, "C", "D"])"}},
      {JoinType::kLeftSemi, {"[2, 2]", R"(["y", "y2"])"}},
      {JoinType::kLeftAnti, {"[1, null, 4]", R"(["x", "n", "z"])"}},
  };
  // Tiny batch limits split left batches and right chunks differently; the rows must not change.
  for (int64_t max_rows : {int64_t{64 * 1024}, int64_t{1}, int64_t{3}}) {
    SCOPED_TRACE(max_rows);
    JoinExecOptions options;
    options.max_output_rows_per_batch = max_rows;
    for (const auto& c : cases) ExpectJoin(in, in.Left(), in.Right(), filter, c, options);
  }
}

TEST_F(JoinOpsTest, NonEquiFilterLessThan) {
  SmallInputs in;
  const auto filter = call("less", {field_ref("la"), field_ref("rb")});
  // 1 < {2, 2, 3}; 2 < {3} (twice, duplicate left keys); null and 4 match nothing;
  // right row D (rb null) matches nothing.
  const std::vector<JoinCase> cases = {
      {JoinType::kInner,
       {"[1, 1, 1, 2, 2]", R"(["x", "x", "x", "y", "y2"])", "[2, 2, 3, 3, 3]",
        R"(["A", "B", "C", "C", "C"])"}},
      {JoinType::kLeft,
       {"[1, 1, 1, 2, 2, null, 4]", R"(["x", "x", "x", "y", "y2", "n", "z"])",
        "[2, 2, 3, 3, 3, null, null]", R"(["A", "B", "C", "C", "C", null, null])"}},
      {JoinType::kRight,
       {"[1, 1, 1, 2, 2, null]", R"(["x", "x", "x", "y", "y2", null])", "[2, 2, 3, 3, 3, null]",
        R"(["A", "B", "C", "C", "C", "D"])"}},
      {JoinType::kFull,
       {"[1, 1, 1, 2, 2, null, 4, null]", R"(["x", "x", "x", "y", "y2", "n", "z", null])",
        "[2, 2, 3, 3, 3, null, null, null]", R"(["A", "B", "C", "C", "C", null, null, "D"])"}},
      {JoinType::kLeftSemi, {"[1, 2, 2]", R"(["x", "y", "y2"])"}},
      {JoinType::kLeftAnti, {"[null, 4]", R"(["n", "z"])"}},
  };
  for (const auto& c : cases) ExpectJoin(in, in.Left(), in.Right(), filter, c);
}

TEST_F(JoinOpsTest, EmptyRightSide) {
  SmallInputs in;
  const auto filter = call("equal", {field_ref("la"), field_ref("rb")});
  const std::string all_left_a = "[1, 2, 2, null, 4]";
  const std::string all_left_p = R"(["x", "y", "y2", "n", "z"])";
  const std::string five_nulls = "[null, null, null, null, null]";
  const std::vector<JoinCase> cases = {
      {JoinType::kInner, {"[]", "[]", "[]", "[]"}},
      {JoinType::kLeft, {all_left_a, all_left_p, five_nulls, five_nulls}},
      {JoinType::kRight, {"[]", "[]", "[]", "[]"}},
      {JoinType::kFull, {all_left_a, all_left_p, five_nulls, five_nulls}},
      {JoinType::kLeftSemi, {"[]", "[]"}},
      {JoinType::kLeftAnti, {all_left_a, all_left_p}},
  };
  for (const auto& c : cases) ExpectJoin(in, in.Left(), in.EmptyRight(), filter, c);
}

TEST_F(JoinOpsTest, EmptyLeftSide) {
  SmallInputs in;
  const auto filter = call("equal", {field_ref("la"), field_ref("rb")});
  const std::string four_nulls = "[null, null, null, null]";
  const std::vector<JoinCase> cases = {
      {JoinType::kInner, {"[]", "[]", "[]", "[]"}},
      {JoinType::kLeft, {"[]", "[]", "[]", "[]"}},
      {JoinType::kRight, {four_nulls, four_nulls, "[2, 2, 3, null]", R"(["A", "B", "C", "D"])"}},
      {JoinType::kFull, {four_nulls, four_nulls, "[2, 2, 3, null]", R"(["A", "B", "C", "D"])"}},
      {JoinType::kLeftSemi, {"[]", "[]"}},
      {JoinType::kLeftAnti, {"[]", "[]"}},
  };
  for (const auto& c : cases) ExpectJoin(in, in.EmptyLeft(), in.Right(), filter, c);
  ExpectJoin(in, in.EmptyLeft(), in.EmptyRight(), filter,
             {JoinType::kFull, {"[]", "[]", "[]", "[]"}});
}

TEST_F(JoinOpsTest, LiteralTrueIsCrossJoin) {
  SmallInputs in;
  ASSERT_OK_AND_ASSIGN(auto reader,
                       NestedLoopJoin(in.Left(), in.Right(), JoinType::kInner, literal(true)));
  ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  EXPECT_EQ(CountRows(batches), 5 * 4);
  const auto rows = SortedRows(batches);
  EXPECT_EQ(std::count(rows.begin(), rows.end(), "null | n | 3 | C"), 1);
  EXPECT_EQ(std::count(rows.begin(), rows.end(), "2 | y2 | null | D"), 1);

  // A null literal filter matches nothing: anti keeps every left row.
  ASSERT_OK_AND_ASSIGN(reader, NestedLoopJoin(in.Left(), in.Right(), JoinType::kLeftAnti,
                                              literal(arrow::MakeNullScalar(arrow::boolean()))));
  ASSERT_OK_AND_ASSIGN(batches, ReadAll(*reader));
  EXPECT_EQ(CountRows(batches), 5);
}

TEST_F(JoinOpsTest, NestedPayloadColumnsAreCarriedThrough) {
  auto left_schema =
      arrow::schema({arrow::field("lk", arrow::int64()),
                     arrow::field("ls", arrow::struct_({arrow::field("a", arrow::int32()),
                                                        arrow::field("b", arrow::utf8())})),
                     arrow::field("ll", arrow::list(arrow::int32()))});
  auto right_schema = arrow::schema({arrow::field("rk", arrow::int64()),
                                     arrow::field("rm", arrow::map(arrow::utf8(), arrow::int32())),
                                     arrow::field("rs", arrow::large_utf8()),
                                     arrow::field("rl", arrow::large_list(arrow::utf8()))});
  auto left = Reader(
      left_schema,
      {Batch(left_schema, {"[1, 2, 3]", R"([{"a": 10, "b": "p"}, null, {"a": 30, "b": null}])",
                           "[[1, 2], [], null]"})});
  auto right = Table(
      right_schema, {Batch(right_schema, {"[3, 1, 9]", R"([[["k", 1]], null, [["z", 0]]])",
                                          R"(["three", "one", "nine"])", R"([["u"], null, []])"})});
  // The filter reads a struct child, which must be resolved against the combined schema.
  auto filter = call("less_equal", {field_ref(arrow::FieldRef("ls", "a")),
                                    call("multiply", {field_ref("rk"), literal(10)})});
  ASSERT_OK_AND_ASSIGN(auto reader, NestedLoopJoin(left, right, JoinType::kFull, filter));
  auto expected_schema = arrow::schema(
      {left_schema->field(0), left_schema->field(1), left_schema->field(2), right_schema->field(0),
       right_schema->field(1), right_schema->field(2), right_schema->field(3)});
  EXPECT_TRUE(reader->schema()->Equals(*expected_schema)) << reader->schema()->ToString();
  ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  // ls.a 10 <= {30, 10, 90}; 30 <= {30, 90}; row 2 (ls null) is unmatched.
  auto expected =
      Batch(expected_schema, {"[1, 1, 1, 3, 3, 2]",
                              R"([{"a": 10, "b": "p"}, {"a": 10, "b": "p"}, {"a": 10, "b": "p"},
           {"a": 30, "b": null}, {"a": 30, "b": null}, null])",
                              "[[1, 2], [1, 2], [1, 2], null, null, []]", "[3, 1, 9, 3, 9, null]",
                              R"([[["k", 1]], null, [["z", 0]], [["k", 1]], [["z", 0]], null])",
                              R"(["three", "one", "nine", "three", "nine", null])",
                              R"([["u"], null, [], ["u"], [], null])"});
  EXPECT_EQ(SortedRows(batches), SortedRows({expected}));
}

TEST_F(JoinOpsTest, InvalidFilterIsRejectedUpFront) {
  SmallInputs in;
  EXPECT_TRUE(NestedLoopJoin(in.Left(), in.Right(), JoinType::kInner, field_ref("la"))
                  .status()
                  .IsTypeError());
  EXPECT_FALSE(NestedLoopJoin(in.Left(), in.Right(), JoinType::kInner,
                              call("equal", {field_ref("nope"), field_ref("rb")}))
                   .ok());
  JoinExecOptions options;
  options.max_output_rows_per_batch = 0;
  EXPECT_TRUE(NestedLoopJoin(in.Left(), in.Right(), JoinType::kInner, literal(true), options)
                  .status()
                  .IsInvalid());
}

TEST_F(JoinOpsTest, LargeInputIsSplitIntoBoundedBatches) {
  auto left_schema = arrow::schema({arrow::field("la", arrow::int64())});
  auto right_schema = arrow::schema({arrow::field("rb", arrow::int64())});
  auto sequence = [](int64_t begin, int64_t end) {
    std::string json = "[";
    for (int64_t v = begin; v < end; ++v) json += (v > begin ? "," : "") + std::to_string(v);
    return json + "]";
  };
  auto make_left = [&] {
    return Reader(left_schema, {Batch(left_schema, {sequence(0, 1000)}),
                                Batch(left_schema, {sequence(1000, 2000)}),
                                Batch(left_schema, {sequence(2000, 3000)})});
  };
  auto right = Table(right_schema, {Batch(right_schema, {sequence(0, 50)})});

  JoinExecOptions options;
  options.max_output_rows_per_batch = 100;
  // la < rb: sum over rb of rb = 1225 pairs; left rows 0..48 match (2951 do
  // not); right row 0 matches nothing.
  const auto filter = call("less", {field_ref("la"), field_ref("rb")});
  const std::vector<std::pair<JoinType, int64_t>> expected_counts = {
      {JoinType::kInner, 1225},
      {JoinType::kFull, 1225 + 2951 + 1},
      {JoinType::kLeftSemi, 49},
      {JoinType::kLeftAnti, 2951}};
  for (const auto& [type, count] : expected_counts) {
    SCOPED_TRACE(JoinTypeName(type));
    ASSERT_OK_AND_ASSIGN(auto reader, NestedLoopJoin(make_left(), right, type, filter, options));
    ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
    EXPECT_EQ(CountRows(batches), count);
    if (count > 100) {
      EXPECT_GT(batches.size(), 1u);
    }
    for (const auto& batch : batches) EXPECT_LE(batch->num_rows(), 100);
  }

  options.max_output_rows_per_batch = 4096;
  ASSERT_OK_AND_ASSIGN(
      auto reader, NestedLoopJoin(make_left(), right, JoinType::kInner, literal(true), options));
  ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  EXPECT_EQ(CountRows(batches), 3000 * 50);
  for (const auto& batch : batches) EXPECT_LE(batch->num_rows(), 4096);
}

TEST_F(JoinOpsTest, StoppedTokenCancelsNestedLoopJoin) {
  SmallInputs in;
  arrow::StopSource stop_source;
  JoinExecOptions options;
  options.stop_token = stop_source.token();
  options.max_output_rows_per_batch = 2;
  ASSERT_OK_AND_ASSIGN(
      auto reader, NestedLoopJoin(in.Left(), in.Right(), JoinType::kInner, literal(true), options));
  std::shared_ptr<RecordBatch> batch;
  ASSERT_OK(reader->ReadNext(&batch));
  ASSERT_NE(batch, nullptr);
  stop_source.RequestStop();
  const arrow::Status status = reader->ReadNext(&batch);
  EXPECT_TRUE(status.IsCancelled()) << status.ToString();
  EXPECT_TRUE(reader->ReadNext(&batch).IsCancelled());
}

TEST_F(JoinOpsTest, GatherTakesFromTwoSourcesWithNullIndices) {
  auto input_schema =
      arrow::schema({arrow::field("id", arrow::int32()), arrow::field("li", arrow::int64()),
                     arrow::field("ri", arrow::int64())});
  auto input = Reader(input_schema, {Batch(input_schema, {"[10, 11]", "[0, null]", "[1, 1]"}),
                                     Batch(input_schema, {"[12, 13]", "[2, 1]", "[null, 0]"})});
  auto left_schema =
      arrow::schema({arrow::field("name", arrow::utf8(), /*nullable=*/false),
                     arrow::field("s", arrow::struct_({arrow::field("a", arrow::int32())}))});
  // Two chunks, so row indices must be global over the table.
  auto left = Table(left_schema, {Batch(left_schema, {R"(["a", "b"])", R"([{"a": 1}, null])"}),
                                  Batch(left_schema, {R"(["c"])", R"([{"a": 3}])"})});
  auto right_schema = arrow::schema({arrow::field("l", arrow::list(arrow::int32()))});
  auto right = Table(right_schema, {Batch(right_schema, {"[[7], [8, 9]]"})});

  std::vector<GatherSource> sources = {{"li", left}, {"ri", right}};
  std::vector<GatherOutput> outputs = {
      {-1, 0, "id"}, {0, 1, "l_s"}, {1, 0, "r_l"}, {0, 0, "l_name"}, {-1, 2, "ri"}};
  ASSERT_OK_AND_ASSIGN(auto reader, GatherJoinedColumns(input, sources, outputs));
  auto expected_schema =
      arrow::schema({arrow::field("id", arrow::int32()),
                     arrow::field("l_s", arrow::struct_({arrow::field("a", arrow::int32())})),
                     arrow::field("r_l", arrow::list(arrow::int32())),
                     arrow::field("l_name", arrow::utf8()), arrow::field("ri", arrow::int64())});
  EXPECT_TRUE(reader->schema()->Equals(*expected_schema)) << reader->schema()->ToString();
  ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  ASSERT_EQ(batches.size(), 2u);
  auto expected = Batch(expected_schema, {"[10, 11, 12, 13]", R"([{"a": 1}, null, {"a": 3}, null])",
                                          "[[8, 9], [8, 9], null, [7]]", R"(["a", null, "c", "b"])",
                                          "[1, 1, null, 0]"});
  ASSERT_OK_AND_ASSIGN(auto combined, arrow::Table::FromRecordBatches(batches));
  ASSERT_OK_AND_ASSIGN(auto combined_batch, combined->CombineChunksToBatch());
  EXPECT_TRUE(combined_batch->Equals(*expected)) << combined_batch->ToString();
}

TEST_F(JoinOpsTest, GatherFromEmptyTableWithNullIndicesAndBadIndices) {
  auto input_schema = arrow::schema({arrow::field("i", arrow::int64())});
  auto table_schema = arrow::schema({arrow::field("v", arrow::map(arrow::utf8(), arrow::utf8()))});
  auto empty = Table(table_schema, {});
  ASSERT_OK_AND_ASSIGN(
      auto reader,
      GatherJoinedColumns(Reader(input_schema, {Batch(input_schema, {"[null, null]"})}),
                          {{"i", empty}}, {{0, 0, "v"}}));
  ASSERT_OK_AND_ASSIGN(auto batches, ReadAll(*reader));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0]->num_columns(), 1);
  EXPECT_EQ(batches[0]->column(0)->null_count(), 2);

  ASSERT_OK_AND_ASSIGN(reader,
                       GatherJoinedColumns(Reader(input_schema, {Batch(input_schema, {"[0, 5]"})}),
                                           {{"i", empty}}, {{0, 0, "v"}}));
  std::shared_ptr<RecordBatch> batch;
  EXPECT_TRUE(reader->ReadNext(&batch).IsIndexError());

  EXPECT_TRUE(
      GatherJoinedColumns(Reader(input_schema, {}), {{"missing", empty}}, {}).status().IsInvalid());
  EXPECT_TRUE(GatherJoinedColumns(Reader(input_schema, {}), {{"i", empty}}, {{0, 3, "v"}})
                  .status()
                  .IsInvalid());
}

TEST_F(JoinOpsTest, StoppedTokenCancelsGather) {
  auto input_schema = arrow::schema({arrow::field("i", arrow::int64())});
  arrow::StopSource stop_source;
  JoinExecOptions options;
  options.stop_token = stop_source.token();
  stop_source.RequestStop();
  ASSERT_OK_AND_ASSIGN(auto reader,
                       GatherJoinedColumns(Reader(input_schema, {Batch(input_schema, {"[0]"})}), {},
                                           {{-1, 0, "i"}}, options));
  std::shared_ptr<RecordBatch> batch;
  EXPECT_TRUE(reader->ReadNext(&batch).IsCancelled());
}

}  // namespace
}  // namespace codeanatomy::engine
