// Shared fixtures for the engine tests: status assertions, Arrow data from JSON text,
// order-insensitive result comparison and plan-tree inspection.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/status.h"
#include "engine/logical_plan.h"
#include "engine/session_state.h"

#define CA_TEST_CONCAT_INNER(a, b) a##b
#define CA_TEST_CONCAT(a, b) CA_TEST_CONCAT_INNER(a, b)

#define ASSERT_OK(expr)                      \
  do {                                       \
    const ::arrow::Status _st = (expr);      \
    ASSERT_TRUE(_st.ok()) << _st.ToString(); \
  } while (false)

#define EXPECT_OK(expr)                      \
  do {                                       \
    const ::arrow::Status _st = (expr);      \
    EXPECT_TRUE(_st.ok()) << _st.ToString(); \
  } while (false)

#define CA_ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, rexpr)  \
  auto result = (rexpr);                                  \
  ASSERT_TRUE(result.ok()) << result.status().ToString(); \
  lhs = std::move(result).ValueUnsafe()

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  CA_ASSERT_OK_AND_ASSIGN_IMPL(CA_TEST_CONCAT(_result_, __LINE__), lhs, rexpr)

namespace codeanatomy::engine::testing {

/// An array of `type` from JSON text; aborts the test binary on malformed input (a test bug).
inline std::shared_ptr<arrow::Array> ArrayFromJSON(const std::shared_ptr<arrow::DataType>& type,
                                                   const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

/// A scalar of `type` from JSON text ("1", "\"x\"", "null").
inline std::shared_ptr<arrow::Scalar> ScalarFromJSON(const std::shared_ptr<arrow::DataType>& type,
                                                     const std::string& json) {
  return arrow::json::ScalarFromJSONString(type, json).ValueOrDie();
}

/// A record batch from row-oriented JSON: `[{"a": 1, "b": "x"}, ...]` (missing keys are null).
inline std::shared_ptr<arrow::RecordBatch> BatchFromJSON(
    const std::shared_ptr<arrow::Schema>& schema, const std::string& rows_json) {
  auto rows = ArrayFromJSON(arrow::struct_(schema->fields()), rows_json);
  auto batch = arrow::RecordBatch::FromStructArray(rows).ValueOrDie();
  // FromStructArray keeps the struct's fields; re-attach the schema for its metadata.
  return arrow::RecordBatch::Make(schema, batch->num_rows(), batch->columns());
}

/// A table from one or more row-oriented JSON chunks (one record batch each).
inline std::shared_ptr<arrow::Table> TableFromJSON(const std::shared_ptr<arrow::Schema>& schema,
                                                   const std::vector<std::string>& chunks) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (const auto& c : chunks) batches.push_back(BatchFromJSON(schema, c));
  return arrow::Table::FromRecordBatches(schema, std::move(batches)).ValueOrDie();
}

/// One row as "v1|v2|..." with Arrow's scalar text ("null" for nulls).
inline std::string RowText(const arrow::Table& table, int64_t row) {
  std::string out;
  for (int c = 0; c < table.num_columns(); ++c) {
    if (c > 0) out += "|";
    auto scalar = table.column(c)->GetScalar(row).ValueOrDie();
    out += scalar->is_valid ? scalar->ToString() : "null";
  }
  return out;
}

/// The rows of `table` in order.
inline std::vector<std::string> Rows(const arrow::Table& table) {
  std::vector<std::string> out;
  for (int64_t r = 0; r < table.num_rows(); ++r) out.push_back(RowText(table, r));
  return out;
}

/// The rows of `table` sorted (for results whose order is unspecified).
inline std::vector<std::string> SortedRows(const arrow::Table& table) {
  auto out = Rows(table);
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> Sorted(std::vector<std::string> rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// The error code DescribeError assigns to a failed status ("OK" for success).
inline std::string ErrorCode(const Status& status) {
  return status.ok() ? "OK" : DescribeError(status).code;
}

inline std::string ErrorStage(const Status& status) {
  return status.ok() ? "" : DescribeError(status).stage;
}

/// The parsed details JSON of an engine error (null when it has none).
inline JsonValue ErrorDetails(const Status& status) {
  auto info = DescribeError(status);
  if (info.details_json.empty()) return JsonValue();
  return JsonValue::Parse(info.details_json).ValueOrDie();
}

/// Every node of `plan` of `kind`, in pre-order.
inline void CollectNodes(const PlanPtr& plan, PlanKind kind, std::vector<PlanPtr>* out) {
  if (plan->kind == kind) out->push_back(plan);
  for (const auto& in : plan->inputs) CollectNodes(in, kind, out);
}

inline std::vector<PlanPtr> FindNodes(const PlanPtr& plan, PlanKind kind) {
  std::vector<PlanPtr> out;
  CollectNodes(plan, kind, &out);
  return out;
}

/// The names of a scan's projected provider columns, in order.
inline std::vector<std::string> ScanColumns(const PlanNode& scan) {
  std::vector<std::string> out;
  auto full = scan.provider->schema();
  for (int i : scan.projection) out.push_back(full->field(i)->name());
  return out;
}

/// The text of each expression.
inline std::vector<std::string> ExprTexts(const std::vector<ExprPtr>& exprs) {
  std::vector<std::string> out;
  for (const auto& e : exprs) out.push_back(ToString(*e));
  return out;
}

/// Literal shorthands.
inline ExprPtr Int32(int32_t v) { return Literal(std::make_shared<arrow::Int32Scalar>(v)); }
inline ExprPtr Int64(int64_t v) { return Literal(std::make_shared<arrow::Int64Scalar>(v)); }
inline ExprPtr Str(const std::string& v) {
  return Literal(std::make_shared<arrow::StringScalar>(v));
}
inline ExprPtr Bool(bool v) { return Literal(std::make_shared<arrow::BooleanScalar>(v)); }
inline ExprPtr Null() { return Literal(nullptr); }

/// A fixture holding a fresh session state (default settings) and its function resolver.
class SessionStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = SessionState::Make(SessionConfig{});
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = *state;
  }

  FunctionResolver resolver() const { return state_->resolver(); }

  std::shared_ptr<SessionState> state_;
};

}  // namespace codeanatomy::engine::testing
