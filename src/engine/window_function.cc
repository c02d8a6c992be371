#include "engine/window_function.h"

#include <algorithm>
#include <map>
#include <set>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/util/string.h>

#include "common/suggest.h"

namespace codeanatomy::engine {

using arrow::internal::AsciiToLower;
namespace cp = arrow::compute;

namespace {

Status PlanningError(std::string_view code, std::string message, std::string details = "") {
  return InvalidError(stage::kPlanning, code, std::move(message), std::move(details));
}

struct FunctionInfo {
  WindowKind kind;
  size_t min_args;
  size_t max_args;
};

const std::map<std::string, FunctionInfo>& KnownFunctions() {
  static const std::map<std::string, FunctionInfo> kFunctions = {
      {"row_number", {WindowKind::kRowNumber, 0, 0}},
      {"rank", {WindowKind::kRank, 0, 0}},
      {"dense_rank", {WindowKind::kDenseRank, 0, 0}},
      {"percent_rank", {WindowKind::kPercentRank, 0, 0}},
      {"cume_dist", {WindowKind::kCumeDist, 0, 0}},
      {"ntile", {WindowKind::kNtile, 1, 1}},
      {"lag", {WindowKind::kLag, 1, 3}},
      {"lead", {WindowKind::kLead, 1, 3}},
      {"first_value", {WindowKind::kFirstValue, 1, 1}},
      {"last_value", {WindowKind::kLastValue, 1, 1}},
      {"nth_value", {WindowKind::kNthValue, 2, 2}},
      {"count", {WindowKind::kCount, 0, 1}},
      {"count_all", {WindowKind::kCountAll, 0, 0}},
      {"sum", {WindowKind::kSum, 1, 1}},
      {"min", {WindowKind::kMin, 1, 1}},
      {"max", {WindowKind::kMax, 1, 1}},
      {"avg", {WindowKind::kMean, 1, 1}},
      {"mean", {WindowKind::kMean, 1, 1}},
  };
  return kFunctions;
}

std::string CallText(const WindowFunction& w) {
  std::string out = w.function + "(";
  if (w.distinct) out += "DISTINCT ";
  for (size_t i = 0; i < w.args.size(); ++i) {
    if (i > 0) out += ", ";
    out += ToString(*w.args[i]);
  }
  return out + ")";
}

/// An integer literal argument (after constant folding), e.g. lag's offset.
Result<int64_t> IntegerLiteral(const WindowFunction& w, size_t index, const std::string& what,
                               const FunctionResolver& fr) {
  const Expr& e = Unaliased(*FoldConstants(w.args[index], fr));
  if (e.kind == ExprKind::kLiteral && e.literal->is_valid &&
      arrow::is_integer(e.literal->type->id())) {
    auto cast = e.literal->CastTo(arrow::int64());
    if (cast.ok()) return static_cast<const arrow::Int64Scalar&>(**cast).value;
  }
  return PlanningError("INVALID_WINDOW_ARGUMENT",
                       "the " + what + " of " + w.function + " must be an integer literal, got " +
                           ToString(*w.args[index]),
                       "{\"function\":" + JsonQuote(w.function) +
                           ",\"argument\":" + JsonQuote(ToString(*w.args[index])) + "}");
}

Status CheckScalar(const Expr& e, const arrow::Schema& input, const FunctionResolver& fr,
                   const std::string& context) {
  if (ContainsAggregate(e, fr)) {
    return PlanningError("AGGREGATE_NOT_ALLOWED",
                         "aggregate function in " + context + ": " + ToString(e),
                         "{\"expression\":" + JsonQuote(ToString(e)) + "}");
  }
  return ScalarField(e, input, fr).status();
}

Status CheckFrame(const WindowFunction& w, const WindowFrame& frame) {
  using Kind = WindowFrameBound::Kind;
  auto details = "{\"function\":" + JsonQuote(w.function) + "}";
  if (frame.start.kind == Kind::kUnboundedFollowing) {
    return PlanningError("INVALID_WINDOW_FRAME",
                         "frame start cannot be UNBOUNDED FOLLOWING in " + ToString(w), details);
  }
  if (frame.end.kind == Kind::kUnboundedPreceding) {
    return PlanningError("INVALID_WINDOW_FRAME",
                         "frame end cannot be UNBOUNDED PRECEDING in " + ToString(w), details);
  }
  if (static_cast<int>(frame.start.kind) > static_cast<int>(frame.end.kind)) {
    return PlanningError("INVALID_WINDOW_FRAME", "frame starts after it ends in " + ToString(w),
                         details);
  }
  for (const auto* b : {&frame.start, &frame.end}) {
    bool has_offset = b->kind == Kind::kPreceding || b->kind == Kind::kFollowing;
    if (!has_offset) continue;
    if (frame.units == WindowFrameUnits::kRange) {
      return InvalidError(stage::kPlanning, "NOT_SUPPORTED",
                          "not supported: RANGE frame with offset in " + ToString(w), details);
    }
    if (b->offset < 0) {
      return PlanningError("INVALID_WINDOW_FRAME",
                           "frame offsets must not be negative in " + ToString(w), details);
    }
  }
  return Status::OK();
}

/// The type sum/min/max/avg yield over `arg`, or a TYPE_MISMATCH error.
Result<std::shared_ptr<arrow::DataType>> AggregateType(const WindowFunction& w, WindowKind kind,
                                                       const std::shared_ptr<arrow::DataType>& arg,
                                                       const FunctionResolver& fr) {
  auto mismatch = [&]() {
    return PlanningError(
        "TYPE_MISMATCH",
        "window aggregate " + CallText(w) + " is not defined for argument type " + arg->ToString(),
        "{\"function\":" + JsonQuote(w.function) + ",\"type\":" + JsonQuote(arg->ToString()) + "}");
  };
  bool summable = arrow::is_integer(arg->id()) || arrow::is_floating(arg->id()) ||
                  arg->id() == arrow::Type::DECIMAL128 || arg->id() == arrow::Type::BOOL ||
                  arg->id() == arrow::Type::NA;
  switch (kind) {
    case WindowKind::kSum: {
      if (!summable) return mismatch();
      if (arg->id() == arrow::Type::NA) return arrow::int64();
      auto type = AggregateOutputType("sum", {arg}, fr);
      if (!type.ok()) return mismatch();
      return *type;
    }
    case WindowKind::kMean:
      if (!summable) return mismatch();
      return arrow::float64();
    default: {  // min, max
      if (arg->id() == arrow::Type::NA) return arg;
      auto type = AggregateOutputType(kind == WindowKind::kMin ? "min" : "max", {arg}, fr);
      if (!type.ok()) return mismatch();
      return arg;
    }
  }
}

/// The effective frame of `w`: its own, else the SQL default (whole partition without ORDER BY,
/// start to current peer group with it).
Result<WindowFrame> EffectiveFrame(const WindowFunction& w) {
  WindowFrame frame;
  if (w.frame) {
    frame = *w.frame;
  } else if (w.order_by.empty()) {
    frame.end.kind = WindowFrameBound::Kind::kUnboundedFollowing;
  }
  CA_RETURN_NOT_OK(CheckFrame(w, frame));
  return frame;
}

Status CheckKeys(const WindowFunction& w, const arrow::Schema& input, const FunctionResolver& fr) {
  for (const auto& p : w.partition_by) {
    CA_RETURN_NOT_OK(CheckScalar(*p, input, fr, "window PARTITION BY"));
  }
  for (const auto& k : w.order_by) {
    CA_RETURN_NOT_OK(CheckScalar(*k.expr, input, fr, "window ORDER BY"));
  }
  return Status::OK();
}

/// A call of a session window function: every argument is a column of the operator's input;
/// the function decides its result type (and refuses argument types) itself.
Result<ResolvedWindowFunction> ResolveUdfCall(const WindowFunction& w, const arrow::Schema& input,
                                              const FunctionResolver& fr,
                                              std::shared_ptr<const WindowUdf> udf) {
  if (w.distinct) {
    return InvalidError(stage::kPlanning, "NOT_SUPPORTED",
                        "not supported: DISTINCT in window function " + CallText(w),
                        "{\"function\":" + JsonQuote(w.function) + "}");
  }
  CA_RETURN_NOT_OK(CheckKeys(w, input, fr));
  ResolvedWindowFunction out;
  out.kind = WindowKind::kUdf;
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& a : w.args) {
    CA_RETURN_NOT_OK(CheckScalar(*a, input, fr, "window function argument"));
    CA_ASSIGN_OR_RAISE(auto field, ScalarField(*a, input, fr));
    types.push_back(field->type());
    out.args.push_back(a);
  }
  CA_ASSIGN_OR_RAISE(auto result, udf->ReturnField(types));
  if (result == nullptr) {
    return PlanningError("INVALID_WINDOW_ARGUMENT",
                         "window function " + udf->name() + " gave no result type",
                         "{\"function\":" + JsonQuote(w.function) + "}");
  }
  CA_ASSIGN_OR_RAISE(out.frame, EffectiveFrame(w));
  out.field = arrow::field(w.output_name, result->type(), result->nullable());
  out.udf = std::move(udf);
  return out;
}

}  // namespace

