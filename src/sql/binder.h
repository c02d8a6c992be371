// The SQL binder: PostgreSQL parse trees (see parse_tree.h) to the engine's logical plans and
// expressions, so SQL and the DataFrame API share one optimizer and one executor.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "engine/expr.h"
#include "engine/logical_plan.h"
#include "engine/session_state.h"
#include "engine/table_function.h"
#include "engine/view.h"
#include "sql/statement.h"

namespace codeanatomy::sql {

using engine::ExprPtr;
using engine::PlanPtr;

/// A column visible to SQL names: `qualifier.name`, produced by plan field `field`.
struct BoundColumn {
  std::string qualifier;  ///< table alias; empty for unnamed derived columns
  std::string name;       ///< the SQL-visible name
  std::string field;      ///< the field of the relation's plan schema
  bool merged = false;    ///< the right copy of a USING/NATURAL key: hidden from * and bare names
};

/// A relation under construction: its plan and the names SQL sees.
struct BoundRelation {
  PlanPtr plan;
  std::vector<BoundColumn> columns;
};

/// An SQL macro (CREATE FUNCTION ... RETURN expr): expanded where it is called.
struct SqlMacro {
  std::vector<std::string> params;
  std::vector<std::shared_ptr<arrow::DataType>> param_types;
  std::shared_ptr<arrow::DataType> return_type;
  JsonValue body;         ///< the parse tree of the RETURN expression
  std::string body_text;  ///< the statement text, for error positions
};

/// Per-session SQL state: macros, kept in the session's extension slot.
struct SqlSessionState {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const SqlMacro>> macros;
};

/// The SQL session state of `state` (created on first use).
std::shared_ptr<SqlSessionState> SqlStateOf(engine::SessionState& state);

/// Where an expression is bound.
struct ExprScope {
  BoundRelation* rel = nullptr;       ///< visible columns; subqueries join into it
  const ExprScope* outer = nullptr;   ///< the enclosing query block, for correlation
  bool allow_aggregates = false;      ///< aggregate calls bind to aggregate expressions
  bool allow_windows = false;         ///< window calls bind (SELECT list, ORDER BY)
  bool* uses_outer = nullptr;         ///< set when an outer column is referenced
  const char* clause = "expression";  ///< for errors: "WHERE", "ON", ...
};

/// Prefix of a column reference to the enclosing query block (a correlated reference).
inline constexpr std::string_view kOuterPrefix = "$outer.";

/// The correlation of a subquery with its enclosing block: WHERE conjuncts that reference
/// outer columns, pulled out of the subquery to become join conditions.
struct Correlation {
  std::vector<ExprPtr> conjuncts;       ///< over the exposed fields and $outer references
  std::vector<const JsonValue*> nodes;  ///< their parse nodes, for errors
  std::vector<std::string> exposed;     ///< inner fields appended to the subquery's output
  bool grouped = false;                 ///< the subquery aggregates (grouped by its keys)
};

/// A query block's aggregation under construction.
struct AggregateState {
  std::vector<std::string> group_text;    ///< ToString of each group expression
  std::vector<std::string> group_fields;  ///< its output field
  std::vector<ExprPtr> group_exprs;
  std::vector<std::string> agg_text;
  std::vector<std::string> agg_fields;
  std::vector<ExprPtr> aggregates;
  std::vector<BoundColumn> input_columns;  ///< for error messages
  std::set<std::string> constant_fields;   ///< scalar-subquery values (constant per query)
};

class Binder {
 public:
  Binder(std::shared_ptr<engine::SessionState> state, std::string text)
      : state_(std::move(state)), text_(std::move(text)), fr_(state_->resolver()) {}

