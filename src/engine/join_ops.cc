#include "engine/join_ops.h"

#include <algorithm>
#include <map>
#include <utility>

#include <arrow/array.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/datum.h>
#include <arrow/scalar.h>
#include <arrow/status.h>
#include <arrow/type.h>
#include <arrow/type_traits.h>

namespace codeanatomy::engine {

const char* JoinTypeName(JoinType type) {
  switch (type) {
    case JoinType::kInner:
      return "inner";
    case JoinType::kLeft:
      return "left";
    case JoinType::kRight:
      return "right";
    case JoinType::kFull:
      return "full";
    case JoinType::kLeftSemi:
      return "left_semi";
    case JoinType::kLeftAnti:
      return "left_anti";
  }
  return "unknown";
}

namespace {

using arrow::Array;
using arrow::Datum;
using arrow::RecordBatch;
using arrow::Status;
using arrow::compute::ExecContext;
using arrow::compute::Expression;

bool OutputsLeftOnly(JoinType type) {
  return type == JoinType::kLeftSemi || type == JoinType::kLeftAnti;
}
bool LeftRowsMayBeUnmatched(JoinType type) {
  return type == JoinType::kLeft || type == JoinType::kFull;
}
bool RightRowsMayBeUnmatched(JoinType type) {
  return type == JoinType::kRight || type == JoinType::kFull;
}

std::shared_ptr<arrow::Field> AsNullable(const std::shared_ptr<arrow::Field>& field) {
  return field->nullable() ? field : field->WithNullable(true);
}

arrow::Result<std::shared_ptr<Array>> MakeIndexArray(const std::vector<int64_t>& indices,
                                                     arrow::MemoryPool* pool) {
  arrow::Int64Builder builder(pool);
  ARROW_RETURN_NOT_OK(builder.AppendValues(indices));
  return builder.Finish();
}

arrow::Result<std::shared_ptr<Array>> TakeArray(const std::shared_ptr<Array>& values,
                                                const std::shared_ptr<Array>& indices,
                                                const arrow::compute::TakeOptions& options,
                                                ExecContext* ctx) {
  ARROW_ASSIGN_OR_RAISE(Datum taken, arrow::compute::Take(values, indices, options, ctx));
  return taken.make_array();
}

/// Which rows of one join side make up an output batch.
struct SideRows {
  enum class Kind { kAllNull, kAll, kTake };
  Kind kind = Kind::kAllNull;
  std::shared_ptr<Array> indices;  // only for kTake

  static SideRows AllNull() { return {Kind::kAllNull, nullptr}; }
  static SideRows All() { return {Kind::kAll, nullptr}; }
  static SideRows Take(std::shared_ptr<Array> indices) { return {Kind::kTake, std::move(indices)}; }
};

class NestedLoopJoinReader final : public arrow::RecordBatchReader {
 public:
  static arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Make(
      std::shared_ptr<arrow::RecordBatchReader> left, std::shared_ptr<arrow::Table> right,
      JoinType type, const Expression& filter, JoinExecOptions options) {
    if (left == nullptr || right == nullptr) {
      return Status::Invalid("NestedLoopJoin: left reader and right table must not be null");
    }
    if (options.pool == nullptr) return Status::Invalid("NestedLoopJoin: pool must not be null");
    if (options.max_output_rows_per_batch <= 0) {
      return Status::Invalid("NestedLoopJoin: max_output_rows_per_batch must be positive, got ",
                             options.max_output_rows_per_batch);
    }
    auto reader = std::shared_ptr<NestedLoopJoinReader>(
        new NestedLoopJoinReader(std::move(left), type, std::move(options)));
    ARROW_RETURN_NOT_OK(reader->Init(*right, filter));
    return reader;
  }

  std::shared_ptr<arrow::Schema> schema() const override { return output_schema_; }

  Status ReadNext(std::shared_ptr<RecordBatch>* out) override {
    *out = nullptr;
    ARROW_RETURN_NOT_OK(error_);
    while (phase_ != Phase::kDone) {
      error_ = options_.stop_token.Poll();
      ARROW_RETURN_NOT_OK(error_);
      auto step = Step();
      if (!step.ok()) {
        error_ = step.status();
        return error_;
      }
      if (*step != nullptr && (*step)->num_rows() > 0) {
        *out = step.MoveValueUnsafe();
        return Status::OK();
      }
    }
    return Status::OK();
  }

