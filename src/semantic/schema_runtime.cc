#include "semantic/schema_runtime.h"

#include <array>
#include <utility>

#include "common/suggest.h"
#include "delta/schema.h"
#include "delta/table_functions.h"
#include "engine/expr.h"
#include "engine/session_state.h"
#include "functions/registry_snapshot.h"
#include "functions/window_functions.h"
#include "semantic/build_spec_internal.h"
#include "semantic/run_build.h"
#include "semantic/spec_internal.h"

namespace codeanatomy::semantic {

namespace {

using build_spec_internal::ObjectFields;
using build_spec_internal::PathError;
using build_spec_internal::TypeError;
using internal::DetailsJson;

constexpr std::string_view kRuntimeInvalid = build_spec_internal::kSchemaRuntimeInvalid;
constexpr std::array<std::string_view, 3> kKindNames = {"input", "view", "output"};

std::vector<DatasetColumn> Columns(const arrow::Schema& schema) {
  std::vector<DatasetColumn> out;
  for (const auto& field : schema.fields()) {
    out.push_back({field->name(), field->type()->ToString(), field->nullable()});
  }
  return out;
}

JsonValue Strings(const std::vector<std::string>& values) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& v : values) out.Append(v);
  return out;
}

Status SerializeError(const std::string& dataset, const Status& cause) {
  ErrorInfo info = DescribeError(cause);
  return EngineError(
      arrow::StatusCode::Invalid, stage::kRuntime, "SCHEMA_RUNTIME_SERIALIZE_FAILED",
      "dataset '" + dataset + "': its schema cannot be stored as Delta: " + info.message,
      DetailsJson({{"dataset", dataset}, {"cause", info.code}}));
}

// The schema a Delta table written with `schema` reads back with.
Result<std::shared_ptr<arrow::Schema>> AsStoredInDelta(const arrow::Schema& schema,
                                                       const std::string& dataset) {
  auto delta_json = delta::SchemaToDeltaJson(schema);
  if (!delta_json.ok()) return SerializeError(dataset, delta_json.status());
  auto stored = delta::SchemaFromDeltaJson(*delta_json);
  if (!stored.ok()) return SerializeError(dataset, stored.status());
  return stored;
}

DatasetSchema InputDataset(const InputRelation& input, const arrow::Schema& schema) {
  JsonValue contract = JsonValue::MakeObject();
  contract.Set("version_pin", input.version_pin ? JsonValue(*input.version_pin) : JsonValue())
      .Set("requires_lineage", input.requires_lineage);
  return {input.logical_name, DatasetKind::kInput, input.delta_location, Columns(schema),
          std::move(contract)};
}

DatasetSchema ViewDataset(const ViewDefinition& view, const arrow::Schema& schema) {
  JsonValue declared = JsonValue::MakeObject();
  for (const auto& [column, type] : view.output_schema.columns) declared.Set(column, type);
  JsonValue contract = JsonValue::MakeObject();
  contract.Set("view_kind", view.view_kind)
      .Set("transform", TransformKind(view.transform))
      .Set("dependencies", Strings(view.view_dependencies))
      .Set("output_schema", std::move(declared));
  return {view.name, DatasetKind::kView, std::nullopt, Columns(schema), std::move(contract)};
}

Result<DatasetSchema> OutputDataset(const OutputTarget& target, const CompiledPlan& plan) {
  const CompiledView* view = plan.view(target.source_view);
  if (view == nullptr) {
    return Status::Invalid("output '", target.table_name, "' has no compiled view");
  }
  engine::DataFrame df = view->df;
  if (!target.columns.empty()) {
    std::vector<engine::ExprPtr> columns;
    for (const auto& c : target.columns) columns.push_back(engine::Column(c));
    CA_ASSIGN_OR_RAISE(df, df.Select(std::move(columns)));
  }
  CA_ASSIGN_OR_RAISE(auto stored, AsStoredInDelta(*df.schema(), target.table_name));
  JsonValue contract = JsonValue::MakeObject();
  contract.Set("source_view", target.source_view)
      .Set("columns", Strings(target.columns))
      .Set("partition_by", Strings(target.partition_by))
      .Set("materialization_mode", SpecName(target.materialization_mode));
  return DatasetSchema{target.table_name, DatasetKind::kOutput, target.delta_location,
                       Columns(*stored), std::move(contract)};
}

// ---- reading the JSON form back ----

