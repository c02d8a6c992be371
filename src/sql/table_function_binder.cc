// Binding table functions in FROM (`FROM read_delta('path') AS t(a, b)`): constant arguments
// folded at planning time, checked against the function's parameters, and the provider it
// returns scanned like a registered table.
#include <arrow/compute/api.h>
#include <arrow/util/string.h>

#include "engine/physical_planner.h"
#include "engine/table_function.h"
#include "engine/table_provider.h"
#include "sql/binder.h"
#include "sql/binder_util.h"
#include "sql/parse_tree.h"

namespace codeanatomy::sql {

using engine::Expr;
using engine::ExprKind;
using namespace internal;  // NOLINT(build/namespaces)

namespace {

/// The first column reference, parameter or subquery in a parse tree, or null: what keeps an
/// expression from being a constant known at planning time.
const JsonValue* FindNonConstant(const JsonValue& node) {
  if (node.is_array()) {
    for (const auto& v : node.array_value()) {
      if (const JsonValue* hit = FindNonConstant(v)) return hit;
    }
    return nullptr;
  }
  if (!node.is_object()) return nullptr;
  std::string_view type = NodeType(node);
  if (type == "ColumnRef" || type == "SubLink" || type == "ParamRef") return &node;
  for (const auto& [key, child] : node.object_value()) {
    if (const JsonValue* hit = FindNonConstant(child)) return hit;
  }
  return nullptr;
}

/// The members of an error's details object without its braces (for ErrorAt's `extra`).
std::string DetailMembers(const Status& status) {
  std::string details = DescribeError(status).details_json;
  if (details.size() < 2 || details.front() != '{') return "";
  return details.substr(1, details.size() - 2);
}

}  // namespace

Result<engine::TableFunctionArgs> Binder::BindTableFunctionArgs(const engine::TableFunction& fn,
                                                                const JsonValue& call) {
  const JsonValue& body = NodeBody(call);
  if (Flag(body, "agg_star") || Flag(body, "agg_distinct") || !Member(body, "over").is_null() ||
      !Member(body, "agg_order").is_null() || !Member(body, "agg_filter").is_null()) {
    return ErrorAt(
        "NOT_SUPPORTED",
        "not supported: *, DISTINCT, ORDER BY, FILTER or OVER in table function " + fn.name, call);
  }
  engine::TableFunctionArgs args;
  std::vector<bool> given;
  const JsonArray& nodes = Items(Member(body, "args"));
  bool named_seen = false;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const JsonValue* value = &nodes[i];
    size_t slot = i;
    std::string parameter = i < fn.parameters.size() ? fn.parameters[i].name : "";
    if (NodeType(nodes[i]) == "NamedArgExpr") {
      // name => value: PostgreSQL's named notation, after any positional arguments.
      named_seen = true;
      const JsonValue& named = NodeBody(nodes[i]);
      parameter = Member(named, "name").string_value();
      auto names = fn.parameter_names();
      auto it = std::find_if(names.begin(), names.end(), [&](const std::string& n) {
        return arrow::internal::AsciiToLower(n) == arrow::internal::AsciiToLower(parameter);
      });
      if (it == names.end()) {
        return ErrorAt(
            "INVALID_TABLE_FUNCTION_ARGUMENT",
            "table function " + fn.Signature() + " has no parameter \"" + parameter + "\"",
            nodes[i],
            "\"function\":" + JsonQuote(fn.name) + ",\"parameter\":" + JsonQuote(parameter));
      }
      slot = static_cast<size_t>(it - names.begin());
      value = &Member(named, "arg");
    } else if (named_seen) {
      return ErrorAt("INVALID_TABLE_FUNCTION_ARGUMENT",
                     "positional argument cannot follow named argument", nodes[i],
                     "\"function\":" + JsonQuote(fn.name));
    }
    std::string detail = "\"function\":" + JsonQuote(fn.name) +
                         (parameter.empty() ? "" : ",\"parameter\":" + JsonQuote(parameter));
    if (const JsonValue* bad = FindNonConstant(*value)) {
      return ErrorAt("NON_CONSTANT_ARGUMENT",
                     "argument " + (parameter.empty() ? std::to_string(i + 1) : parameter) +
                         " of table function " + fn.name +
                         " must be a constant (no column references or subqueries)",
                     *bad, detail);
    }
    ExprScope scope;
    scope.clause = "table function arguments";
    CA_ASSIGN_OR_RAISE(auto e, BindExpr(*value, scope));
    e = engine::FoldConstants(e, fr_);
    if (e->kind != ExprKind::kLiteral) {
      return ErrorAt("NON_CONSTANT_ARGUMENT",
                     "argument " + (parameter.empty() ? std::to_string(i + 1) : parameter) +
                         " of table function " + fn.name + " must be a constant, got " +
                         engine::ToString(*e),
                     *value, detail);
    }
    if (slot >= args.size()) {
      args.resize(slot + 1);
      given.resize(slot + 1, false);
    }
    if (given[slot]) {
      return ErrorAt(
          "INVALID_TABLE_FUNCTION_ARGUMENT",
          "argument " + parameter + " of table function " + fn.name + " is given more than once",
          nodes[i], detail);
    }
    args[slot] = e->literal;
    given[slot] = true;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (given[i]) continue;
    if (!fn.parameters[i].optional) {
      return ErrorAt(
          "WRONG_ARITY",
          "table function " + fn.Signature() + ": missing argument " + fn.parameters[i].name, call,
          "\"function\":" + JsonQuote(fn.name) +
              ",\"parameter\":" + JsonQuote(fn.parameters[i].name));
    }
    args[i] = arrow::MakeNullScalar(fn.parameters[i].type);  // not given
  }
  return args;
}