Result<ResolvedWindowFunction> ResolveWindowFunction(const WindowFunction& w,
                                                     const arrow::Schema& input,
                                                     const FunctionResolver& fr) {
  const auto& known = KnownFunctions();
  // A session's window function (or alias) first: it shadows the built-in of its name.
  WindowFunctionEntry entry = ResolveWindowName(fr.registry(), w.function);
  if (entry.udf) return ResolveUdfCall(w, input, fr, std::move(entry.udf));
  const std::string& name = entry.target;
  auto it = known.find(name);
  if (it == known.end()) {
    std::vector<std::string> names;
    for (const auto& [n, info] : known) names.push_back(n);
    auto candidates = ClosestNames(name, names, 3);
    return PlanningError(
        "UNKNOWN_WINDOW_FUNCTION",
        "unknown window function '" + w.function + "'" + SuggestionText(candidates),
        "{\"function\":" + JsonQuote(w.function) +
            ",\"candidates\":" + JsonStringArray(candidates) + "}");
  }
  const FunctionInfo& info = it->second;
  if (w.args.size() < info.min_args || w.args.size() > info.max_args) {
    std::string expected = std::to_string(info.min_args);
    if (info.max_args != info.min_args) expected += ".." + std::to_string(info.max_args);
    return PlanningError("WRONG_ARITY",
                         "window function " + w.function + " takes " + expected +
                             " argument(s), got " + std::to_string(w.args.size()),
                         "{\"function\":" + JsonQuote(w.function) +
                             ",\"expected\":" + JsonQuote(expected) +
                             ",\"actual\":" + std::to_string(w.args.size()) + "}");
  }
  if (w.distinct) {
    return InvalidError(stage::kPlanning, "NOT_SUPPORTED",
                        "not supported: DISTINCT in window function " + CallText(w),
                        "{\"function\":" + JsonQuote(w.function) + "}");
  }
  CA_RETURN_NOT_OK(CheckKeys(w, input, fr));

  ResolvedWindowFunction out;
  out.kind = info.kind;
  if (out.kind == WindowKind::kCount && w.args.empty()) out.kind = WindowKind::kCountAll;
  std::shared_ptr<arrow::DataType> value_type;
  bool has_value = out.kind != WindowKind::kNtile && !w.args.empty();
  if (has_value) {
    CA_RETURN_NOT_OK(CheckScalar(*w.args[0], input, fr, "window function argument"));
    CA_ASSIGN_OR_RAISE(auto field, ScalarField(*w.args[0], input, fr));
    out.value = w.args[0];
    value_type = field->type();
  }

  std::shared_ptr<arrow::DataType> type;
  bool nullable = true;
  switch (out.kind) {
    case WindowKind::kRowNumber:
    case WindowKind::kRank:
    case WindowKind::kDenseRank:
    case WindowKind::kCount:
    case WindowKind::kCountAll:
      type = arrow::int64();
      nullable = false;
      break;
    case WindowKind::kNtile: {
      CA_ASSIGN_OR_RAISE(out.param, IntegerLiteral(w, 0, "bucket count", fr));
      if (out.param <= 0) {
        return PlanningError(
            "INVALID_WINDOW_ARGUMENT",
            "the bucket count of ntile must be positive, got " + std::to_string(out.param),
            "{\"function\":" + JsonQuote(w.function) + "}");
      }
      type = arrow::int64();
      nullable = false;
      break;
    }
    case WindowKind::kPercentRank:
    case WindowKind::kCumeDist:
      type = arrow::float64();
      nullable = false;
      break;
    case WindowKind::kLag:
    case WindowKind::kLead: {
      if (w.args.size() >= 2) {
        CA_ASSIGN_OR_RAISE(out.param, IntegerLiteral(w, 1, "offset", fr));
      }
      if (w.args.size() == 3) {
        const Expr& d = Unaliased(*FoldConstants(w.args[2], fr));
        if (d.kind != ExprKind::kLiteral) {
          return PlanningError(
              "INVALID_WINDOW_ARGUMENT",
              "the default of " + w.function + " must be a literal, got " + ToString(*w.args[2]),
              "{\"function\":" + JsonQuote(w.function) +
                  ",\"argument\":" + JsonQuote(ToString(*w.args[2])) + "}");
        }
        if (d.literal->is_valid) {
          auto cast = cp::Cast(arrow::Datum(d.literal), value_type);
          if (!cast.ok()) {
            return PlanningError("TYPE_MISMATCH",
                                 "the default " + ToString(*w.args[2]) + " of " + w.function +
                                     " cannot be converted to " + value_type->ToString(),
                                 "{\"function\":" + JsonQuote(w.function) + "}");
          }
          out.default_value = cast->scalar();
        }
      }
      type = value_type;
      break;
    }
    case WindowKind::kNthValue: {
      CA_ASSIGN_OR_RAISE(out.param, IntegerLiteral(w, 1, "position", fr));
      if (out.param <= 0) {
        return PlanningError(
            "INVALID_WINDOW_ARGUMENT",
            "the position of nth_value must be positive, got " + std::to_string(out.param),
            "{\"function\":" + JsonQuote(w.function) + "}");
      }
      type = value_type;
      break;
    }
    case WindowKind::kFirstValue:
    case WindowKind::kLastValue:
      type = value_type;
      break;
    case WindowKind::kSum:
    case WindowKind::kMin:
    case WindowKind::kMax:
    case WindowKind::kMean: {
      CA_ASSIGN_OR_RAISE(type, AggregateType(w, out.kind, value_type, fr));
      break;
    }
    case WindowKind::kUdf:  // resolved by ResolveUdfCall
      break;
  }

  CA_ASSIGN_OR_RAISE(out.frame, EffectiveFrame(w));
  out.field = arrow::field(w.output_name, type, nullable);
  return out;
}

