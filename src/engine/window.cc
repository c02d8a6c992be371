#include "engine/window.h"

#include <algorithm>
#include <map>
#include <string>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/table.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/decimal.h>
#include <arrow/util/future.h>

#include "engine/window_partition.h"

namespace codeanatomy::engine {

namespace cp = arrow::compute;
using internal::Allocate;
using internal::CallState;
using internal::Layout;
using internal::PoolArray;
using internal::StopState;
using internal::SumMode;

namespace {

Result<std::shared_ptr<arrow::Array>> DenseRank(const std::shared_ptr<arrow::Array>& column,
                                                bool ascending, bool nulls_first,
                                                cp::ExecContext* ctx) {
  cp::RankOptions options(ascending ? cp::SortOrder::Ascending : cp::SortOrder::Descending,
                          nulls_first ? cp::NullPlacement::AtStart : cp::NullPlacement::AtEnd,
                          cp::RankOptions::Dense);
  CA_ASSIGN_OR_RAISE(auto ranked, cp::CallFunction("rank", {column}, &options, ctx));
  return ranked.make_array();
}

/// The key ranks folded into one uint64 (mixed radix, first key most significant) so that a
/// single integer column is sorted; null when the product of the rank ranges overflows.
Result<std::shared_ptr<arrow::Array>> CombinedKey(const Layout& layout, arrow::MemoryPool* pool) {
  if (layout.ranks.size() == 1) return layout.ranks[0];
  std::vector<const uint64_t*> keys = layout.partition_ranks;
  keys.insert(keys.end(), layout.order_ranks.begin(), layout.order_ranks.end());
  std::vector<uint64_t> radix;
  uint64_t product = 1;
  for (const uint64_t* k : keys) {
    uint64_t max = *std::max_element(k, k + layout.rows) + 1;  // dense ranks start at 1
    if (__builtin_mul_overflow(product, max, &product)) return nullptr;
    radix.push_back(max);
  }
  CA_ASSIGN_OR_RAISE(auto combined, Allocate<uint64_t>(layout.rows, pool));
  for (int64_t r = 0; r < layout.rows; ++r) {
    uint64_t v = 0;
    for (size_t i = 0; i < keys.size(); ++i) v = v * radix[i] + keys[i][r];
    combined.data[r] = v;
  }
  return arrow::MakeArray(
      arrow::ArrayData::Make(arrow::uint64(), layout.rows, {nullptr, combined.buffer}, 0));
}

Result<Layout> BuildLayout(const arrow::RecordBatch& input, const WindowCall& call,
                           cp::ExecContext* ctx) {
  Layout layout;
  layout.rows = input.num_rows();
  std::vector<std::shared_ptr<arrow::Field>> fields;
  auto add_rank = [&](int column, bool ascending, bool nulls_first,
                      std::vector<const uint64_t*>* out) -> Status {
    CA_ASSIGN_OR_RAISE(auto rank, DenseRank(input.column(column), ascending, nulls_first, ctx));
    out->push_back(static_cast<const arrow::UInt64Array&>(*rank).raw_values());
    fields.push_back(arrow::field(std::to_string(fields.size()), rank->type()));
    layout.ranks.push_back(std::move(rank));
    return Status::OK();
  };
  // Partitions come out in ascending key order, the NULL partition last.
  for (int p : call.partition_by)
    CA_RETURN_NOT_OK(add_rank(p, true, false, &layout.partition_ranks));
  for (const auto& o : call.order_by) {
    CA_RETURN_NOT_OK(add_rank(o.column, o.ascending, o.nulls_first, &layout.order_ranks));
  }
  if (!layout.ranks.empty() && layout.rows > 1) {
    CA_ASSIGN_OR_RAISE(auto combined, CombinedKey(layout, ctx->memory_pool()));
    arrow::Datum keys;
    std::vector<cp::SortKey> sort_keys;
    if (combined) {
      keys = arrow::Datum(std::move(combined));
    } else {
      keys =
          arrow::Datum(arrow::RecordBatch::Make(arrow::schema(fields), layout.rows, layout.ranks));
      for (const auto& f : fields) sort_keys.emplace_back(f->name());
    }
    CA_ASSIGN_OR_RAISE(layout.perm_array, cp::SortIndices(keys, cp::SortOptions(sort_keys), ctx));
    layout.perm = static_cast<const arrow::UInt64Array&>(*layout.perm_array).raw_values();
  }
  int64_t count = layout.rows > 0 ? 1 : 0;
  for (int64_t k = 1; k < layout.rows; ++k) count += layout.SamePartition(k - 1, k) ? 0 : 1;
  CA_ASSIGN_OR_RAISE(layout.partition_starts, Allocate<int64_t>(count + 1, ctx->memory_pool()));
  int64_t* starts = layout.partition_starts.data;
  int64_t p = 0;
  for (int64_t k = 0; k < layout.rows; ++k) {
    if (k == 0 || !layout.SamePartition(k - 1, k)) starts[p++] = k;
  }
  starts[p] = layout.rows;
  layout.num_partitions = count;
  return layout;
}

bool IsIndexKind(WindowKind kind) {
  switch (kind) {
    case WindowKind::kLag:
    case WindowKind::kLead:
    case WindowKind::kFirstValue:
    case WindowKind::kLastValue:
    case WindowKind::kNthValue:
    case WindowKind::kMin:
    case WindowKind::kMax:
      return true;
    default:
      return false;
  }
}

Status PrepareCall(const arrow::RecordBatch& input, const WindowCall& call, cp::ExecContext* ctx,
                   CallState* state) {
  state->call = &call;
  int64_t n = input.num_rows();
  auto* pool = ctx->memory_pool();
  if (call.value >= 0) state->value = input.column(call.value);
  switch (call.kind) {
    case WindowKind::kPercentRank:
    case WindowKind::kCumeDist: {
      CA_ASSIGN_OR_RAISE(state->floats, Allocate<double>(n, pool));
      return Status::OK();
    }
    case WindowKind::kMin:
    case WindowKind::kMax: {
      if (state->value->type_id() != arrow::Type::NA) {
        CA_ASSIGN_OR_RAISE(auto ranks, DenseRank(state->value, true, false, ctx));
        state->value_ranks = static_cast<const arrow::UInt64Array&>(*ranks).raw_values();
        state->numeric = std::move(ranks);  // keeps the ranks alive
      }
      CA_ASSIGN_OR_RAISE(state->ints, Allocate<int64_t>(n, pool));
      return Status::OK();
    }
    case WindowKind::kSum:
    case WindowKind::kMean: {
      const auto& type = *state->value->type();
      if (arrow::is_floating(type.id()) ||
          (call.kind == WindowKind::kMean && type.id() != arrow::Type::DECIMAL128 &&
           type.id() != arrow::Type::NA)) {
        CA_ASSIGN_OR_RAISE(auto cast,
                           cp::Cast(state->value, arrow::float64(), cp::CastOptions::Safe(), ctx));
        state->numeric = cast.make_array();
        state->sum_mode = SumMode::kFloat;
      } else if (arrow::is_integer(type.id()) || type.id() == arrow::Type::BOOL) {
        CA_ASSIGN_OR_RAISE(auto cast, cp::Cast(state->value, arrow::int64(),
                                               cp::CastOptions::Unsafe(arrow::int64()), ctx));
        state->numeric = cast.make_array();
        state->sum_mode = SumMode::kInt;
      } else if (type.id() == arrow::Type::DECIMAL128) {
        state->numeric = state->value;
        state->sum_mode = SumMode::kDecimal;
        state->decimal_scale = static_cast<const arrow::Decimal128Type&>(type).scale();
      }
      if (call.kind == WindowKind::kMean || state->sum_mode == SumMode::kFloat) {
        CA_ASSIGN_OR_RAISE(state->floats, Allocate<double>(n, pool));
      } else if (state->sum_mode == SumMode::kDecimal) {
        CA_ASSIGN_OR_RAISE(state->decimals, Allocate<arrow::Decimal128>(n, pool));
      } else {
        CA_ASSIGN_OR_RAISE(state->ints, Allocate<int64_t>(n, pool));
      }
      CA_ASSIGN_OR_RAISE(state->valid, Allocate<uint8_t>(n, pool));
      return Status::OK();
    }
    case WindowKind::kUdf: {
      std::vector<std::shared_ptr<arrow::DataType>> types;
      for (int c : call.args) {
        state->udf_args.push_back(input.column(c));
        types.push_back(input.column(c)->type());
      }
      CA_ASSIGN_OR_RAISE(auto field, call.udf->ReturnField(types));
      state->udf_nullable = field == nullptr || field->nullable();
      state->pool = pool;
      CA_ASSIGN_OR_RAISE(state->ints, Allocate<int64_t>(n, pool));
      return Status::OK();
    }
    default: {
      CA_ASSIGN_OR_RAISE(state->ints, Allocate<int64_t>(n, pool));
      return Status::OK();
    }
  }
}

/// Computes `states` over partitions [p_begin, p_end) of `layout`.
Status ComputeChunk(const Layout& layout, std::vector<CallState*> states, int64_t p_begin,
                    int64_t p_end, StopState* stop) {
  const int64_t* starts = layout.partition_starts.data;
  for (int64_t p = p_begin; p < p_end; ++p) {
    for (CallState* st : states) {
      if (stop->Stopped() || !ComputePartition(layout, *st, starts[p], starts[p + 1], *stop)) {
        stop->failed = true;
        if (Status error = stop->Error(); !error.ok()) return error;
        return stop->token.IsStopRequested() ? stop->token.Poll()
                                             : Status::Cancelled("window computation stopped");
      }
    }
  }
  return Status::OK();
}

/// Runs ComputeChunk over all partitions, in chunks of whole partitions spread over the
/// executor's threads.
Status ComputeAll(const Layout& layout, std::vector<CallState*> states,
                  const WindowExecOptions& options) {
  StopState stop;
  stop.token = options.stop_token;
  for (CallState* st : states) {
    if (st->call->kind == WindowKind::kUdf) st->udf_results.assign(layout.num_partitions, nullptr);
  }
  int capacity = options.executor ? std::max(1, options.executor->GetCapacity()) : 1;
  const int64_t min_rows = std::max<int64_t>(16 * 1024, layout.rows / (4 * capacity));
  const int64_t* starts = layout.partition_starts.data;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  for (int64_t p = 0; p < layout.num_partitions;) {
    int64_t q = p + 1;
    while (q < layout.num_partitions && starts[q] - starts[p] < min_rows) ++q;
    chunks.emplace_back(p, q);
    p = q;
  }
  bool inline_run = !options.executor || chunks.size() <= 1 || options.executor->OwnsThisThread();
  if (inline_run) {
    for (const auto& [b, e] : chunks) CA_RETURN_NOT_OK(ComputeChunk(layout, states, b, e, &stop));
    return Status::OK();
  }
  std::vector<arrow::Future<>> futures;
  Status submit_status;
  for (const auto& [b, e] : chunks) {
    auto future = options.executor->Submit([&layout, states, b = b, e = e, &stop]() {
      return ComputeChunk(layout, states, b, e, &stop);
    });
    if (!future.ok()) {
      stop.failed = true;
      submit_status = future.status();
      break;
    }
    futures.push_back(std::move(*future));
  }
  // Tasks reference this frame: wait for every one of them, even after a failure.
  Status tasks_status = arrow::AllFinished(futures).status();
  CA_RETURN_NOT_OK(submit_status);
  // A task's own error, not the cancellation the other tasks saw because of it.
  if (Status error = stop.Error(); !error.ok()) return error;
  return tasks_status;
}

Result<std::shared_ptr<arrow::Buffer>> Bitmap(const uint8_t* valid, int64_t n,
                                              arrow::MemoryPool* pool) {
  CA_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bitmap,
                     arrow::AllocateBitmap(std::max<int64_t>(n, 1), pool));
  uint8_t* bits = bitmap->mutable_data();
  for (int64_t i = 0; i < n; ++i) arrow::bit_util::SetBitTo(bits, i, valid[i] != 0);
  return bitmap;
}

/// The output column of a computed call, in input row order.
Result<std::shared_ptr<arrow::Array>> Finish(CallState& st, int64_t n, cp::ExecContext* ctx) {
  const WindowCall& call = *st.call;
  auto* pool = ctx->memory_pool();
  if (call.kind == WindowKind::kUdf) {
    // The partitions' results in sorted order, taken back to input order.
    std::shared_ptr<arrow::Array> sorted = st.udf_results[0];
    if (st.udf_results.size() > 1) {
      CA_ASSIGN_OR_RAISE(sorted, arrow::Concatenate(st.udf_results, pool));
    }
    auto indices =
        arrow::MakeArray(arrow::ArrayData::Make(arrow::int64(), n, {nullptr, st.ints.buffer}, 0));
    CA_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(sorted), arrow::Datum(indices),
                                            cp::TakeOptions::NoBoundsCheck(), ctx));
    return taken.make_array();
  }
  if (IsIndexKind(call.kind)) {
    // Take the value column at the computed rows; -1 is null, -2 the lag/lead default.
    CA_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> bitmap,
                       arrow::AllocateBitmap(std::max<int64_t>(n, 1), pool));
    uint8_t* bits = bitmap->mutable_data();
    for (int64_t i = 0; i < n; ++i) {
      int64_t& idx = st.ints.data[i];
      if (idx == -2) idx = n;
      arrow::bit_util::SetBitTo(bits, i, idx >= 0);
      if (idx < 0) idx = 0;
    }
    auto indices = arrow::MakeArray(arrow::ArrayData::Make(
        arrow::int64(), n, {std::move(bitmap), st.ints.buffer}, arrow::kUnknownNullCount));
    auto values = st.value;
    if (call.default_value) {
      CA_ASSIGN_OR_RAISE(auto extra, arrow::MakeArrayFromScalar(*call.default_value, 1, pool));
      CA_ASSIGN_OR_RAISE(values, arrow::Concatenate({values, extra}, pool));
    }
    CA_ASSIGN_OR_RAISE(auto taken, cp::Take(arrow::Datum(values), arrow::Datum(indices),
                                            cp::TakeOptions::NoBoundsCheck(), ctx));
    return taken.make_array();
  }
  std::shared_ptr<arrow::Buffer> bitmap;
  if (st.valid.data) {
    CA_ASSIGN_OR_RAISE(bitmap, Bitmap(st.valid.data, n, pool));
  }
  std::shared_ptr<arrow::Array> out;
  if (st.floats.data) {
    out = arrow::MakeArray(arrow::ArrayData::Make(arrow::float64(), n, {bitmap, st.floats.buffer},
                                                  arrow::kUnknownNullCount));
  } else if (st.decimals.data) {
    auto type = arrow::decimal128(arrow::Decimal128Type::kMaxPrecision, st.decimal_scale);
    out = arrow::MakeArray(
        arrow::ArrayData::Make(type, n, {bitmap, st.decimals.buffer}, arrow::kUnknownNullCount));
  } else if (call.kind == WindowKind::kSum && st.sum_mode == SumMode::kNone) {
    CA_ASSIGN_OR_RAISE(out, arrow::MakeArrayOfNull(call.type, n, pool));
  } else {
    // Unsigned sums accumulate with wrapping int64 arithmetic: the bits are the uint64 sum.
    auto type = call.type->id() == arrow::Type::UINT64 ? arrow::uint64() : arrow::int64();
    out = arrow::MakeArray(
        arrow::ArrayData::Make(type, n, {bitmap, st.ints.buffer}, arrow::kUnknownNullCount));
  }
  if (out->type()->Equals(*call.type)) return out;
  CA_ASSIGN_OR_RAISE(auto cast, cp::Cast(out, call.type, cp::CastOptions::Safe(), ctx));
  return cast.make_array();
}

