// The schema runtime (shared/CONTRACTS.md §1): every dataset a spec names — its input relations,
// its views and its output targets — with its columns as the engine plans them and the contract
// the spec declares for it, as canonical JSON that tools can query without a session.
//
//   {"schema_runtime_version": 1, "spec_hash": "...",
//    "datasets": [{"name", "kind": "input" | "view" | "output", "location": uri | null,
//                  "columns": [{"name", "type" (Arrow type text: "int64", "string",
//                               "timestamp[us, tz=UTC]", "list<item: int64>", ...), "nullable"}],
//                  "contract": {...}}]}
//
// Datasets are listed inputs first (spec order), then views (dependency order), then outputs
// (spec order). Contracts: an input's {version_pin, requires_lineage}; a view's {view_kind,
// transform (the transform's kind), dependencies, output_schema {column: type}}; an output's
// {source_view, columns, partition_by, materialization_mode}. An output's columns are its view's
// selected columns with the types its Delta table stores (a round trip through the Delta schema,
// so e.g. large_string is reported as string).
//
// An output and its view may share a name: looking the name up gives the output (then the view,
// then the input); "view:name", "input:name" and "output:name" pick one kind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "engine/session_config.h"
#include "engine/session_context.h"
#include "semantic/compiler.h"

namespace codeanatomy::semantic {

/// \brief The schema runtime's JSON version.
inline constexpr int64_t kSchemaRuntimeVersion = 1;

/// \brief What a dataset is in the spec, in lookup preference order (the last wins).
enum class DatasetKind { kInput, kView, kOutput };

/// \brief "input", "view" or "output".
std::string_view DatasetKindName(DatasetKind kind);

/// \brief One column of a dataset.
struct DatasetColumn {
  std::string name;
  std::string type;  ///< Arrow's text for the type (arrow::DataType::ToString)
  bool nullable = true;
  friend bool operator==(const DatasetColumn&, const DatasetColumn&) = default;
};

/// \brief One dataset: its schema and its declared contract.
struct DatasetSchema {
  std::string name;
  DatasetKind kind = DatasetKind::kInput;
  std::optional<std::string> location;  ///< inputs and outputs
  std::vector<DatasetColumn> columns;
  JsonValue contract = JsonValue::MakeObject();
  friend bool operator==(const DatasetSchema&, const DatasetSchema&) = default;

  /// \brief {name, kind, location, columns[{name, type, nullable}], contract}.
  JsonValue ToJson() const;
};

/// \brief The datasets of a compiled spec.
class SchemaRuntime {
 public:
  /// \brief Compiles `spec` on a session from `factory` (with the codeanatomy functions) and
  /// reads every dataset's schema. Session failures are PREPARE_EXECUTION_CONTEXT_FAILED
  /// (stage runtime); compilation failures are CompileSpec's; an output schema Delta cannot
  /// store is SCHEMA_RUNTIME_SERIALIZE_FAILED (stage runtime) {dataset, cause}.
  static Result<SchemaRuntime> Make(const engine::SessionFactory& factory,
                                    const SemanticSpec& spec);
  /// \brief The datasets of `plan`, compiled on `ctx`.
  static Result<SchemaRuntime> FromPlan(const engine::SessionContext& ctx,
                                        const CompiledPlan& plan);
  /// \brief Reads ToJson()'s form back: INVALID_SCHEMA_RUNTIME_JSON {path, error} (stage
  /// validation) for anything else.
  static Result<SchemaRuntime> FromJson(std::string_view json_text);

  const std::string& spec_hash() const { return spec_hash_; }
  const std::vector<DatasetSchema>& datasets() const { return datasets_; }

  /// \brief The dataset `name` (or "kind:name"): SCHEMA_RUNTIME_DATASET_NAME_MISSING
  /// {name, available} (stage validation) when there is none.
  Result<const DatasetSchema*> Find(std::string_view name) const;
  /// \brief The distinct dataset names, in dataset order.
  std::vector<std::string> Names() const;
  /// \brief {schema_runtime_version, spec_hash, datasets}.
  JsonValue ToJson() const;

 private:
  std::string spec_hash_;
  std::vector<DatasetSchema> datasets_;
};

/// \brief The schema runtime of a spec as canonical JSON.
Result<std::string> SchemaRuntimeJson(const engine::SessionFactory& factory,
                                      std::string_view spec_json);

/// \brief One dataset of a schema runtime's JSON, as canonical JSON.
Result<std::string> DatasetSchemaJson(std::string_view runtime_json, std::string_view name);

/// \brief The distinct dataset names of a schema runtime's JSON.
Result<std::vector<std::string>> DatasetNames(std::string_view runtime_json);

}  // namespace codeanatomy::semantic
