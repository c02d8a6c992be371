#include "engine/window.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <limits>
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

namespace codeanatomy::engine {

namespace cp = arrow::compute;

namespace {

using Kind = WindowFrameBound::Kind;

/// A fixed-size array of `T` allocated from a memory pool.
template <typename T>
struct PoolArray {
  std::shared_ptr<arrow::Buffer> buffer;
  T* data = nullptr;
};

template <typename T>
Result<PoolArray<T>> Allocate(int64_t n, arrow::MemoryPool* pool) {
  CA_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> buffer,
                     arrow::AllocateBuffer(std::max<int64_t>(n, 1) * sizeof(T), pool));
  PoolArray<T> out;
  out.data = reinterpret_cast<T*>(buffer->mutable_data());
  out.buffer = std::move(buffer);
  return out;
}

/// The rows of the input sorted by one (partition keys, order keys) specification. Keys are
/// compared through their dense ranks, so equality is type-independent and nulls are equal.
struct Layout {
  int64_t rows = 0;
  std::shared_ptr<arrow::Array> perm_array;  ///< sorted position -> input row; null: identity
  const uint64_t* perm = nullptr;
  std::vector<std::shared_ptr<arrow::Array>> ranks;  ///< keeps the rank arrays alive
  std::vector<const uint64_t*> partition_ranks;      ///< by input row
  std::vector<const uint64_t*> order_ranks;          ///< by input row
  PoolArray<int64_t> partition_starts;               ///< num_partitions + 1 entries
  int64_t num_partitions = 0;

  int64_t Row(int64_t k) const { return perm ? static_cast<int64_t>(perm[k]) : k; }
  bool SamePartition(int64_t a, int64_t b) const { return Same(partition_ranks, a, b); }
  bool SamePeer(int64_t a, int64_t b) const { return Same(order_ranks, a, b); }

 private:
  bool Same(const std::vector<const uint64_t*>& keys, int64_t a, int64_t b) const {
    int64_t ra = Row(a), rb = Row(b);
    for (const uint64_t* k : keys) {
      if (k[ra] != k[rb]) return false;
    }
    return true;
  }
};

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

/// How sum and avg accumulate their argument.
enum class SumMode { kNone, kInt, kFloat, kDecimal };

/// One call's prepared input and its output, both indexed by input row.
struct CallState {
  const WindowCall* call = nullptr;
  std::shared_ptr<arrow::Array> value;    ///< the value column as read (for the final take)
  std::shared_ptr<arrow::Array> numeric;  ///< sum/avg argument as int64 / float64 / decimal128
  SumMode sum_mode = SumMode::kNone;
  int32_t decimal_scale = 0;
  const uint64_t* value_ranks = nullptr;  ///< min/max: dense rank of each value
  // Outputs.
  PoolArray<int64_t> ints;   ///< integer results, or take indices (-1: null, -2: default)
  PoolArray<double> floats;  ///< floating results
  PoolArray<arrow::Decimal128> decimals;
  PoolArray<uint8_t> valid;  ///< 1 where a numeric result is valid

  bool IsNull(int64_t row) const { return value->IsNull(row); }
};

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
    default: {
      CA_ASSIGN_OR_RAISE(state->ints, Allocate<int64_t>(n, pool));
      return Status::OK();
    }
  }
}

/// The frame [lo, hi) of sorted position i, in partition [ps, pe) and peer group [gs, ge).
std::pair<int64_t, int64_t> FrameOf(const WindowFrame& frame, int64_t i, int64_t ps, int64_t pe,
                                    int64_t gs, int64_t ge) {
  bool rows = frame.units == WindowFrameUnits::kRows;
  int64_t lo = ps, hi = pe;
  const auto& s = frame.start;
  switch (s.kind) {
    case Kind::kPreceding:
      lo = s.offset >= i - ps ? ps : i - s.offset;
      break;
    case Kind::kCurrentRow:
      lo = rows ? i : gs;
      break;
    case Kind::kFollowing:
      lo = s.offset >= pe - i ? pe : i + s.offset;
      break;
    default:
      lo = ps;
      break;
  }
  const auto& e = frame.end;
  switch (e.kind) {
    case Kind::kPreceding:
      hi = e.offset > i - ps ? ps : i - e.offset + 1;
      break;
    case Kind::kCurrentRow:
      hi = rows ? i + 1 : ge;
      break;
    case Kind::kFollowing:
      hi = e.offset >= pe - i - 1 ? pe : i + e.offset + 1;
      break;
    default:
      hi = pe;
      break;
  }
  return {lo, std::max(lo, hi)};
}

