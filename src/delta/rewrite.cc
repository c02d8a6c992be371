#include "delta/rewrite.h"

#include <functional>

#include <arrow/util/key_value_metadata.h>

#include "delta/delta_error.h"
#include "delta/provider.h"
#include "engine/session_context.h"
#include "sql/binder.h"

namespace codeanatomy::delta {

namespace {

// Rows of `table` for which `predicate` is not true (or, with `matching`, is true).
Result<std::shared_ptr<arrow::Table>> RowsNotMatching(engine::SessionContext& ctx,
                                                      const std::shared_ptr<arrow::Table>& table,
                                                      const std::string& predicate,
                                                      bool matching = false) {
  CA_RETURN_NOT_OK(ctx.RegisterTable("rows", table));
  CA_ASSIGN_OR_RAISE(auto df, ctx.Table("rows"));
  auto pred = sql::ParseSqlExpression(predicate, *table->schema(), ctx.state());
  CA_RETURN_NOT_OK(ctx.Deregister("rows"));
  if (!pred.ok()) {
    return WithStage(pred.status(), stage::kSql, "INVALID_PREDICATE");
  }
  auto is_true = engine::Call("coalesce", {*pred, engine::Literal(arrow::MakeScalar(false))});
  CA_ASSIGN_OR_RAISE(df, df.Filter(matching ? is_true : engine::Call("not", {is_true})));
  return df.Collect();
}

Result<std::shared_ptr<arrow::Table>> Concat(const std::vector<std::shared_ptr<arrow::Table>>& t) {
  if (t.empty()) return std::shared_ptr<arrow::Table>();
  return arrow::ConcatenateTables(t);
}

// The files the predicate may match (by partition values and statistics), each with its rows.
struct Candidate {
  const FileAction* file;
  std::shared_ptr<arrow::Table> rows;
};
// Records the files read and the filter in `out`.
Result<std::vector<Candidate>> ReadCandidates(const std::shared_ptr<const Snapshot>& snapshot,
                                              const DeltaTableProvider& provider,
                                              engine::SessionContext& ctx,
                                              const engine::ExprPtr& predicate,
                                              PredicateRewrite* out) {
  const auto& schema = snapshot->schema();
  CA_ASSIGN_OR_RAISE(auto lowered,
                     engine::LowerScalar(*predicate, *schema, ctx.state()->resolver()));
  out->read_filter = engine::Unbind(lowered);
  CA_ASSIGN_OR_RAISE(auto files, provider.PrunedFiles(out->read_filter));
  out->read = files;
  std::vector<int> columns(schema->num_fields());
  for (int i = 0; i < schema->num_fields(); ++i) columns[i] = i;
  std::vector<Candidate> candidates;
  for (const FileAction* f : files) {
    CA_ASSIGN_OR_RAISE(auto path, snapshot->DataFilePath(f->path));
    CA_ASSIGN_OR_RAISE(auto rows, provider.ReadFile(*f, path, columns));
    candidates.push_back({f, std::move(rows)});
  }
  return candidates;
}

}  // namespace

Status CheckWriteConstraints(const std::shared_ptr<arrow::Table>& data,
                             const arrow::Schema& table_schema,
                             const std::map<std::string, std::string>& table_properties) {
  for (const auto& field : table_schema.fields()) {
    if (field->nullable()) continue;
    auto column = data->GetColumnByName(field->name());
    int64_t nulls = column ? column->null_count() : data->num_rows();
    if (nulls > 0) {
      return DeltaError(
          "NOT_NULL_VIOLATION",
          std::to_string(nulls) + " row(s) have NULL in non-nullable column '" + field->name() +
              "'",
          "\"column_name\":" + JsonQuote(field->name()) + ",\"rows\":" + std::to_string(nulls));
    }
  }
  // Column invariants (writer version 2): field metadata "delta.invariants" holding
  // {"expression": {"expression": "<SQL>"}}, on columns at any depth of structs.
  std::vector<std::pair<std::string, std::string>> invariants;
  std::function<Status(const arrow::Field&, const std::string&)> collect =
      [&](const arrow::Field& f, const std::string& path) -> Status {
    if (f.metadata()) {
      if (auto text = f.metadata()->Get("delta.invariants"); text.ok()) {
        auto json = JsonValue::Parse(*text);
        const JsonValue* outer = json.ok() ? json->Get("expression") : nullptr;
        const JsonValue* inner = outer != nullptr ? outer->Get("expression") : nullptr;
        if (inner == nullptr || !inner->is_string()) {
          return DeltaError("INVALID_INVARIANT",
                            "column '" + path + "' has a malformed delta.invariants: " + *text,
                            "\"column_name\":" + JsonQuote(path));
        }
        invariants.emplace_back(path, inner->string_value());
      }
    }
    if (f.type()->id() == arrow::Type::STRUCT) {
      for (const auto& child : f.type()->fields()) {
        CA_RETURN_NOT_OK(collect(*child, path + "." + child->name()));
      }
    }
    return Status::OK();
  };
  for (const auto& field : table_schema.fields()) {
    CA_RETURN_NOT_OK(collect(*field, field->name()));
  }
  for (const auto& [column, expression] : invariants) {
    CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
    CA_ASSIGN_OR_RAISE(auto outside, RowsNotMatching(ctx, data, expression));
    if (outside->num_rows() > 0) {
      return DeltaError(
          "INVARIANT_VIOLATION",
          std::to_string(outside->num_rows()) + " row(s) violate the invariant of column '" +
              column + "' (" + expression + ")",
          "\"column_name\":" + JsonQuote(column) + ",\"expression\":" + JsonQuote(expression) +
              ",\"rows\":" + std::to_string(outside->num_rows()));
    }
  }
  constexpr std::string_view kPrefix = "delta.constraints.";
  for (const auto& [key, expression] : table_properties) {
    if (key.rfind(kPrefix, 0) != 0) continue;
    std::string name = key.substr(kPrefix.size());
    CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
    CA_ASSIGN_OR_RAISE(auto outside, RowsNotMatching(ctx, data, expression));
    if (outside->num_rows() > 0) {
      return DeltaError("CHECK_CONSTRAINT_VIOLATION",
                        std::to_string(outside->num_rows()) + " row(s) violate check constraint '" +
                            name + "' (" + expression + ")",
                        "\"constraint\":" + JsonQuote(name) +
                            ",\"expression\":" + JsonQuote(expression) +
                            ",\"rows\":" + std::to_string(outside->num_rows()));
    }
  }
  return Status::OK();
}

Status CheckRowsSatisfy(const std::shared_ptr<arrow::Table>& data, const std::string& predicate) {
  CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
  CA_ASSIGN_OR_RAISE(auto outside, RowsNotMatching(ctx, data, predicate));
  if (outside->num_rows() > 0) {
    return DeltaError("PREDICATE_VIOLATION",
                      std::to_string(outside->num_rows()) +
                          " row(s) of the data do not satisfy "
                          "the overwrite predicate '" +
                          predicate + "'",
                      "\"predicate\":" + JsonQuote(predicate) +
                          ",\"rows\":" + std::to_string(outside->num_rows()));
  }
  return Status::OK();
}

Result<PredicateRewrite> RewriteForPredicate(const std::shared_ptr<const Snapshot>& snapshot,
                                             const std::string& predicate, bool collect_changes) {
  CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
  CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(snapshot));
  const auto& schema = snapshot->schema();
  auto pred = sql::ParseSqlExpression(predicate, *schema, ctx.state());
  if (!pred.ok()) return WithStage(pred.status(), stage::kSql, "INVALID_PREDICATE");
  PredicateRewrite out;
  CA_ASSIGN_OR_RAISE(auto candidates, ReadCandidates(snapshot, *provider, ctx, *pred, &out));
  std::vector<std::shared_ptr<arrow::Table>> kept, deleted;
  for (const auto& [f, rows] : candidates) {
    CA_ASSIGN_OR_RAISE(auto rest, RowsNotMatching(ctx, rows, predicate));
    if (rest->num_rows() == rows->num_rows()) continue;  // nothing in it matches
    out.removed.push_back(f);
    if (rest->num_rows() > 0) kept.push_back(rest);
    if (collect_changes) {
      CA_ASSIGN_OR_RAISE(auto gone, RowsNotMatching(ctx, rows, predicate, /*matching=*/true));
      deleted.push_back(std::move(gone));
    }
  }
  CA_ASSIGN_OR_RAISE(out.kept, Concat(kept));
  CA_ASSIGN_OR_RAISE(out.deleted, Concat(deleted));
  return out;
}