  /// A query statement (SelectStmt body) to a relation. `outer` is set for subqueries, and
  /// `corr` collects their correlation (null: correlated references are refused).
  Result<BoundRelation> BindQuery(const JsonValue& select, const ExprScope* outer = nullptr,
                                  Correlation* corr = nullptr);
  /// A query statement node to a plan whose field names are the SQL output names.
  Result<PlanPtr> PlanQuery(const JsonValue& select_node);
  /// A relation's plan with its fields renamed to the SQL output names (deduplicated).
  Result<PlanPtr> OutputPlan(const BoundRelation& rel);
  /// An expression node in `scope`.
  Result<ExprPtr> BindExpr(const JsonValue& node, ExprScope& scope);
  /// A type name node (TypeName body) to an Arrow type.
  Result<std::shared_ptr<arrow::DataType>> BindType(const JsonValue& type_name);

  const std::string& text() const { return text_; }
  const engine::FunctionResolver& resolver() const { return fr_; }
  /// The values of the query's positional parameters: `$n` binds to `params[n - 1]`.
  void set_params(const SqlParams* params) { params_ = params; }
  /// An error of stage sql at `node`'s location.
  Status ErrorAt(std::string_view code, std::string message, const JsonValue& node,
                 std::string extra = "") const;
  /// The type of a bound expression over a relation.
  Result<std::shared_ptr<arrow::DataType>> TypeOf(const ExprPtr& expr, const BoundRelation& rel);
  /// A fresh internal field name.
  std::string FreshName(std::string_view base);

  /// Makes `right`'s field names distinct from `taken` (projecting renamed copies).
  Result<BoundRelation> Disambiguate(BoundRelation right, const std::set<std::string>& taken);
  /// Joins two relations whose fields are disjoint.
  Result<BoundRelation> JoinRelations(BoundRelation left, BoundRelation right,
                                      engine::JoinType type, std::vector<std::string> left_keys,
                                      std::vector<std::string> right_keys, ExprPtr filter);

 private:
  // expressions (expr_binder.cc)
  Result<ExprPtr> BindColumnRef(const JsonValue& node, ExprScope& scope);
  Result<ExprPtr> BindConst(const JsonValue& body);
  Result<ExprPtr> BindAExpr(const JsonValue& node, ExprScope& scope);
  Result<ExprPtr> BindFuncCall(const JsonValue& node, ExprScope& scope);
  Result<ExprPtr> BindTypeCast(const JsonValue& node, ExprScope& scope);
  Result<ExprPtr> BindCase(const JsonValue& node, ExprScope& scope);
  Result<ExprPtr> BindMacro(const SqlMacro& macro, const std::string& name,
                            std::vector<ExprPtr> args, const JsonValue& node);
  Result<ExprPtr> Coerce(ExprPtr literal_side, const ExprPtr& other, const BoundRelation& rel);
  /// date/timestamp arithmetic with PostgreSQL's types; null when the operands are not dates.
  Result<ExprPtr> TemporalArithmetic(const std::string& op, const ExprPtr& l, const ExprPtr& r,
                                     const BoundRelation& rel, const JsonValue& node);
  Result<std::pair<ExprPtr, ExprPtr>> FitDecimalPrecision(const std::string& op, ExprPtr l,
                                                          ExprPtr r, const BoundRelation& rel);
  Result<ExprPtr> Compare(std::string op, ExprPtr l, ExprPtr r, ExprScope& scope,
                          const JsonValue& node);

  // window calls (window_binder.cc)
  Result<ExprPtr> BindWindowCall(const JsonValue& node, ExprScope& scope, std::string name,
                                 std::vector<ExprPtr> args, bool star);
  Result<engine::WindowFrameBound> FrameBound(int64_t options, bool start, const JsonValue& offset,
                                              const JsonValue& over);

  // subqueries (subquery.cc)
  Result<ExprPtr> BindSubLink(const JsonValue& node, ExprScope& scope);
  Result<bool> PlanSubqueryPredicate(const JsonValue& node, ExprScope& scope);
  Result<BoundRelation> BindSubquery(const JsonValue& sublink, ExprScope& scope, Correlation* corr,
                                     size_t expected_columns);
  Status JoinCorrelated(BoundRelation sub, Correlation& corr, ExprScope& scope,
                        engine::JoinType type, std::vector<std::pair<ExprPtr, std::string>> extra,
                        std::vector<std::string>* visible);
  Result<std::string> Materialize(const ExprPtr& expr, BoundRelation* rel);
  /// Whether every correlation conjunct is `inner column = expression over outer columns`.
  bool EqualityCorrelation(const Correlation& corr) const;