std::string LayoutKey(const WindowCall& call) {
  std::string key = "p";
  for (int p : call.partition_by) key += std::to_string(p) + ",";
  key += "o";
  for (const auto& o : call.order_by) {
    key += std::to_string(o.column) + (o.ascending ? "a" : "d") + (o.nulls_first ? "f" : "l") + ",";
  }
  return key;
}

/// Streams the computed rows in the output order, one Take per batch.
class WindowReader : public arrow::RecordBatchReader {
 public:
  WindowReader(std::shared_ptr<arrow::Schema> schema, std::shared_ptr<arrow::RecordBatch> rows,
               std::shared_ptr<arrow::Array> order, WindowExecOptions options)
      : schema_(std::move(schema)),
        rows_(std::move(rows)),
        order_(std::move(order)),
        options_(std::move(options)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (!rows_ || position_ >= rows_->num_rows()) return Status::OK();
    if (options_.stop_token.IsStopRequested()) return options_.stop_token.Poll();
    int64_t length = std::min(options_.batch_size, rows_->num_rows() - position_);
    std::shared_ptr<arrow::RecordBatch> batch;
    if (order_) {
      cp::ExecContext ctx(options_.pool);
      CA_ASSIGN_OR_RAISE(
          auto taken, cp::Take(arrow::Datum(rows_), arrow::Datum(order_->Slice(position_, length)),
                               cp::TakeOptions::NoBoundsCheck(), &ctx));
      batch = taken.record_batch();
    } else {
      batch = rows_->Slice(position_, length);
    }
    position_ += length;
    *out = arrow::RecordBatch::Make(schema_, length, batch->columns());
    return Status::OK();
  }