Result<PredicateRewrite> RewriteForUpdate(const std::shared_ptr<const Snapshot>& snapshot,
                                          const std::string& predicate,
                                          const std::map<std::string, std::string>& updates,
                                          bool collect_changes) {
  CA_ASSIGN_OR_RAISE(auto ctx, engine::SessionContext::Make());
  CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(snapshot));
  const auto& schema = snapshot->schema();
  for (const auto& [column, expr] : updates) {
    if (!schema->GetFieldByName(column)) {
      return DeltaError("UNKNOWN_COLUMN", "cannot update column '" + column + "': no such column",
                        "\"column_name\":" + JsonQuote(column));
    }
  }
  auto pred = sql::ParseSqlExpression(predicate, *schema, ctx.state());
  if (!pred.ok()) return WithStage(pred.status(), stage::kSql, "INVALID_PREDICATE");
  auto matched = engine::Call("coalesce", {*pred, engine::Literal(arrow::MakeScalar(false))});
  std::vector<engine::ExprPtr> projection;
  for (const auto& f : schema->fields()) {
    auto it = updates.find(f->name());
    if (it == updates.end()) {
      projection.push_back(engine::Column(f->name()));
      continue;
    }
    auto value = sql::ParseSqlExpression(it->second, *schema, ctx.state());
    if (!value.ok()) return WithStage(value.status(), stage::kSql, "INVALID_UPDATE");
    projection.push_back(engine::Alias(
        engine::Case({{matched, engine::Cast(*value, f->type())}}, engine::Column(f->name())),
        f->name()));
  }
  PredicateRewrite out;
  CA_ASSIGN_OR_RAISE(auto candidates, ReadCandidates(snapshot, *provider, ctx, *pred, &out));
  auto apply =
      [&](const std::shared_ptr<arrow::Table>& rows) -> Result<std::shared_ptr<arrow::Table>> {
    CA_RETURN_NOT_OK(ctx.RegisterTable("rows", rows));
    CA_ASSIGN_OR_RAISE(auto df, ctx.Table("rows"));
    CA_RETURN_NOT_OK(ctx.Deregister("rows"));
    CA_ASSIGN_OR_RAISE(df, df.Select(projection));
    return df.Collect();
  };
  std::vector<std::shared_ptr<arrow::Table>> rewritten, before, after;
  for (const auto& [f, rows] : candidates) {
    CA_ASSIGN_OR_RAISE(auto rest, RowsNotMatching(ctx, rows, predicate));
    if (rest->num_rows() == rows->num_rows()) continue;  // nothing in it matches
    CA_ASSIGN_OR_RAISE(auto updated, apply(rows));
    out.removed.push_back(f);
    rewritten.push_back(std::move(updated));
    if (collect_changes) {
      CA_ASSIGN_OR_RAISE(auto matched, RowsNotMatching(ctx, rows, predicate, /*matching=*/true));
      CA_ASSIGN_OR_RAISE(auto post, apply(matched));
      before.push_back(std::move(matched));
      after.push_back(std::move(post));
    }
  }
  CA_ASSIGN_OR_RAISE(out.kept, Concat(rewritten));
  CA_ASSIGN_OR_RAISE(out.deleted, Concat(before));
  CA_ASSIGN_OR_RAISE(out.updated, Concat(after));
  return out;
}

}  // namespace codeanatomy::delta
