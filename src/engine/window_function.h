// Resolution of window function calls against their input schema: the function's kind, its
// literal parameters, the effective frame and the output type. Done when a window node is
// planned, so that every name, arity and type error surfaces before execution.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/status.h"
#include "engine/expr.h"
#include "engine/logical_plan.h"
#include "engine/window_udf.h"

namespace codeanatomy::engine {

/// The window functions the window operator implements.
enum class WindowKind {
  kRowNumber,
  kRank,
  kDenseRank,
  kPercentRank,
  kCumeDist,
  kNtile,
  kLag,
  kLead,
  kFirstValue,
  kLastValue,
  kNthValue,
  kCount,     ///< count(value): non-null values in the frame
  kCountAll,  ///< count(*): rows in the frame
  kSum,
  kMin,
  kMax,
  kMean,
  kUdf,  ///< a session's WindowUdf (ResolvedWindowFunction::udf)
};

/// A window function call resolved against its input schema.
struct ResolvedWindowFunction {
  WindowKind kind = WindowKind::kRowNumber;
  ExprPtr value;      ///< the value argument; null for ranking functions and count(*)
  int64_t param = 1;  ///< lag/lead offset, ntile bucket count, nth_value position
  /// lag/lead default, of the value's type; null: SQL NULL
  std::shared_ptr<arrow::Scalar> default_value;
  WindowFrame frame;  ///< the effective frame: the SQL default when the call has none
  std::shared_ptr<arrow::Field> field;   ///< output name, type and nullability
  std::shared_ptr<const WindowUdf> udf;  ///< kUdf: the function
  std::vector<ExprPtr> args;             ///< kUdf: every argument, in order
};

/// Resolves `w` over `input`. A window function of the session (in `fr`'s registry, see
/// window_udf.h) shadows the built-in of the same name; an alias registered there resolves to
/// its target. Errors are planning errors: UNKNOWN_COLUMN (as ResolveColumn),
/// UNKNOWN_WINDOW_FUNCTION, WRONG_ARITY, INVALID_WINDOW_ARGUMENT, INVALID_WINDOW_FRAME,
/// TYPE_MISMATCH and NOT_SUPPORTED (DISTINCT, RANGE frames with offsets).
Result<ResolvedWindowFunction> ResolveWindowFunction(const WindowFunction& w,
                                                     const arrow::Schema& input,
                                                     const FunctionResolver& fr);

/// SQL-style text: `f(args) OVER (PARTITION BY ... ORDER BY ... frame) AS name`.
std::string ToString(const WindowFunction& w);

/// The columns a window function reads, in first-use order, without duplicates.
std::vector<std::string> ReferencedColumns(const WindowFunction& w);

}  // namespace codeanatomy::engine