Result<DatasetColumn> ReadColumn(const JsonValue& json, std::string path) {
  CA_ASSIGN_OR_RAISE(auto fields, ObjectFields::Open(json, std::move(path), kRuntimeInvalid));
  CA_RETURN_NOT_OK(fields.Allow({"name", "type", "nullable"}));
  DatasetColumn column;
  CA_ASSIGN_OR_RAISE(column.name, fields.String("name"));
  CA_ASSIGN_OR_RAISE(column.type, fields.String("type"));
  CA_ASSIGN_OR_RAISE(const JsonValue* nullable, fields.Required("nullable"));
  if (!nullable->is_bool()) {
    return TypeError(kRuntimeInvalid, fields.Path("nullable"), "a boolean", *nullable);
  }
  column.nullable = nullable->bool_value();
  return column;
}

Result<DatasetSchema> ReadDataset(const JsonValue& json, std::string path) {
  CA_ASSIGN_OR_RAISE(auto fields, ObjectFields::Open(json, std::move(path), kRuntimeInvalid));
  CA_RETURN_NOT_OK(fields.Allow({"name", "kind", "location", "columns", "contract"}));
  DatasetSchema dataset;
  CA_ASSIGN_OR_RAISE(dataset.name, fields.String("name"));
  CA_ASSIGN_OR_RAISE(std::string kind, fields.String("kind"));
  auto kind_at = std::find(kKindNames.begin(), kKindNames.end(), kind);
  if (kind_at == kKindNames.end()) {
    return PathError(kRuntimeInvalid, fields.Path("kind"),
                     "unknown dataset kind '" + kind + "'; expected input, view or output");
  }
  dataset.kind = static_cast<DatasetKind>(kind_at - kKindNames.begin());
  CA_ASSIGN_OR_RAISE(dataset.location, fields.OptionalString("location"));
  CA_ASSIGN_OR_RAISE(const JsonValue* columns, fields.Required("columns"));
  if (!columns->is_array()) {
    return TypeError(kRuntimeInvalid, fields.Path("columns"), "an array", *columns);
  }
  for (size_t i = 0; i < columns->array_value().size(); ++i) {
    CA_ASSIGN_OR_RAISE(auto column, ReadColumn(columns->array_value()[i],
                                               JsonPathAppendIndex(fields.Path("columns"), i)));
    dataset.columns.push_back(std::move(column));
  }
  CA_ASSIGN_OR_RAISE(const JsonValue* contract, fields.Required("contract"));
  if (!contract->is_object()) {
    return TypeError(kRuntimeInvalid, fields.Path("contract"), "an object", *contract);
  }
  dataset.contract = *contract;
  return dataset;
}

}  // namespace