  Status Close() override {
    phase_ = Phase::kDone;
    return left_->Close();
  }

 private:
  enum class Phase { kProbe, kUnmatchedRight, kDone };

  NestedLoopJoinReader(std::shared_ptr<arrow::RecordBatchReader> left, JoinType type,
                       JoinExecOptions options)
      : left_(std::move(left)), type_(type), options_(std::move(options)), ctx_(options_.pool) {}

  Status Init(const arrow::Table& right, const Expression& filter) {
    const auto& left_fields = left_->schema()->fields();
    const auto& right_fields = right.schema()->fields();
    num_left_columns_ = static_cast<int>(left_fields.size());

    arrow::FieldVector combined_fields = left_fields;
    combined_fields.insert(combined_fields.end(), right_fields.begin(), right_fields.end());
    auto combined = arrow::schema(combined_fields);
    ARROW_ASSIGN_OR_RAISE(filter_, filter.Bind(*combined, &ctx_));
    if (filter_.type() == nullptr || filter_.type()->id() != arrow::Type::BOOL) {
      return Status::TypeError("NestedLoopJoin: filter must be boolean, got ",
                               filter_.type() ? filter_.type()->ToString() : "unknown", ": ",
                               filter_.ToString());
    }

    // Only the columns the filter reads are expanded into candidate pairs; the
    // rest are null scalars, as arrow::compute::MakeExecBatch does for missing
    // fields. This keeps nested payloads out of the per-pair work.
    filter_reads_column_.assign(combined_fields.size(), false);
    for (const auto& ref : arrow::compute::FieldsInExpression(filter_)) {
      ARROW_ASSIGN_OR_RAISE(arrow::FieldPath path, ref.FindOne(*combined));
      filter_reads_column_[path[0]] = true;
    }
    null_inputs_.reserve(combined_fields.size());
    for (const auto& field : combined_fields) {
      null_inputs_.emplace_back(arrow::MakeNullScalar(field->type()));
    }

    ARROW_ASSIGN_OR_RAISE(right_, right.CombineChunksToBatch(options_.pool));
    num_right_rows_ = right_->num_rows();
    if (RightRowsMayBeUnmatched(type_)) right_matched_.assign(num_right_rows_, false);

    arrow::FieldVector output_fields;
    const bool left_nullable = RightRowsMayBeUnmatched(type_);
    const bool right_nullable = LeftRowsMayBeUnmatched(type_);
    for (const auto& field : left_fields) {
      output_fields.push_back(left_nullable ? AsNullable(field) : field);
    }
    if (OutputsLeftOnly(type_)) {
      output_schema_ = arrow::schema(output_fields, left_->schema()->metadata());
    } else {
      for (const auto& field : right_fields) {
        output_fields.push_back(right_nullable ? AsNullable(field) : field);
      }
      output_schema_ = arrow::schema(output_fields);
    }

    // With no right rows these joins produce nothing, so the left input need
    // not be read at all.
    if (num_right_rows_ == 0 &&
        (type_ == JoinType::kInner || type_ == JoinType::kRight || type_ == JoinType::kLeftSemi)) {
      phase_ = Phase::kDone;
    }
    return Status::OK();
  }

  arrow::Result<std::shared_ptr<RecordBatch>> Step() {
    if (phase_ == Phase::kUnmatchedRight) return EmitUnmatchedRight();
    if (left_slice_ == nullptr) {
      ARROW_ASSIGN_OR_RAISE(bool has_slice, LoadNextLeftSlice());
      if (!has_slice) {
        phase_ = RightRowsMayBeUnmatched(type_) ? Phase::kUnmatchedRight : Phase::kDone;
        return nullptr;
      }
    }
    // Semi/anti only need to know whether a left row matched at all.
    const bool all_decided = OutputsLeftOnly(type_) && unmatched_in_slice_ == 0;
    if (right_position_ < num_right_rows_ && !all_decided) return ProbeRightChunk();
    return FinishLeftSlice();
  }