/// Cancellation shared by the tasks of one operator run.
struct StopState {
  arrow::StopToken token;
  std::atomic<bool> failed{false};
  bool Stopped() const { return failed.load(std::memory_order_relaxed) || token.IsStopRequested(); }
};

/// Calls f(i, gs, ge, group) for each sorted position i of partition [ps, pe) with its peer
/// group [gs, ge) and the group's index; false when stopped midway.
template <typename F>
bool ForEachRow(const Layout& layout, int64_t ps, int64_t pe, const StopState& stop, F&& f) {
  int64_t group = 0;
  int64_t since_check = 0;
  for (int64_t gs = ps; gs < pe; ++group) {
    int64_t ge = gs + 1;
    while (ge < pe && layout.SamePeer(ge - 1, ge)) ++ge;
    for (int64_t i = gs; i < ge; ++i) f(i, gs, ge, group);
    since_check += ge - gs;
    if (since_check >= 65536) {
      since_check = 0;
      if (stop.Stopped()) return false;
    }
    gs = ge;
  }
  return true;
}

/// Running count / sum over a frame that moves forward: rows enter at hi and leave at lo.
struct SlidingSum {
  explicit SlidingSum(const CallState& s) : state(s) {}

  const CallState& state;
  int64_t count = 0;  ///< non-null values
  uint64_t ints = 0;  ///< wraps like Arrow's sum; exact whenever the result fits
  double floats = 0;  ///< sum of the finite values
  int64_t nan = 0, pos_inf = 0, neg_inf = 0;
  arrow::Decimal128 decimal;

  void Update(int64_t row, int sign) {
    if (!state.value || state.value->IsNull(row)) return;  // count(*) reads no value
    count += sign;
    switch (state.sum_mode) {
      case SumMode::kInt: {
        auto v =
            static_cast<uint64_t>(static_cast<const arrow::Int64Array&>(*state.numeric).Value(row));
        ints = sign > 0 ? ints + v : ints - v;
        break;
      }
      case SumMode::kFloat: {
        double v = static_cast<const arrow::DoubleArray&>(*state.numeric).Value(row);
        if (std::isnan(v)) {
          nan += sign;
        } else if (std::isinf(v)) {
          (v > 0 ? pos_inf : neg_inf) += sign;
        } else {
          floats += sign * v;
        }
        break;
      }
      case SumMode::kDecimal: {
        arrow::Decimal128 v(
            static_cast<const arrow::Decimal128Array&>(*state.numeric).GetValue(row));
        if (sign > 0) {
          decimal += v;
        } else {
          decimal -= v;
        }
        break;
      }
      case SumMode::kNone:
        break;
    }
  }

  double FloatSum() const {
    if (nan > 0 || (pos_inf > 0 && neg_inf > 0)) return std::numeric_limits<double>::quiet_NaN();
    if (pos_inf > 0) return std::numeric_limits<double>::infinity();
    if (neg_inf > 0) return -std::numeric_limits<double>::infinity();
    return floats;
  }

  double AsDouble() const {
    switch (state.sum_mode) {
      case SumMode::kInt:
        return static_cast<double>(static_cast<int64_t>(ints));
      case SumMode::kDecimal:
        return decimal.ToDouble(state.decimal_scale);
      default:
        return FloatSum();
    }
  }
};

bool ComputeAggregate(const Layout& layout, CallState& st, int64_t ps, int64_t pe,
                      const StopState& stop) {
  const WindowCall& call = *st.call;
  SlidingSum sum(st);
  int64_t lo_cur = ps, hi_cur = ps;
  std::deque<int64_t> extremes;  // min/max candidates: sorted positions, ranks monotone
  bool is_min = call.kind == WindowKind::kMin;
  auto enter = [&](int64_t k) {
    int64_t row = layout.Row(k);
    if (call.kind == WindowKind::kMin || call.kind == WindowKind::kMax) {
      if (!st.value_ranks || st.value->IsNull(row)) return;
      uint64_t r = st.value_ranks[row];
      while (!extremes.empty()) {
        uint64_t back = st.value_ranks[layout.Row(extremes.back())];
        if (is_min ? back < r : back > r) break;
        extremes.pop_back();
      }
      extremes.push_back(k);
    } else {
      sum.Update(row, +1);
    }
  };
  auto leave = [&](int64_t k) {
    if (call.kind == WindowKind::kMin || call.kind == WindowKind::kMax) {
      while (!extremes.empty() && extremes.front() <= k) extremes.pop_front();
    } else {
      sum.Update(layout.Row(k), -1);
    }
  };
  return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t gs, int64_t ge, int64_t) {
    auto [lo, hi] = FrameOf(call.frame, i, ps, pe, gs, ge);
    while (hi_cur < hi) enter(hi_cur++);
    while (lo_cur < lo) leave(lo_cur++);
    int64_t out = layout.Row(i);
    switch (call.kind) {
      case WindowKind::kCountAll:
        st.ints.data[out] = hi - lo;
        break;
      case WindowKind::kCount:
        st.ints.data[out] = sum.count;
        break;
      case WindowKind::kMin:
      case WindowKind::kMax:
        st.ints.data[out] = extremes.empty() ? -1 : layout.Row(extremes.front());
        break;
      case WindowKind::kSum:
        st.valid.data[out] = sum.count > 0;
        if (st.sum_mode == SumMode::kInt) {
          st.ints.data[out] = static_cast<int64_t>(sum.ints);
        } else if (st.sum_mode == SumMode::kDecimal) {
          st.decimals.data[out] = sum.decimal;
        } else if (st.sum_mode == SumMode::kFloat) {
          st.floats.data[out] = sum.FloatSum();
        }
        break;
      case WindowKind::kMean:
        st.valid.data[out] = sum.count > 0;
        st.floats.data[out] = sum.count > 0 ? sum.AsDouble() / static_cast<double>(sum.count) : 0;
        break;
      default:
        break;
    }
  });
}