namespace {

std::string BoundText(const WindowFrameBound& b) {
  using Kind = WindowFrameBound::Kind;
  switch (b.kind) {
    case Kind::kUnboundedPreceding:
      return "UNBOUNDED PRECEDING";
    case Kind::kPreceding:
      return std::to_string(b.offset) + " PRECEDING";
    case Kind::kCurrentRow:
      return "CURRENT ROW";
    case Kind::kFollowing:
      return std::to_string(b.offset) + " FOLLOWING";
    case Kind::kUnboundedFollowing:
      return "UNBOUNDED FOLLOWING";
  }
  return "";
}

}  // namespace

std::string ToString(const WindowFunction& w) {
  std::string out = CallText(w) + " OVER (";
  std::string sep;
  if (!w.partition_by.empty()) {
    out += "PARTITION BY ";
    for (size_t i = 0; i < w.partition_by.size(); ++i) {
      out += (i > 0 ? ", " : "") + ToString(*w.partition_by[i]);
    }
    sep = " ";
  }
  if (!w.order_by.empty()) {
    out += sep + "ORDER BY ";
    for (size_t i = 0; i < w.order_by.size(); ++i) {
      const auto& k = w.order_by[i];
      out += (i > 0 ? ", " : "") + ToString(*k.expr) + (k.ascending ? " ASC" : " DESC") +
             (k.nulls_first ? " NULLS FIRST" : " NULLS LAST");
    }
    sep = " ";
  }
  if (w.frame) {
    out += sep + (w.frame->units == WindowFrameUnits::kRows ? "ROWS" : "RANGE") + " BETWEEN " +
           BoundText(w.frame->start) + " AND " + BoundText(w.frame->end);
  }
  return out + ") AS " + w.output_name;
}

std::vector<std::string> ReferencedColumns(const WindowFunction& w) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const ExprPtr& e) {
    for (auto& c : ReferencedColumns(*e)) {
      if (seen.insert(c).second) out.push_back(c);
    }
  };
  for (const auto& a : w.args) add(a);
  for (const auto& p : w.partition_by) add(p);
  for (const auto& k : w.order_by) add(k.expr);
  return out;
}

}  // namespace codeanatomy::engine
