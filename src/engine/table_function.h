// Table functions: named, parameterized sources of tables (`FROM read_delta('path')`). A
// function takes constant arguments and returns a table provider, which a query scans like a
// registered table. Each session keeps its own registry (SessionState). A function without
// parameters that builds a MemoryTableProvider from session state is how listings such as
// `udf_registry()` and `udf_docs()` are hosted.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/json.h"
#include "common/status.h"
#include "engine/logical_plan.h"
#include "engine/table_provider.h"

namespace codeanatomy::engine {

/// The arguments of a call, one scalar per parameter given; a parameter left out is absent
/// from the end of the list, never a null placeholder.
using TableFunctionArgs = std::vector<std::shared_ptr<arrow::Scalar>>;

/// One parameter of a table function.
struct TableFunctionParameter {
  std::string name;
  /// The argument's type. An argument of the same family (any integer for int64, any string
  /// for utf8) is cast to it; another type is INVALID_TABLE_FUNCTION_ARGUMENT.
  std::shared_ptr<arrow::DataType> type;
  /// Optional parameters follow the required ones; a NULL argument leaves one out.
  bool optional = false;
};

/// A table function: its signature, its documentation and what it does.
struct TableFunction {
  using Invoke = std::function<Result<std::shared_ptr<TableProvider>>(const TableFunctionArgs&)>;

  std::string name;
  std::vector<TableFunctionParameter> parameters;
  /// One paragraph for users: what the table holds, one row per what.
  std::string doc;
  /// Called with arguments already checked against `parameters` (see CheckArguments).
  Invoke invoke;
  /// True when the parameters are not known here (a plugin function without a descriptor):
  /// any arguments are passed on as given (integers widened to int64, as DataFusion types
  /// integer literals; trailing NULLs dropped) and the function checks them itself.
  bool any_arguments = false;

  /// The parameter names, in order.
  std::vector<std::string> parameter_names() const;
  /// "read_delta(uri, [version])".
  std::string Signature() const;
};

/// Checks `args` against `fn`'s parameters and casts each to its parameter's type. A NULL
/// argument of an optional parameter means "not given": trailing ones are dropped, others stay
/// as null scalars of the parameter's type. Errors are stage planning: WRONG_ARITY
/// {function, expected, actual} or INVALID_TABLE_FUNCTION_ARGUMENT {function, parameter,
/// expected, actual}.
Result<TableFunctionArgs> CheckArguments(const TableFunction& fn, const TableFunctionArgs& args);

/// The function as a registry descriptor (the catalog form of functions/registry_snapshot.h):
/// {name, kind "table", aliases [], parameter_names, volatility "volatile", signatures (one
/// type-name list per accepted arity; utf8 for strings, else the Arrow type name), variadic,
/// return_type "table", doc, config_defaults {}}.
JsonValue TableFunctionDescriptor(const TableFunction& fn);

/// A function's name, doc and parameters back from its TableFunctionDescriptor (the longest
/// signature gives the types, the shortest the number of required parameters; variadic means
/// any_arguments); `invoke` is left empty. A malformed descriptor is an
/// INVALID_FUNCTION_DESCRIPTOR error (stage validation) naming the member.
Result<TableFunction> TableFunctionFromDescriptor(const JsonValue& descriptor);

/// Thread-safe registry of table functions, by case-insensitive name.
class TableFunctionRegistry {
 public:
  /// Registers (or replaces) a function. The name must be non-empty and `invoke` set.
  Status Register(TableFunction fn);
  /// The function of this name; unknown names are UNKNOWN_TABLE_FUNCTION (stage planning)
  /// suggesting close names in the message and `candidates` in the details.
  Result<std::shared_ptr<const TableFunction>> Lookup(const std::string& name) const;
  /// Registered names as registered, sorted case-insensitively.
  std::vector<std::string> Names() const;
  /// Every registered function, in Names() order (for listings such as a registry snapshot).
  std::vector<std::shared_ptr<const TableFunction>> Functions() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const TableFunction>> functions_;  // by lowercase name
};

/// Checks the arguments, invokes `fn` and plans a scan of the provider it returns (named by
/// TableFunctionCallName). Errors of the function itself (a missing Delta table) pass through
/// unchanged.
Result<PlanPtr> PlanTableFunctionCall(const TableFunction& fn, const TableFunctionArgs& args);

/// The scan name of a call in plans and explain output: "read_delta('t', 3)".
std::string TableFunctionCallName(const std::string& name, const TableFunctionArgs& args);

}  // namespace codeanatomy::engine
