#include "engine/window_partition.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <utility>

#include <arrow/compute/api_vector.h>

namespace codeanatomy::engine::internal {

namespace {

using Kind = WindowFrameBound::Kind;

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

/// A session window function over one partition: its arguments gathered in sorted order, each
/// row's frame (as the frame aggregates compute it) relative to the partition's start.
Status EvaluateUdf(const Layout& layout, CallState& st, int64_t ps, int64_t pe,
                   const std::vector<int64_t>& frame_start, const std::vector<int64_t>& frame_end) {
  const WindowCall& call = *st.call;
  const int64_t size = pe - ps;
  arrow::compute::ExecContext ctx(st.pool ? st.pool : arrow::default_memory_pool());
  std::shared_ptr<arrow::Array> indices;
  if (layout.perm) indices = layout.perm_array->Slice(ps, size);
  std::vector<std::shared_ptr<arrow::Array>> args;
  for (const auto& a : st.udf_args) {
    if (!indices) {
      args.push_back(a->Slice(ps, size));
      continue;
    }
    CA_ASSIGN_OR_RAISE(
        auto taken,
        arrow::compute::Take(a, indices, arrow::compute::TakeOptions::NoBoundsCheck(), &ctx));
    args.push_back(taken.make_array());
  }
  CA_ASSIGN_OR_RAISE(auto result,
                     call.udf->EvaluatePartition(args, size, frame_start.data(), frame_end.data()));
  auto invalid = [&](const std::string& why) {
    return InvalidError(stage::kExecution, "WINDOW_UDF_INVALID_RESULT",
                        "window function " + call.udf->name() + " " + why,
                        "{\"function\":" + JsonQuote(call.udf->name()) + "}");
  };
  if (result == nullptr) return invalid("returned no result");
  if (result->length() != size) {
    return invalid("returned " + std::to_string(result->length()) + " rows for a partition of " +
                   std::to_string(size));
  }
  if (!result->type()->Equals(*call.type)) {
    return invalid("returned " + result->type()->ToString() + " instead of " +
                   call.type->ToString());
  }
  if (!st.udf_nullable && result->null_count() > 0) {
    return invalid("returned nulls for a non-nullable result");
  }
  const int64_t* starts = layout.partition_starts.data;
  int64_t p = std::upper_bound(starts, starts + layout.num_partitions, ps) - starts - 1;
  st.udf_results[p] = std::move(result);
  return Status::OK();
}

bool ComputeUdf(const Layout& layout, CallState& st, int64_t ps, int64_t pe,
                const StopState& stop) {
  const WindowCall& call = *st.call;
  std::vector<int64_t> frame_start(pe - ps), frame_end(pe - ps);
  bool done = ForEachRow(layout, ps, pe, stop, [&](int64_t i, int64_t gs, int64_t ge, int64_t) {
    auto [lo, hi] = FrameOf(call.frame, i, ps, pe, gs, ge);
    frame_start[i - ps] = lo - ps;
    frame_end[i - ps] = hi - ps;
    st.ints.data[layout.Row(i)] = i;  // the row's position among the sorted results
  });
  if (!done) return false;
  Status status = EvaluateUdf(layout, st, ps, pe, frame_start, frame_end);
  if (!status.ok()) {
    stop.Fail(std::move(status));
    return false;
  }
  return true;
}

/// The sorted position `offset` rows after i (before, when negative) within [ps, pe), or -1.
int64_t Shifted(int64_t i, int64_t offset, int64_t ps, int64_t pe) {
  if (offset >= 0) return offset < pe - i ? i + offset : -1;
  // -offset <= i - ps, written so that INT64_MIN cannot overflow
  return offset >= ps - i ? i + offset : -1;
}

}  // namespace

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
    case WindowKind::kUdf:
      return ComputeUdf(layout, st, ps, pe, stop);
    default:
      return ComputeAggregate(layout, st, ps, pe, stop);
  }
}

}  // namespace codeanatomy::engine::internal