std::string_view DatasetKindName(DatasetKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

JsonValue DatasetSchema::ToJson() const {
  JsonValue out = JsonValue::MakeObject();
  JsonValue cols = JsonValue::MakeArray();
  for (const auto& c : columns) {
    cols.Append(JsonValue::MakeObject()
                    .Set("name", c.name)
                    .Set("type", c.type)
                    .Set("nullable", c.nullable));
  }
  out.Set("name", name)
      .Set("kind", DatasetKindName(kind))
      .Set("location", location ? JsonValue(*location) : JsonValue())
      .Set("columns", std::move(cols))
      .Set("contract", contract);
  return out;
}

Result<SchemaRuntime> SchemaRuntime::Make(const engine::SessionFactory& factory,
                                          const SemanticSpec& spec) {
  auto made = engine::SessionContext::Make(factory);
  if (!made.ok()) {
    return WithStage(made.status(), stage::kRuntime, "PREPARE_EXECUTION_CONTEXT_FAILED");
  }
  engine::SessionContext ctx = std::move(*made);
  if (Status st = InstallSessionFunctions(ctx.state().get()); !st.ok()) {
    return WithStage(st, stage::kRuntime, "PREPARE_EXECUTION_CONTEXT_FAILED");
  }
  CA_ASSIGN_OR_RAISE(CompiledPlan plan, CompileSpec(ctx, spec));
  return FromPlan(ctx, plan);
}

Result<SchemaRuntime> SchemaRuntime::FromPlan(const engine::SessionContext& ctx,
                                              const CompiledPlan& plan) {
  SchemaRuntime runtime;
  runtime.spec_hash_ = plan.spec_hash;
  for (const InputRelation& input : plan.spec.input_relations) {
    CA_ASSIGN_OR_RAISE(engine::DataFrame table, ctx.Table(input.logical_name));
    runtime.datasets_.push_back(InputDataset(input, *table.schema()));
  }
  for (const CompiledView& compiled : plan.views) {
    auto definition =
        std::find_if(plan.spec.view_definitions.begin(), plan.spec.view_definitions.end(),
                     [&](const ViewDefinition& v) { return v.name == compiled.name; });
    if (definition == plan.spec.view_definitions.end()) continue;
    runtime.datasets_.push_back(ViewDataset(*definition, *compiled.df.schema()));
  }
  for (const OutputTarget& target : plan.spec.output_targets) {
    CA_ASSIGN_OR_RAISE(auto dataset, OutputDataset(target, plan));
    runtime.datasets_.push_back(std::move(dataset));
  }
  return runtime;
}

Result<SchemaRuntime> SchemaRuntime::FromJson(std::string_view json_text) {
  auto parsed = JsonValue::Parse(json_text);
  if (!parsed.ok()) {
    return PathError(kRuntimeInvalid, std::string(kJsonPathRoot),
                     "not valid JSON: " + parsed.status().message());
  }
  CA_ASSIGN_OR_RAISE(auto root,
                     ObjectFields::Open(*parsed, std::string(kJsonPathRoot), kRuntimeInvalid));
  CA_RETURN_NOT_OK(root.Allow({"schema_runtime_version", "spec_hash", "datasets"}));
  CA_ASSIGN_OR_RAISE(const JsonValue* version, root.Required("schema_runtime_version"));
  if (!version->is_int() || version->int_value() != kSchemaRuntimeVersion) {
    return PathError(kRuntimeInvalid, root.Path("schema_runtime_version"),
                     "unsupported schema_runtime_version " + version->ToJson() + "; expected " +
                         std::to_string(kSchemaRuntimeVersion));
  }
  SchemaRuntime runtime;
  CA_ASSIGN_OR_RAISE(runtime.spec_hash_, root.String("spec_hash"));
  CA_ASSIGN_OR_RAISE(const JsonValue* datasets, root.Required("datasets"));
  if (!datasets->is_array()) {
    return TypeError(kRuntimeInvalid, root.Path("datasets"), "an array", *datasets);
  }
  for (size_t i = 0; i < datasets->array_value().size(); ++i) {
    CA_ASSIGN_OR_RAISE(auto dataset, ReadDataset(datasets->array_value()[i],
                                                 JsonPathAppendIndex(root.Path("datasets"), i)));
    runtime.datasets_.push_back(std::move(dataset));
  }
  return runtime;
}

Result<const DatasetSchema*> SchemaRuntime::Find(std::string_view name) const {
  const DatasetSchema* found = nullptr;
  for (const DatasetSchema& d : datasets_) {
    if (d.name == name && (found == nullptr || d.kind > found->kind)) found = &d;
  }
  if (size_t colon = name.find(':'); found == nullptr && colon != std::string_view::npos) {
    for (const DatasetSchema& d : datasets_) {
      if (DatasetKindName(d.kind) == name.substr(0, colon) && d.name == name.substr(colon + 1)) {
        found = &d;
      }
    }
  }
  if (found != nullptr) return found;
  std::vector<std::string> available = Names();
  return InvalidError(stage::kValidation, "SCHEMA_RUNTIME_DATASET_NAME_MISSING",
                      "no dataset '" + std::string(name) + "' in the schema runtime" +
                          SuggestionText(ClosestNames(name, available, 1)),
                      DetailsJson({{"name", name}, {"available", Strings(available)}}));
}

std::vector<std::string> SchemaRuntime::Names() const {
  std::vector<std::string> out;
  for (const DatasetSchema& d : datasets_) {
    if (std::find(out.begin(), out.end(), d.name) == out.end()) out.push_back(d.name);
  }
  return out;
}

JsonValue SchemaRuntime::ToJson() const {
  JsonValue datasets = JsonValue::MakeArray();
  for (const DatasetSchema& d : datasets_) datasets.Append(d.ToJson());
  JsonValue out = JsonValue::MakeObject();
  out.Set("schema_runtime_version", kSchemaRuntimeVersion)
      .Set("spec_hash", spec_hash_)
      .Set("datasets", std::move(datasets));
  return out;
}

Result<std::string> SchemaRuntimeJson(const engine::SessionFactory& factory,
                                      std::string_view spec_json) {
  CA_ASSIGN_OR_RAISE(SemanticSpec spec, ParseAndValidateSpec(spec_json));
  CA_ASSIGN_OR_RAISE(SchemaRuntime runtime, SchemaRuntime::Make(factory, spec));
  return CanonicalJson(runtime.ToJson());
}

Result<std::string> DatasetSchemaJson(std::string_view runtime_json, std::string_view name) {
  CA_ASSIGN_OR_RAISE(SchemaRuntime runtime, SchemaRuntime::FromJson(runtime_json));
  CA_ASSIGN_OR_RAISE(const DatasetSchema* dataset, runtime.Find(name));
  return CanonicalJson(dataset->ToJson());
}

Result<std::vector<std::string>> DatasetNames(std::string_view runtime_json) {
  CA_ASSIGN_OR_RAISE(SchemaRuntime runtime, SchemaRuntime::FromJson(runtime_json));
  return runtime.Names();
}

}  // namespace codeanatomy::semantic