  // queries (query_binder.cc)
  Result<BoundRelation> BindSelectBlock(const JsonValue& select, const ExprScope* outer,
                                        Correlation* corr);
  Result<BoundRelation> BindSelectBlockImpl(const JsonValue& select, const ExprScope* outer,
                                            Correlation* corr);
  Result<BoundRelation> BindFromList(const JsonValue& from, const JsonValue& where,
                                     const ExprScope* outer);
  Result<BoundRelation> BindFromItem(const JsonValue& item, const ExprScope* outer);
  Result<BoundRelation> BindRangeVar(const JsonValue& node);
  Result<BoundRelation> BindRangeFunction(const JsonValue& node);
  Result<engine::TableFunctionArgs> BindTableFunctionArgs(const engine::TableFunction& fn,
                                                          const JsonValue& call);
  Result<BoundRelation> BindViewDefinition(const std::string& name,
                                           const engine::ViewProvider& view, const JsonValue& node);
  Result<BoundRelation> BindJoinExpr(const JsonValue& node, const ExprScope* outer);
  Result<BoundRelation> BindSetOp(const JsonValue& select, const ExprScope* outer);
  Result<BoundRelation> BindValues(const JsonValue& select);
  Result<BoundRelation> OneRow();
  Result<BoundRelation> CastColumns(BoundRelation rel,
                                    const std::vector<std::shared_ptr<arrow::DataType>>& types);
  Status BindWithClause(const JsonValue& with_clause);
  Status ApplyWhere(const JsonValue& where, ExprScope& scope, Correlation* corr);
  Status ApplyLimit(const JsonValue& select, BoundRelation* rel);
  Status ApplyOrderByOutputs(const JsonValue& select, BoundRelation* rel);
  Result<engine::SortKey> SortKeyOf(const JsonValue& sortby, ExprPtr expr);
  Result<int64_t> ConstantInt(const JsonValue& node, const char* clause);
  Status PlanDistinctAggregates(BoundRelation* rel, AggregateState* agg, const JsonValue& node);
  Result<ExprPtr> RewriteGrouped(const ExprPtr& e, AggregateState& agg, const JsonValue& node);

  std::shared_ptr<engine::SessionState> state_;
  std::string text_;
  engine::FunctionResolver fr_;
  const SqlParams* params_ = nullptr;
  std::vector<std::map<std::string, BoundRelation>> ctes_;  ///< WITH scopes, innermost last
  std::set<std::string> constant_fields_;              ///< fields holding scalar-subquery values
  std::set<std::string> consumed_where_;               ///< WHERE conjuncts the FROM list applied
  std::vector<engine::WindowFunction> windows_;        ///< window calls of the block being bound
  std::vector<const BoundRelation*> outer_relations_;  ///< enclosing blocks, innermost first
  int fresh_counter_ = 0;
};

/// A relation that only names typed columns and holds no data: the scope of a macro body, a
/// standalone expression or a FROM list's combined columns. It can type expressions, never run.
BoundRelation SchemaRelation(std::vector<std::shared_ptr<arrow::Field>> fields,
                             std::vector<BoundColumn> columns);
/// A macro's parameters as such a relation (fields "$param.<name>").
BoundRelation MacroParameters(const SqlMacro& macro);

/// Splits a conjunction into its conjuncts.
std::vector<ExprPtr> SplitConjunction(const ExprPtr& expr);
/// AND of `conjuncts` (null when empty).
ExprPtr Conjunction(const std::vector<ExprPtr>& conjuncts);
/// Whether the expression references a column of the enclosing block.
bool HasOuterReference(const engine::Expr& expr);

/// Parses `text` as one SQL expression bound to `schema` (the predicate language of Delta
/// operations and filters).
Result<ExprPtr> ParseSqlExpression(const std::string& text, const arrow::Schema& schema,
                                   std::shared_ptr<engine::SessionState> state);

}  // namespace codeanatomy::sql
