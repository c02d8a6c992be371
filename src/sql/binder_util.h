// Small helpers shared by the binder's files: parse-tree walks and relation utilities.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "engine/expr.h"
#include "sql/binder.h"

namespace codeanatomy::sql::internal {

/// Whether `e` is a non-null string constant (PostgreSQL's untyped literal).
bool IsStringLiteral(const engine::Expr& e);
/// A boolean member of a parse-tree node body (false when absent).
bool Flag(const JsonValue& body, std::string_view key);
/// The elements of a list member (empty when absent).
const JsonArray& Items(const JsonValue& list);
/// PostgreSQL's default output name of a select-list expression ("?column?" for most).
std::string DefaultName(const JsonValue& node);
/// Whether a parse tree has an aggregate call of this query level (not in subqueries or
/// window calls).
bool ContainsAggregateNode(const JsonValue& node, const engine::FunctionResolver& fr);
/// Whether a parse tree has a subquery.
bool ContainsSubLink(const JsonValue& node);
/// The conjuncts of a WHERE parse tree.
void SplitAndNodes(const JsonValue& node, std::vector<const JsonValue*>* out);
/// The field name of a set operation's i-th column ("c0", "c1", ...).
std::string PositionalName(size_t i);
/// A copy of `e` with new arguments.
ExprPtr WithArgs(const ExprPtr& e, std::vector<ExprPtr> args);
/// Splits join-condition conjuncts into equi-join keys (a left column = a right column) and
/// a residual.
void SplitJoinCondition(const std::vector<ExprPtr>& conjuncts, const std::set<std::string>& left,
                        const std::set<std::string>& right, std::vector<std::string>* lkeys,
                        std::vector<std::string>* rkeys, std::vector<ExprPtr>* residual);
/// The conjuncts of a predicate, with the conjuncts common to every branch of a top-level OR
/// factored out: (k = j AND a) OR (k = j AND b) gives k = j and (a OR b).
std::vector<ExprPtr> FactorCommonConjuncts(const ExprPtr& predicate);
/// For an OR, the disjunction over its branches of each branch's conjuncts that `keep`
/// accepts; null when some branch has none (nothing is implied) or `predicate` is no OR.
ExprPtr ImpliedDisjunction(const ExprPtr& predicate,
                           const std::function<bool(const ExprPtr&)>& keep);
/// The field names of a relation's plan.
std::set<std::string> FieldSet(const BoundRelation& rel);
/// The type both sides of a set operation are cast to; null when none.
std::shared_ptr<arrow::DataType> CommonType(const std::shared_ptr<arrow::DataType>& a,
                                            const std::shared_ptr<arrow::DataType>& b);

}  // namespace codeanatomy::sql::internal