  // Slices left batches so that no slice exceeds max_output_rows_per_batch;
  // returns false once the left input is exhausted.
  arrow::Result<bool> LoadNextLeftSlice() {
    while (true) {
      if (left_batch_ != nullptr && left_batch_offset_ < left_batch_->num_rows()) {
        const int64_t length = std::min(options_.max_output_rows_per_batch,
                                        left_batch_->num_rows() - left_batch_offset_);
        left_slice_ = left_batch_->Slice(left_batch_offset_, length);
        left_batch_offset_ += length;
        left_matched_.assign(length, false);
        unmatched_in_slice_ = length;
        right_position_ = 0;
        return true;
      }
      ARROW_RETURN_NOT_OK(left_->ReadNext(&left_batch_));
      left_batch_offset_ = 0;
      if (left_batch_ == nullptr) return false;
      if (left_batch_->num_columns() != num_left_columns_) {
        return Status::Invalid("NestedLoopJoin: left batch has ", left_batch_->num_columns(),
                               " columns, schema has ", num_left_columns_);
      }
    }
  }

  // Evaluates the filter on (left slice x next chunk of right rows) and
  // returns the matched pairs (nullptr for semi/anti, which emit per slice).
  arrow::Result<std::shared_ptr<RecordBatch>> ProbeRightChunk() {
    const int64_t left_rows = left_slice_->num_rows();
    const int64_t chunk =
        std::min(std::max<int64_t>(1, options_.max_output_rows_per_batch / left_rows),
                 num_right_rows_ - right_position_);
    const int64_t chunk_start = right_position_;
    const int64_t pairs = left_rows * chunk;
    right_position_ += chunk;

    ARROW_ASSIGN_OR_RAISE(Datum selection, EvaluateFilter(chunk_start, chunk, pairs));

    std::vector<int64_t> left_selected;
    std::vector<int64_t> right_selected;
    auto select = [&](int64_t pair) {
      const int64_t l = pair / chunk;
      const int64_t r = chunk_start + pair % chunk;
      if (!left_matched_[l]) {
        left_matched_[l] = true;
        --unmatched_in_slice_;
      }
      if (!right_matched_.empty()) right_matched_[r] = true;
      if (!OutputsLeftOnly(type_)) {
        left_selected.push_back(l);
        right_selected.push_back(r);
      }
    };
    if (selection.is_scalar()) {
      const auto& scalar = selection.scalar_as<arrow::BooleanScalar>();
      if (scalar.is_valid && scalar.value) {
        for (int64_t pair = 0; pair < pairs; ++pair) select(pair);
      }
    } else if (selection.is_array()) {
      arrow::BooleanArray mask(selection.array());
      if (mask.length() != pairs) {
        return Status::Invalid("NestedLoopJoin: filter returned ", mask.length(), " values for ",
                               pairs, " candidate pairs");
      }
      for (int64_t pair = 0; pair < pairs; ++pair) {
        if (mask.IsValid(pair) && mask.Value(pair)) select(pair);
      }
    } else {
      return Status::TypeError("NestedLoopJoin: filter returned ", selection.ToString());
    }

    if (OutputsLeftOnly(type_) || left_selected.empty()) return nullptr;
    ARROW_ASSIGN_OR_RAISE(auto left_indices, MakeIndexArray(left_selected, options_.pool));
    ARROW_ASSIGN_OR_RAISE(auto right_indices, MakeIndexArray(right_selected, options_.pool));
    return Assemble(SideRows::Take(std::move(left_indices)),
                    SideRows::Take(std::move(right_indices)),
                    static_cast<int64_t>(left_selected.size()));
  }

