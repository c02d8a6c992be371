// User-defined window functions: a function evaluated over one sorted partition at a time,
// with each row's frame bounds, and the per-session registry the window planner resolves them
// from. A session's window function shadows a built-in of the same name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/registry.h>
#include <arrow/type.h>

#include "common/status.h"

namespace codeanatomy::engine {

/// A window function defined outside the window operator (natively or by a plugin).
/// Implementations are immutable once registered and may be called concurrently from several
/// threads (one partition per call).
class WindowUdf {
 public:
  virtual ~WindowUdf() = default;

  /// The canonical name (lower-case).
  virtual const std::string& name() const = 0;
  /// Other names the function answers to.
  virtual const std::vector<std::string>& aliases() const = 0;
  /// The result's type and nullability (the field's name is ignored) for these argument
  /// types; a planning error when the function does not accept them. A non-nullable result
  /// that comes back with nulls is an execution error.
  virtual Result<std::shared_ptr<arrow::Field>> ReturnField(
      const std::vector<std::shared_ptr<arrow::DataType>>& arg_types) const = 0;
  /// Evaluates one partition sorted by the window's order: `args` hold its `num_rows` rows (of
  /// the types ReturnField accepted), `frame_start[r]` and `frame_end[r]` (end exclusive,
  /// positions within the partition) bound row r's frame. Returns `num_rows` results of the
  /// type ReturnField gave, in the partition's order.
  virtual Result<std::shared_ptr<arrow::Array>> EvaluatePartition(
      const std::vector<std::shared_ptr<arrow::Array>>& args, int64_t num_rows,
      const int64_t* frame_start, const int64_t* frame_end) const = 0;
};

/// What a window function name resolves to in a session: a function of its own, or (for an
/// alias of a built-in) the built-in's name.
struct WindowFunctionEntry {
  std::shared_ptr<const WindowUdf> udf;  ///< null: `target` names a built-in
  std::string target;
};

/// Registers `udf` under its name and aliases in `registry` (a session's function registry),
/// replacing what those names meant before. Window functions live in the registry under a
/// reserved prefix, invisible to scalar resolution, so that everything holding the registry
/// (the planner's FunctionResolver) reaches them and they vanish with the session.
Status RegisterWindowUdf(arrow::compute::FunctionRegistry* registry,
                         std::shared_ptr<const WindowUdf> udf);

/// Registers `alias` as another name of `target`: a window function of the registry when one
/// is registered under `target` at resolution time, else the built-in `target`.
Status RegisterWindowAlias(arrow::compute::FunctionRegistry* registry, const std::string& alias,
                           const std::string& target);

/// The window function registered under `name` (case-insensitive) following aliases, or null
/// when the name is not one of the registry's (it may still be a built-in: see
/// ResolveWindowName).
std::shared_ptr<const WindowUdf> LookupWindowUdf(arrow::compute::FunctionRegistry* registry,
                                                 const std::string& name);

/// Resolves `name` (case-insensitive) through the registry's window functions and aliases: the
/// UDF it names, or the lower-case built-in name to look up (with a null udf).
WindowFunctionEntry ResolveWindowName(arrow::compute::FunctionRegistry* registry,
                                      const std::string& name);

}  // namespace codeanatomy::engine