Result<BoundRelation> Binder::BindRangeFunction(const JsonValue& node) {
  const JsonValue& body = NodeBody(node);
  if (Flag(body, "lateral")) {
    return ErrorAt("NOT_SUPPORTED", "not supported: LATERAL table functions", node);
  }
  if (Flag(body, "ordinality")) {
    return ErrorAt("NOT_SUPPORTED", "not supported: WITH ORDINALITY", node);
  }
  const JsonArray& functions = Items(Member(body, "functions"));
  if (functions.size() != 1 || Flag(body, "is_rowsfrom")) {
    return ErrorAt("NOT_SUPPORTED", "not supported: ROWS FROM (...)", node);
  }
  // Each entry is a two-item list: the call and its column definitions (ROWS FROM only).
  const JsonArray& parts = Items(Member(NodeBody(functions[0]), "items"));
  const JsonValue& call = parts.empty() ? functions[0] : parts[0];
  if (!Member(body, "coldeflist").is_null() || (parts.size() > 1 && NodeType(parts[1]) == "List")) {
    return ErrorAt("NOT_SUPPORTED", "not supported: column definition lists for table functions",
                   node);
  }
  if (NodeType(call) != "FuncCall") {
    return ErrorAt("NOT_SUPPORTED",
                   "not supported: " + std::string(NodeType(call)) + " as a table function", node);
  }
  std::vector<std::string> name_parts = StringList(Member(NodeBody(call), "funcname"));
  std::string name;
  for (const auto& p : name_parts) name += (name.empty() ? "" : ".") + p;
  // A planning error about the call (unknown name, arity, argument type) becomes an SQL error
  // at the call, keeping its code and details; errors of the function's own work (a missing
  // Delta table) keep their stage.
  auto at_call = [&](const Status& st) -> Status {
    ErrorInfo info = DescribeError(st);
    if (info.stage != stage::kPlanning) return st;
    return ErrorAt(info.code, info.message, call, DetailMembers(st));
  };
  auto found = state_->LookupTableFunction(name);
  if (!found.ok()) return at_call(found.status());
  std::shared_ptr<const engine::TableFunction> fn = *found;
  CA_ASSIGN_OR_RAISE(auto args, BindTableFunctionArgs(*fn, call));
  if (auto checked = engine::CheckArguments(*fn, args); !checked.ok()) {
    return at_call(checked.status());
  }
  BoundRelation rel;
  CA_ASSIGN_OR_RAISE(rel.plan, engine::PlanTableFunctionCall(*fn, args));
  std::string alias = name_parts.empty() ? name : name_parts.back();
  const JsonValue& alias_node = Member(body, "alias");
  std::vector<std::string> colnames;
  if (alias_node.is_object()) {
    alias = Member(alias_node, "aliasname").string_value();
    colnames = StringList(Member(alias_node, "colnames"));
  }
  const auto& fields = rel.plan->schema->fields();
  if (colnames.size() > fields.size()) {
    return ErrorAt("TOO_MANY_COLUMN_ALIASES",
                   "table function \"" + fn->name + "\" has " + std::to_string(fields.size()) +
                       " columns available but " + std::to_string(colnames.size()) +
                       " columns specified",
                   node);
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    rel.columns.push_back(
        {alias, i < colnames.size() ? colnames[i] : fields[i]->name(), fields[i]->name(), false});
  }
  return rel;
}

}  // namespace codeanatomy::sql