  // Pair p stands for left row p / chunk and right row chunk_start + p % chunk.
  arrow::Result<Datum> EvaluateFilter(int64_t chunk_start, int64_t chunk, int64_t pairs) {
    std::vector<Datum> values(null_inputs_.begin(), null_inputs_.end());
    std::shared_ptr<Array> left_pair_rows;
    std::shared_ptr<Array> right_pair_rows;
    const auto no_bounds_check = arrow::compute::TakeOptions::NoBoundsCheck();
    for (size_t i = 0; i < filter_reads_column_.size(); ++i) {
      if (!filter_reads_column_[i]) continue;
      const int column = static_cast<int>(i);
      if (column < num_left_columns_) {
        if (left_pair_rows == nullptr) {
          std::vector<int64_t> rows(pairs);
          for (int64_t p = 0; p < pairs; ++p) rows[p] = p / chunk;
          ARROW_ASSIGN_OR_RAISE(left_pair_rows, MakeIndexArray(rows, options_.pool));
        }
        ARROW_ASSIGN_OR_RAISE(values[i], TakeArray(left_slice_->column(column), left_pair_rows,
                                                   no_bounds_check, &ctx_));
      } else {
        if (right_pair_rows == nullptr) {
          std::vector<int64_t> rows(pairs);
          for (int64_t p = 0; p < pairs; ++p) rows[p] = chunk_start + p % chunk;
          ARROW_ASSIGN_OR_RAISE(right_pair_rows, MakeIndexArray(rows, options_.pool));
        }
        ARROW_ASSIGN_OR_RAISE(values[i], TakeArray(right_->column(column - num_left_columns_),
                                                   right_pair_rows, no_bounds_check, &ctx_));
      }
    }
    arrow::compute::ExecBatch batch(std::move(values), pairs);
    return arrow::compute::ExecuteScalarExpression(filter_, batch, &ctx_);
  }

  // Emits what the finished left slice contributes beyond matched pairs.
  arrow::Result<std::shared_ptr<RecordBatch>> FinishLeftSlice() {
    const int64_t left_rows = left_slice_->num_rows();
    bool want_matched = false;
    switch (type_) {
      case JoinType::kInner:
      case JoinType::kRight:
        left_slice_.reset();
        return nullptr;
      case JoinType::kLeftSemi:
        want_matched = true;
        break;
      case JoinType::kLeft:
      case JoinType::kFull:
      case JoinType::kLeftAnti:
        want_matched = false;
        break;
    }
    std::vector<int64_t> rows;
    for (int64_t row = 0; row < left_rows; ++row) {
      if (left_matched_[row] == want_matched) rows.push_back(row);
    }
    std::shared_ptr<RecordBatch> result;
    if (!rows.empty()) {
      SideRows left_rows_out = SideRows::All();
      if (static_cast<int64_t>(rows.size()) != left_rows) {
        ARROW_ASSIGN_OR_RAISE(auto indices, MakeIndexArray(rows, options_.pool));
        left_rows_out = SideRows::Take(std::move(indices));
      }
      ARROW_ASSIGN_OR_RAISE(
          result, Assemble(left_rows_out, SideRows::AllNull(), static_cast<int64_t>(rows.size())));
    }
    left_slice_.reset();
    return result;
  }

  arrow::Result<std::shared_ptr<RecordBatch>> EmitUnmatchedRight() {
    std::vector<int64_t> rows;
    while (unmatched_right_position_ < num_right_rows_ &&
           static_cast<int64_t>(rows.size()) < options_.max_output_rows_per_batch) {
      if (!right_matched_[unmatched_right_position_]) rows.push_back(unmatched_right_position_);
      ++unmatched_right_position_;
    }
    if (unmatched_right_position_ >= num_right_rows_) phase_ = Phase::kDone;
    if (rows.empty()) return nullptr;
    SideRows right_rows_out = SideRows::All();
    if (static_cast<int64_t>(rows.size()) != num_right_rows_) {
      ARROW_ASSIGN_OR_RAISE(auto indices, MakeIndexArray(rows, options_.pool));
      right_rows_out = SideRows::Take(std::move(indices));
    }
    return Assemble(SideRows::AllNull(), right_rows_out, static_cast<int64_t>(rows.size()));
  }

