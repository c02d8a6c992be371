// Logical expressions of the engine: an immutable tree that is resolved against a schema
// (names, types, function kinds) and lowered to arrow::compute::Expression for execution.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/compute/registry.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/status.h"

namespace codeanatomy::engine {

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

enum class ExprKind {
  kColumn,   ///< a column of the input, by name
  kLiteral,  ///< a constant Arrow scalar
  kCall,     ///< a function by name (operators are calls too, e.g. "add", "and")
  kAlias,    ///< renames its single argument
  kCast,     ///< converts its single argument to `type`
  kCase,     ///< CASE WHEN args[0] THEN args[1] ... [ELSE last]
  kInList,   ///< args[0] IN (args[1..]); `negated` for NOT IN
};

/// One node of a logical expression tree.
struct Expr {
  ExprKind kind;
  std::string name;                        ///< column name, function name or alias
  std::shared_ptr<arrow::Scalar> literal;  ///< kLiteral
  std::shared_ptr<arrow::DataType> type;   ///< kCast target
  std::vector<ExprPtr> args;
  bool has_else = false;  ///< kCase: the last arg is the ELSE value
  bool negated = false;   ///< kInList
  bool distinct = false;  ///< kCall of an aggregate: DISTINCT
  /// kCall: function options (e.g. arrow::compute::MatchSubstringOptions for LIKE)
  std::shared_ptr<arrow::compute::FunctionOptions> options;
};

/// A sort key: an expression with direction and null placement.
struct SortKey {
  ExprPtr expr;
  bool ascending = true;
  bool nulls_first = false;
};

// ---- construction ----
ExprPtr Column(std::string name);
ExprPtr Literal(std::shared_ptr<arrow::Scalar> value);
ExprPtr Call(std::string function, std::vector<ExprPtr> args,
             std::shared_ptr<arrow::compute::FunctionOptions> options = nullptr);
ExprPtr Alias(ExprPtr expr, std::string name);
ExprPtr Cast(ExprPtr expr, std::shared_ptr<arrow::DataType> type);
/// CASE WHEN when_then[0] THEN when_then[1] ... ELSE otherwise (nullptr = NULL).
ExprPtr Case(std::vector<std::pair<ExprPtr, ExprPtr>> when_then, ExprPtr otherwise);
ExprPtr InList(ExprPtr value, std::vector<ExprPtr> list, bool negated);
/// `value BETWEEN low AND high`, desugared to `value >= low AND value <= high`.
ExprPtr Between(ExprPtr value, ExprPtr low, ExprPtr high, bool negated);
/// `value LIKE pattern` (SQL wildcards % and _), case-insensitive for ILIKE.
ExprPtr Like(ExprPtr value, std::string pattern, bool case_insensitive, bool negated);
/// An aggregate call, optionally DISTINCT.
ExprPtr AggregateCall(std::string function, std::vector<ExprPtr> args, bool distinct = false);

/// SQL-style text of the expression, also its default output name.
std::string ToString(const Expr& expr);
/// Output name of an expression in a projection: alias, column name or its text.
std::string OutputName(const Expr& expr);
/// Strips a top-level alias.
const Expr& Unaliased(const Expr& expr);

/// The names of the columns an expression references, in first-use order, without duplicates.
std::vector<std::string> ReferencedColumns(const Expr& expr);
/// Rewrites column references through `rename` (old name -> replacement expression).
ExprPtr ReplaceColumns(const ExprPtr& expr,
                       const std::vector<std::pair<std::string, ExprPtr>>& rename);

/// Resolves engine function names to Arrow compute functions in a registry.
class FunctionResolver {
 public:
  explicit FunctionResolver(arrow::compute::FunctionRegistry* registry) : registry_(registry) {}

  /// Canonical Arrow function name for a user-facing name (e.g. "lower" -> "utf8_lower",
  /// "+" -> "add_checked"); the name itself when it is registered; error otherwise.
  Result<std::string> Resolve(const std::string& name) const;
  /// Whether `name` resolves to an aggregate function.
  bool IsAggregate(const std::string& name) const;
  arrow::compute::FunctionRegistry* registry() const { return registry_; }

 private:
  arrow::compute::FunctionRegistry* registry_;
};

/// A cast of `arg` to `type` (binds with the default registry or a session registry, whose
/// "cast" is shadowed by a bindable function: see arrow_cast.h).
Result<arrow::compute::Expression> MakeCast(arrow::compute::Expression arg,
                                            const std::shared_ptr<arrow::DataType>& type,
                                            arrow::compute::FunctionRegistry* registry,
                                            bool safe = true);

/// True when the tree contains an aggregate call.
bool ContainsAggregate(const Expr& expr, const FunctionResolver& resolver);

/// Finds a column by name; errors name the column and suggest the closest existing names.
Result<int> ResolveColumn(const arrow::Schema& schema, const std::string& name);

/// Lowers a scalar (non-aggregate) expression to an Arrow expression bound to `schema`.
Result<arrow::compute::Expression> LowerScalar(const Expr& expr, const arrow::Schema& schema,
                                               const FunctionResolver& resolver);
/// Output field (name, type, nullability) of a scalar expression over `schema`.
Result<std::shared_ptr<arrow::Field>> ScalarField(const Expr& expr, const arrow::Schema& schema,
                                                  const FunctionResolver& resolver);
/// An unbound copy of a bound expression (same calls, options and by-name field refs), for
/// Acero nodes that bind against a schema of their own (the hash join's residual filter).
arrow::compute::Expression Unbind(const arrow::compute::Expression& expr);

/// Evaluates calls over literals to literals (constant folding). Leaves the rest untouched.
ExprPtr FoldConstants(const ExprPtr& expr, const FunctionResolver& resolver);

}  // namespace codeanatomy::engine
