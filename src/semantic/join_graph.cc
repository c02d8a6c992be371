#include "semantic/join_graph.h"

#include <arrow/scalar.h>
#include <algorithm>

#include "sql/statement.h"

namespace codeanatomy::semantic {

namespace {

std::string Path(const char* list, size_t i) {
  return "$.join_graph." + std::string(list) + "[" + std::to_string(i) + "]";
}

Status Missing(std::string_view code, const std::string& path, const std::string& relation,
               const std::string& column) {
  return InvalidError(stage::kCompilation, code,
                      path + ": relation '" + relation + "' has no column '" + column + "'",
                      "{\"path\":" + JsonQuote(path) + ",\"relation\":" + JsonQuote(relation) +
                          ",\"column\":" + JsonQuote(column) + "}");
}

// The rows of `relation` breaking the constraint kind: SQL counting them.
std::string ViolationSql(const std::string& kind, const std::string& relation,
                         const std::vector<std::string>& columns) {
  std::vector<std::string> quoted;
  for (const auto& c : columns) quoted.push_back(QuoteIdent(c));
  if (kind == "not_null") {
    std::vector<std::string> nulls;
    for (const auto& q : quoted) nulls.push_back(q + " IS NULL");
    return "SELECT count(*) AS n FROM " + QuoteIdent(relation) + " WHERE " + Join(nulls, " OR ");
  }
  return "SELECT coalesce(sum(k - 1), 0) AS n FROM (SELECT count(*) AS k FROM " +
         QuoteIdent(relation) + " GROUP BY " + Join(quoted, ", ") + " HAVING count(*) > 1) AS d";
}

Result<int64_t> CountViolations(engine::SessionContext& ctx, const std::string& sql) {
  CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(ctx, sql));
  CA_ASSIGN_OR_RAISE(auto table, df.Collect());
  CA_ASSIGN_OR_RAISE(auto scalar, table->column(0)->GetScalar(0));
  CA_ASSIGN_OR_RAISE(auto as_int, scalar->CastTo(arrow::int64()));
  return std::static_pointer_cast<arrow::Int64Scalar>(as_int)->value;
}

}  // namespace

std::optional<std::vector<JoinKeyPair>> EdgeKeys(const JoinGraph& graph, const std::string& left,
                                                 const std::string& right) {
  for (const auto& e : graph.edges) {
    bool forward = e.left_relation == left && e.right_relation == right;
    bool backward = e.left_relation == right && e.right_relation == left;
    if (!forward && !backward) continue;
    std::vector<JoinKeyPair> keys;
    for (size_t i = 0; i < e.left_keys.size() && i < e.right_keys.size(); ++i) {
      keys.push_back(forward ? JoinKeyPair{e.left_keys[i], e.right_keys[i]}
                             : JoinKeyPair{e.right_keys[i], e.left_keys[i]});
    }
    return keys;
  }
  return std::nullopt;
}

Status CheckJoinGraphColumns(const JoinGraph& graph,
                             const std::map<std::string, std::vector<std::string>>& columns) {
  auto has = [&](const std::string& relation, const std::string& column) {
    auto it = columns.find(relation);
    return it != columns.end() &&
           std::find(it->second.begin(), it->second.end(), column) != it->second.end();
  };
  for (size_t i = 0; i < graph.edges.size(); ++i) {
    const auto& e = graph.edges[i];
    for (size_t k = 0; k < e.left_keys.size(); ++k) {
      if (!has(e.left_relation, e.left_keys[k])) {
        return Missing("INVALID_JOIN_KEYS",
                       Path("edges", i) + ".left_keys[" + std::to_string(k) + "]", e.left_relation,
                       e.left_keys[k]);
      }
    }
    for (size_t k = 0; k < e.right_keys.size(); ++k) {
      if (!has(e.right_relation, e.right_keys[k])) {
        return Missing("INVALID_JOIN_KEYS",
                       Path("edges", i) + ".right_keys[" + std::to_string(k) + "]",
                       e.right_relation, e.right_keys[k]);
      }
    }
  }
  for (size_t i = 0; i < graph.constraints.size(); ++i) {
    const auto& c = graph.constraints[i];
    for (const auto& relation : c.relations) {
      for (size_t k = 0; k < c.columns.size(); ++k) {
        if (!has(relation, c.columns[k])) {
          return Missing("INVALID_JOIN_CONSTRAINT",
                         Path("constraints", i) + ".columns[" + std::to_string(k) + "]", relation,
                         c.columns[k]);
        }
      }
    }
  }
  return Status::OK();
}

Status VerifyConstraints(engine::SessionContext& ctx, const JoinGraph& graph,
                         std::vector<RunWarning>& warnings) {
  for (size_t i = 0; i < graph.constraints.size(); ++i) {
    const auto& c = graph.constraints[i];
    std::string kind = c.constraint_type;
    std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
    std::vector<std::string> checks;
    if (kind == "not_null" || kind == "primary_key") checks.push_back("not_null");
    if (kind == "unique" || kind == "primary_key") checks.push_back("unique");
    if (checks.empty()) {
      JsonValue context = JsonValue::MakeObject();
      context.Set("constraint", c.name).Set("constraint_type", c.constraint_type);
      warnings.push_back({"JOIN_CONSTRAINT_UNCHECKED", std::string(stage::kCompliance),
                          "constraint '" + c.name + "' of type '" + c.constraint_type +
                              "' is not verified (known: not_null, unique, primary_key)",
                          std::move(context)});
      continue;
    }
    for (const auto& relation : c.relations) {
      for (const auto& check : checks) {
        CA_ASSIGN_OR_RAISE(int64_t n,
                           CountViolations(ctx, ViolationSql(check, relation, c.columns)));
        if (n == 0) continue;
        JsonValue details = JsonValue::MakeObject();
        details.Set("constraint", c.name)
            .Set("constraint_type", c.constraint_type)
            .Set("relation", relation)
            .Set("violation_count", n)
            .Set("path", Path("constraints", i));
        return InvalidError(stage::kCompliance, "JOIN_CONSTRAINT_VIOLATION",
                            "constraint '" + c.name + "' (" + check + " on " +
                                Join(c.columns, ", ") + ") fails on " + std::to_string(n) +
                                " row(s) of '" + relation + "'",
                            details.ToJson());
      }
    }
  }
  return Status::OK();
}

}  // namespace codeanatomy::semantic