  arrow::Result<std::shared_ptr<RecordBatch>> Assemble(const SideRows& left_rows,
                                                       const SideRows& right_rows, int64_t length) {
    std::vector<std::shared_ptr<Array>> columns;
    columns.reserve(output_schema_->num_fields());
    auto add_side = [&](const SideRows& rows, const RecordBatch* source,
                        int first_field) -> Status {
      const int count = rows.kind == SideRows::Kind::kAllNull
                            ? (first_field == 0 ? num_left_columns_ : right_->num_columns())
                            : source->num_columns();
      for (int i = 0; i < count; ++i) {
        std::shared_ptr<Array> column;
        switch (rows.kind) {
          case SideRows::Kind::kAllNull: {
            ARROW_ASSIGN_OR_RAISE(
                column, arrow::MakeArrayOfNull(output_schema_->field(first_field + i)->type(),
                                               length, options_.pool));
            break;
          }
          case SideRows::Kind::kAll:
            column = source->column(i);
            break;
          case SideRows::Kind::kTake: {
            ARROW_ASSIGN_OR_RAISE(column,
                                  TakeArray(source->column(i), rows.indices,
                                            arrow::compute::TakeOptions::NoBoundsCheck(), &ctx_));
            break;
          }
        }
        columns.push_back(std::move(column));
      }
      return Status::OK();
    };
    ARROW_RETURN_NOT_OK(add_side(left_rows, left_slice_.get(), 0));
    if (!OutputsLeftOnly(type_)) {
      ARROW_RETURN_NOT_OK(add_side(right_rows, right_.get(), num_left_columns_));
    }
    return RecordBatch::Make(output_schema_, length, std::move(columns));
  }

  std::shared_ptr<arrow::RecordBatchReader> left_;
  JoinType type_;
  JoinExecOptions options_;
  ExecContext ctx_;

  Expression filter_;
  std::vector<bool> filter_reads_column_;  // over the combined schema
  std::vector<Datum> null_inputs_;         // stand-ins for columns the filter ignores
  std::shared_ptr<arrow::Schema> output_schema_;
  int num_left_columns_ = 0;

  std::shared_ptr<RecordBatch> right_;
  int64_t num_right_rows_ = 0;
  std::vector<bool> right_matched_;  // only for kRight/kFull
  int64_t unmatched_right_position_ = 0;

  std::shared_ptr<RecordBatch> left_batch_;
  int64_t left_batch_offset_ = 0;
  std::shared_ptr<RecordBatch> left_slice_;  // null between slices
  std::vector<bool> left_matched_;
  int64_t unmatched_in_slice_ = 0;
  int64_t right_position_ = 0;  // first right row not yet probed for the slice

  Phase phase_ = Phase::kProbe;
  Status error_;
};

// Concatenates a table column into one array so Take sees global row indices.
arrow::Result<std::shared_ptr<Array>> FlattenColumn(const arrow::ChunkedArray& column,
                                                    arrow::MemoryPool* pool) {
  if (column.num_chunks() == 1) return column.chunk(0);
  if (column.num_chunks() == 0) return arrow::MakeEmptyArray(column.type(), pool);
  return arrow::Concatenate(column.chunks(), pool);
}

class GatherReader final : public arrow::RecordBatchReader {
 public:
  static arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Make(
      std::shared_ptr<arrow::RecordBatchReader> input, const std::vector<GatherSource>& sources,
      std::vector<GatherOutput> outputs, JoinExecOptions options) {
    if (input == nullptr) return Status::Invalid("GatherJoinedColumns: input must not be null");
    if (options.pool == nullptr) {
      return Status::Invalid("GatherJoinedColumns: pool must not be null");
    }
    auto reader = std::shared_ptr<GatherReader>(new GatherReader(std::move(input), options));
    ARROW_RETURN_NOT_OK(reader->Init(sources, std::move(outputs)));
    return reader;
  }

  std::shared_ptr<arrow::Schema> schema() const override { return output_schema_; }

  Status ReadNext(std::shared_ptr<RecordBatch>* out) override {
    *out = nullptr;
    ARROW_RETURN_NOT_OK(options_.stop_token.Poll());
    std::shared_ptr<RecordBatch> batch;
    ARROW_RETURN_NOT_OK(input_->ReadNext(&batch));
    if (batch == nullptr) return Status::OK();
    if (batch->num_columns() != input_->schema()->num_fields()) {
      return Status::Invalid("GatherJoinedColumns: input batch has ", batch->num_columns(),
                             " columns, schema has ", input_->schema()->num_fields());
    }
    std::vector<std::shared_ptr<Array>> columns;
    columns.reserve(outputs_.size());
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const GatherOutput& output = outputs_[i];
      if (output.source < 0) {
        columns.push_back(batch->column(output.column));
        continue;
      }
      ARROW_ASSIGN_OR_RAISE(
          auto column,
          TakeArray(gathered_values_[i], batch->column(index_positions_[output.source]),
                    arrow::compute::TakeOptions::BoundsCheck(), &ctx_));
      columns.push_back(std::move(column));
    }
    *out = RecordBatch::Make(output_schema_, batch->num_rows(), std::move(columns));
    return Status::OK();
  }

