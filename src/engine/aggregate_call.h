// Resolution of aggregate expressions (count, sum, ... and any registered Arrow aggregate).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/function_options.h>
#include <arrow/type.h>

#include "common/status.h"
#include "engine/expr.h"

namespace codeanatomy::engine {

/// An aggregate expression resolved against its input schema.
struct ResolvedAggregate {
  std::string function;  ///< Arrow scalar-aggregate name ("sum", "count_distinct", "count_all")
  std::vector<ExprPtr> args;  ///< scalar argument expressions
  std::vector<std::shared_ptr<arrow::DataType>> arg_types;
  std::shared_ptr<arrow::compute::FunctionOptions> options;
};

/// Resolves `[alias](aggregate(args...))`; anything else is a planning error.
Result<ResolvedAggregate> ResolveAggregateCall(const Expr& expr, const arrow::Schema& input,
                                               const FunctionResolver& fr);

/// SQL-semantics options for an Arrow aggregate (COUNT ignores nulls, ...); may be null.
std::shared_ptr<arrow::compute::FunctionOptions> DefaultAggregateOptions(
    const std::string& function);

}  // namespace codeanatomy::engine