/// The sorted position `offset` rows after i (before, when negative) within [ps, pe), or -1.
int64_t Shifted(int64_t i, int64_t offset, int64_t ps, int64_t pe) {
  if (offset >= 0) return offset < pe - i ? i + offset : -1;
  // -offset <= i - ps, written so that INT64_MIN cannot overflow
  return offset >= ps - i ? i + offset : -1;
}

bool ComputePartition(const Layout& layout, CallState& st, int64_t ps, int64_t pe,
                      const StopState& stop) {
  const WindowCall& call = *st.call;
  const int64_t size = pe - ps;
  int64_t* ints = st.ints.data;
  switch (call.kind) {
    case WindowKind::kRowNumber:
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t, int64_t, int64_t) {
        ints[layout.Row(i)] = i - ps + 1;
      });
    case WindowKind::kRank:
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t gs, int64_t, int64_t) {
        ints[layout.Row(i)] = gs - ps + 1;
      });
    case WindowKind::kDenseRank:
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t, int64_t, int64_t group) {
        ints[layout.Row(i)] = group + 1;
      });
    case WindowKind::kPercentRank:
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t gs, int64_t, int64_t) {
        st.floats.data[layout.Row(i)] =
            size <= 1 ? 0.0 : static_cast<double>(gs - ps) / static_cast<double>(size - 1);
      });
    case WindowKind::kCumeDist:
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t, int64_t ge, int64_t) {
        st.floats.data[layout.Row(i)] = static_cast<double>(ge - ps) / static_cast<double>(size);
      });
    case WindowKind::kNtile: {
      // As PostgreSQL: the first size % buckets buckets hold one row more than the others.
      int64_t buckets = call.param;
      int64_t base = size / buckets, extra = size % buckets;
      int64_t big_rows = extra * (base + 1);
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t, int64_t, int64_t) {
        int64_t r = i - ps;
        ints[layout.Row(i)] = r < big_rows ? r / (base + 1) + 1 : extra + (r - big_rows) / base + 1;
      });
    }
    case WindowKind::kLag:
    case WindowKind::kLead: {
      int64_t offset = call.param;
      if (call.kind == WindowKind::kLag) {
        offset = offset == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max()
                                                               : -offset;
      }
      int64_t missing = call.default_value ? -2 : -1;
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t, int64_t, int64_t) {
        int64_t target = Shifted(i, offset, ps, pe);
        ints[layout.Row(i)] = target < 0 ? missing : layout.Row(target);
      });
    }
    case WindowKind::kFirstValue:
    case WindowKind::kLastValue:
    case WindowKind::kNthValue:
      return ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t gs, int64_t ge, int64_t) {
        auto [lo, hi] = FrameOf(call.frame, i, ps, pe, gs, ge);
        int64_t pick = -1;
        if (call.kind == WindowKind::kFirstValue) {
          pick = lo < hi ? lo : -1;
        } else if (call.kind == WindowKind::kLastValue) {
          pick = lo < hi ? hi - 1 : -1;
        } else {
          pick = call.param - 1 < hi - lo ? lo + call.param - 1 : -1;
        }
        ints[layout.Row(i)] = pick < 0 ? -1 : layout.Row(pick);
      });
    default:
      return ComputeAggregate(layout, st, ps, pe, stop);
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