  Status Close() override { return input_->Close(); }

 private:
  GatherReader(std::shared_ptr<arrow::RecordBatchReader> input, JoinExecOptions options)
      : input_(std::move(input)), options_(std::move(options)), ctx_(options_.pool) {}

  Status Init(const std::vector<GatherSource>& sources, std::vector<GatherOutput> outputs) {
    const auto& input_schema = *input_->schema();
    for (size_t k = 0; k < sources.size(); ++k) {
      const GatherSource& source = sources[k];
      if (source.table == nullptr) {
        return Status::Invalid("GatherJoinedColumns: source ", k, " has no table");
      }
      const int position = input_schema.GetFieldIndex(source.index_column);
      if (position < 0) {
        return Status::Invalid("GatherJoinedColumns: index column '", source.index_column,
                               "' of source ", k, " is missing from the input or ambiguous");
      }
      const auto& type = input_schema.field(position)->type();
      if (!arrow::is_integer(type->id())) {
        return Status::TypeError("GatherJoinedColumns: index column '", source.index_column,
                                 "' must be an integer column, got ", type->ToString());
      }
      index_positions_.push_back(position);
    }

    outputs_ = std::move(outputs);
    gathered_values_.resize(outputs_.size());
    std::map<std::pair<int, int>, std::shared_ptr<Array>> flattened;
    arrow::FieldVector fields;
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const GatherOutput& output = outputs_[i];
      if (output.source < -1 || output.source >= static_cast<int>(sources.size())) {
        return Status::Invalid("GatherJoinedColumns: output '", output.name, "' names source ",
                               output.source, " of ", sources.size());
      }
      if (output.source == -1) {
        if (output.column < 0 || output.column >= input_schema.num_fields()) {
          return Status::Invalid("GatherJoinedColumns: output '", output.name,
                                 "' names input column ", output.column, " of ",
                                 input_schema.num_fields());
        }
        fields.push_back(input_schema.field(output.column)->WithName(output.name));
        continue;
      }
      const arrow::Table& table = *sources[output.source].table;
      if (output.column < 0 || output.column >= table.num_columns()) {
        return Status::Invalid("GatherJoinedColumns: output '", output.name, "' names column ",
                               output.column, " of source ", output.source, " with ",
                               table.num_columns(), " columns");
      }
      auto& values = flattened[{output.source, output.column}];
      if (values == nullptr) {
        ARROW_ASSIGN_OR_RAISE(values, FlattenColumn(*table.column(output.column), options_.pool));
      }
      gathered_values_[i] = values;
      fields.push_back(
          table.schema()->field(output.column)->WithName(output.name)->WithNullable(true));
    }
    output_schema_ = arrow::schema(std::move(fields));
    return Status::OK();
  }

  std::shared_ptr<arrow::RecordBatchReader> input_;
  JoinExecOptions options_;
  ExecContext ctx_;
  std::vector<int> index_positions_;  // per source, in the input schema
  std::vector<GatherOutput> outputs_;
  std::vector<std::shared_ptr<Array>> gathered_values_;  // per output; null for pass-through
  std::shared_ptr<arrow::Schema> output_schema_;
};

}  // namespace

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> NestedLoopJoin(
    std::shared_ptr<arrow::RecordBatchReader> left, std::shared_ptr<arrow::Table> right,
    JoinType type, arrow::compute::Expression filter, JoinExecOptions options) {
  return NestedLoopJoinReader::Make(std::move(left), std::move(right), type, filter,
                                    std::move(options));
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> GatherJoinedColumns(
    std::shared_ptr<arrow::RecordBatchReader> input, std::vector<GatherSource> sources,
    std::vector<GatherOutput> outputs, JoinExecOptions options) {
  return GatherReader::Make(std::move(input), sources, std::move(outputs), std::move(options));
}

}  // namespace codeanatomy::engine