  Status Close() override {
    rows_.reset();
    order_.reset();
    return Status::OK();
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::RecordBatch> rows_;
  std::shared_ptr<arrow::Array> order_;
  WindowExecOptions options_;
  int64_t position_ = 0;
};

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> WindowStream(
    std::shared_ptr<arrow::RecordBatchReader> input, int keep_columns,
    std::vector<WindowCall> calls, std::shared_ptr<arrow::Schema> schema,
    WindowExecOptions options) {
  if (options.batch_size <= 0) return Status::Invalid("window batch size must be positive");
  cp::ExecContext ctx(options.pool);
  CA_ASSIGN_OR_RAISE(auto table, input->ToTable());
  CA_RETURN_NOT_OK(input->Close());
  if (options.stop_token.IsStopRequested()) return options.stop_token.Poll();
  CA_ASSIGN_OR_RAISE(auto rows, table->CombineChunksToBatch(options.pool));
  table.reset();
  const int64_t n = rows->num_rows();
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int c = 0; c < keep_columns; ++c) columns.push_back(rows->column(c));
  std::shared_ptr<arrow::Array> order;
  if (n > 0) {
    // Calls sharing partition and order keys share one sort.
    std::vector<CallState> states(calls.size());
    std::map<std::string, std::vector<size_t>> groups;
    std::vector<std::string> group_order;
    for (size_t i = 0; i < calls.size(); ++i) {
      auto key = LayoutKey(calls[i]);
      if (groups[key].empty()) group_order.push_back(key);
      groups[key].push_back(i);
      CA_RETURN_NOT_OK(PrepareCall(*rows, calls[i], &ctx, &states[i]));
    }
    for (const auto& key : group_order) {
      const auto& members = groups[key];
      CA_ASSIGN_OR_RAISE(auto layout, BuildLayout(*rows, calls[members[0]], &ctx));
      if (key == group_order.front()) order = layout.perm_array;
      std::vector<CallState*> group_states;
      for (size_t i : members) group_states.push_back(&states[i]);
      CA_RETURN_NOT_OK(ComputeAll(layout, std::move(group_states), options));
    }
    for (auto& st : states) {
      CA_ASSIGN_OR_RAISE(auto column, Finish(st, n, &ctx));
      columns.push_back(std::move(column));
    }
  } else {
    for (const auto& call : calls) {
      CA_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(call.type, options.pool));
      columns.push_back(std::move(empty));
    }
  }
  auto all = arrow::RecordBatch::Make(schema, n, std::move(columns));
  return std::make_shared<WindowReader>(std::move(schema), std::move(all), std::move(order),
                                        std::move(options));
}

}  // namespace codeanatomy::engine
