#include "plugin_host/plugin_filters.h"

#include <arrow/compute/api.h>
#include <arrow/engine/substrait/relation.h>
#include <arrow/engine/substrait/serde.h>

#include "engine/session_state.h"

namespace codeanatomy::plugin_host {

namespace cp = arrow::compute;

namespace {

void Conjuncts(const cp::Expression& e, std::vector<cp::Expression>* out) {
  const cp::Expression::Call* call = e.call();
  if (call != nullptr && (call->function_name == "and_kleene" || call->function_name == "and")) {
    for (const auto& a : call->arguments) Conjuncts(a, out);
    return;
  }
  out->push_back(e);
}

Status FiltersError(const std::string& message) {
  return InvalidError(stage::kPlugin, "INVALID_FILTERS", "filters: " + message);
}

/// `e` with field paths replaced by the names they reach in `schema`, unbound.
Result<cp::Expression> ByName(const cp::Expression& e, const arrow::Schema& schema) {
  if (const arrow::FieldRef* ref = e.field_ref(); ref != nullptr) {
    if (ref->IsName()) return cp::field_ref(*ref->name());
    const arrow::FieldPath* path = ref->field_path();
    if (path == nullptr || path->indices().size() != 1 || path->indices()[0] < 0 ||
        path->indices()[0] >= schema.num_fields()) {
      return FiltersError("a field reference does not name a top-level column: " + e.ToString());
    }
    return cp::field_ref(schema.field(path->indices()[0])->name());
  }
  if (const cp::Expression::Call* call = e.call(); call != nullptr) {
    std::vector<cp::Expression> args;
    for (const auto& a : call->arguments) {
      CA_ASSIGN_OR_RAISE(auto arg, ByName(a, schema));
      args.push_back(std::move(arg));
    }
    return cp::call(call->function_name, std::move(args), call->options);
  }
  return e;  // a literal
}

}  // namespace

std::vector<cp::Expression> PushableConjuncts(const cp::Expression& filter,
                                              const std::shared_ptr<arrow::Schema>& schema) {
  std::vector<cp::Expression> all, out;
  if (!engine::InitializeArrow().ok()) return out;  // Arrow's functions bind the conjuncts
  Conjuncts(filter, &all);
  for (const auto& c : all) {
    if (c.literal() != nullptr) continue;  // `true`: nothing to push
    auto bound = c.Bind(*schema);          // Arrow's own registry: session functions fail
    if (!bound.ok() || bound->type() == nullptr || bound->type()->id() != arrow::Type::BOOL) {
      continue;
    }
    if (!SerializeFilters({*bound}, schema).ok()) continue;
    out.push_back(*bound);
  }
  return out;
}

Result<std::shared_ptr<arrow::Buffer>> SerializeFilters(
    const std::vector<cp::Expression>& conjuncts, const std::shared_ptr<arrow::Schema>& schema) {
  CA_RETURN_NOT_OK(engine::InitializeArrow());
  arrow::engine::BoundExpressions bound;
  bound.schema = schema;
  for (size_t i = 0; i < conjuncts.size(); ++i) {
    cp::Expression e = conjuncts[i];
    if (!e.IsBound()) {
      CA_ASSIGN_OR_RAISE(e, e.Bind(*schema));
    }
    bound.named_expressions.push_back({std::move(e), "filter" + std::to_string(i)});
  }
  return arrow::engine::SerializeExpressions(bound);
}

Result<std::vector<cp::Expression>> DeserializeFilters(
    const uint8_t* bytes, int64_t size, const std::shared_ptr<arrow::Schema>& schema) {
  if (bytes == nullptr || size <= 0) return std::vector<cp::Expression>{};
  CA_RETURN_NOT_OK(engine::InitializeArrow());
  arrow::Buffer buffer(bytes, size);
  auto decoded = arrow::engine::DeserializeExpressions(buffer);
  if (!decoded.ok())
    return FiltersError("not a Substrait ExtendedExpression: " + decoded.status().message());
  if (decoded->schema == nullptr || !decoded->schema->Equals(*schema, /*check_metadata=*/false)) {
    return FiltersError("bound to another schema than the table's");
  }
  std::vector<cp::Expression> out;
  for (const auto& named : decoded->named_expressions) {
    const auto* type = named.expression.type();
    if (type == nullptr || type->id() != arrow::Type::BOOL) {
      return FiltersError("expression '" + named.name + "' is not boolean");
    }
    CA_ASSIGN_OR_RAISE(auto by_name, ByName(named.expression, *schema));
    out.push_back(std::move(by_name));
  }
  return out;
}

}  // namespace codeanatomy::plugin_host
