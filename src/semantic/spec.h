// The semantic execution spec, schema version 4 (shared/CONTRACTS.md §1): its C++ model, the
// parser that validates a request's JSON into it, and the canonical form and hash that identify
// what a spec means independently of how its text was written.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace codeanatomy::semantic {

/// \brief The spec schema version this engine reads; older specs are refused.
inline constexpr int64_t kSpecSchemaVersion = 4;

// ---- enumerations (each spelled in JSON exactly as its enumerator names, without the `k`) ----

/// \brief How a Relate view or a join edge combines its two sides.
enum class JoinType { kInner, kLeft, kRight, kFull, kSemi, kAnti };
/// \brief The CPG output family a CpgEmit view produces.
enum class CpgOutputKind { kNodes, kEdges, kProps, kPropsMap, kEdgesBySrc, kEdgesByDst };
/// \brief How an output target's rows land in its Delta table.
enum class MaterializationMode { kAppend, kOverwrite };
/// \brief The class of a rule intent.
enum class RuleClass { kSemanticIntegrity, kDeltaScanAware, kCostShape, kSafety };
/// \brief Which rules run: LowLatency keeps correctness rules only, Safety rules run only under
/// Strict, and Strict and Replay add `strict_safety`.
enum class RulepackProfile { kDefault, kLowLatency, kReplay, kStrict };
/// \brief The adaptive tuner's mode.
enum class TunerMode { kOff, kObserve, kApply };
/// \brief What happens when a scan does not honour its pushdown contract. Also accepted in the
/// original engine's snake_case spelling ("warn").
enum class PushdownEnforcementMode { kWarn, kStrict, kDisabled };
/// \brief Policy for planning extensions that are not registered. Also accepted in snake_case
/// ("strict_allowlist").
enum class ExtensionGovernanceMode { kStrictAllowlist, kWarnOnUnregistered, kPermissive };
/// \brief A named tracing configuration applied before the explicit `tracing` block.
enum class TracingPreset { kMaximal, kMaximalNoData, kProductionLean };
/// \brief How much optimizer-rule activity tracing records.
enum class RuleTraceMode { kDisabled, kPhaseOnly, kFull };
/// \brief How plan previews in traces redact column values.
enum class PreviewRedactionMode { kNone, kDenyList, kAllowList };
/// \brief OTLP transport, spelled "http/protobuf", "http/json" or "grpc".
enum class OtlpProtocol { kHttpProtobuf, kHttpJson, kGrpc };
/// \brief The type tag of a typed parameter's value.
enum class ParameterType { kUtf8, kInt64, kFloat64, kBoolean, kDate, kTimestamp, kNull };

/// \brief The JSON spelling of an enumerator ("Inner", "PropsMap", "http/json").
/// Defined for every enumeration declared in this header.
template <typename E>
std::string_view SpecName(E value);

// ---- inputs and views ----

/// \brief A Delta table the spec reads, under the name views use for it.
struct InputRelation {
  std::string logical_name;
  std::string delta_location;
  bool requires_lineage = false;
  std::optional<int64_t> version_pin;  ///< read this table version (>= 0) instead of the latest
  friend bool operator==(const InputRelation&, const InputRelation&) = default;
};

/// \brief The columns a view promises to produce: name -> type name.
struct SchemaContract {
  std::map<std::string, std::string> columns;
  friend bool operator==(const SchemaContract&, const SchemaContract&) = default;
};

/// \brief One equality between a left and a right column of a Relate view.
struct JoinKeyPair {
  std::string left_key;
  std::string right_key;
  friend bool operator==(const JoinKeyPair&, const JoinKeyPair&) = default;
};

/// \brief One aggregate of an Aggregate view: `function(column) AS alias`.
struct AggregationExpr {
  std::string column;
  std::string function;
  std::string alias;
  friend bool operator==(const AggregationExpr&, const AggregationExpr&) = default;
};

/// \brief Normalize: ids, an optional byte span (start, end) and text columns of `source`.
struct NormalizeTransform {
  std::string source;
  std::vector<std::string> id_columns;
  std::optional<std::pair<std::string, std::string>> span_columns;
  std::vector<std::string> text_columns;
  friend bool operator==(const NormalizeTransform&, const NormalizeTransform&) = default;
};

/// \brief Relate: a join of `left` and `right` on `join_keys`.
struct RelateTransform {
  std::string left;
  std::string right;
  JoinType join_type = JoinType::kInner;
  std::vector<JoinKeyPair> join_keys;
  friend bool operator==(const RelateTransform&, const RelateTransform&) = default;
};

/// \brief Union: `sources` stacked, optionally tagged with a discriminator column.
struct UnionTransform {
  std::vector<std::string> sources;
  std::optional<std::string> discriminator_column;
  bool distinct = false;
  friend bool operator==(const UnionTransform&, const UnionTransform&) = default;
};

/// \brief Project: `columns` of `source`.
struct ProjectTransform {
  std::string source;
  std::vector<std::string> columns;
  friend bool operator==(const ProjectTransform&, const ProjectTransform&) = default;
};

/// \brief Filter: rows of `source` where the SQL expression `predicate` holds.
struct FilterTransform {
  std::string source;
  std::string predicate;
  friend bool operator==(const FilterTransform&, const FilterTransform&) = default;
};

/// \brief Aggregate: `aggregations` of `source` grouped by `group_by`.
struct AggregateTransform {
  std::string source;
  std::vector<std::string> group_by;
  std::vector<AggregationExpr> aggregations;
  friend bool operator==(const AggregateTransform&, const AggregateTransform&) = default;
};

/// \brief IncrementalCdf: the Delta change data feed of `source` over a version or time range.
struct IncrementalCdfTransform {
  std::string source;
  std::optional<int64_t> starting_version;
  std::optional<int64_t> ending_version;
  std::optional<std::string> starting_timestamp;
  std::optional<std::string> ending_timestamp;
  friend bool operator==(const IncrementalCdfTransform&, const IncrementalCdfTransform&) = default;
};

/// \brief Metadata: the Delta snapshot of `source` as one row.
struct MetadataTransform {
  std::string source;
  friend bool operator==(const MetadataTransform&, const MetadataTransform&) = default;
};

/// \brief FileManifest: the add actions (one row per data file) of `source`.
struct FileManifestTransform {
  std::string source;
  friend bool operator==(const FileManifestTransform&, const FileManifestTransform&) = default;
};

/// \brief CpgEmit: one CPG output family built from `sources`.
struct CpgEmitTransform {
  CpgOutputKind output_kind = CpgOutputKind::kNodes;
  std::vector<std::string> sources;
  friend bool operator==(const CpgEmitTransform&, const CpgEmitTransform&) = default;
};

/// \brief A view's transform, tagged in JSON by `kind` ("Normalize", ..., "CpgEmit", in this
/// order).
using ViewTransform =
    std::variant<NormalizeTransform, RelateTransform, UnionTransform, ProjectTransform,
                 FilterTransform, AggregateTransform, IncrementalCdfTransform, MetadataTransform,
                 FileManifestTransform, CpgEmitTransform>;

/// \brief The `kind` tag of a transform ("Relate").
std::string_view TransformKind(const ViewTransform& transform);

/// \brief The relations (inputs or views) a transform reads, in field order.
std::vector<std::string> TransformSources(const ViewTransform& transform);

/// \brief A named view: a transform over inputs or other views.
struct ViewDefinition {
  std::string name;
  std::string view_kind;
  std::vector<std::string> view_dependencies;  ///< views only, never input relations
  ViewTransform transform;
  SchemaContract output_schema;
  friend bool operator==(const ViewDefinition&, const ViewDefinition&) = default;
};

// ---- join graph ----

/// \brief A known join between two relations.
struct JoinEdge {
  std::string left_relation;
  std::string right_relation;
  JoinType join_type = JoinType::kInner;
  std::vector<std::string> left_keys;
  std::vector<std::string> right_keys;  ///< as many as left_keys
  friend bool operator==(const JoinEdge&, const JoinEdge&) = default;
};

/// \brief A semantic invariant over relations and columns.
struct JoinConstraint {
  std::string name;
  std::string constraint_type;
  std::vector<std::string> relations;
  std::vector<std::string> columns;
  friend bool operator==(const JoinConstraint&, const JoinConstraint&) = default;
};

/// \brief Cross-relation joins and constraints.
struct JoinGraph {
  std::vector<JoinEdge> edges;
  std::vector<JoinConstraint> constraints;
  friend bool operator==(const JoinGraph&, const JoinGraph&) = default;
};

// ---- outputs, rules and parameters ----

/// \brief A view written to a Delta table.
struct OutputTarget {
  std::string table_name;
  std::optional<std::string> delta_location;
  std::string source_view;  ///< names a view
  std::vector<std::string> columns;
  MaterializationMode materialization_mode = MaterializationMode::kOverwrite;
  std::vector<std::string> partition_by;
  std::map<std::string, std::string> write_metadata;
  std::optional<int64_t> max_commit_retries;  ///< >= 0
  friend bool operator==(const OutputTarget&, const OutputTarget&) = default;
};

/// \brief A rule the rulepack should include (JSON field `class` holds `rule_class`).
struct RuleIntent {
  std::string name;
  RuleClass rule_class = RuleClass::kSemanticIntegrity;
  JsonValue params = JsonValue::MakeObject();  ///< always an object
  friend bool operator==(const RuleIntent&, const RuleIntent&) = default;
};

/// \brief Binds a positional placeholder `$position` (1-based).
struct PlaceholderPosTarget {
  int64_t position = 1;
  friend bool operator==(const PlaceholderPosTarget&, const PlaceholderPosTarget&) = default;
};

/// \brief Binds `filter_column = value` on `base_table` (or on every table having the column).
struct FilterEqTarget {
  std::optional<std::string> base_table;
  std::string filter_column;
  friend bool operator==(const FilterEqTarget&, const FilterEqTarget&) = default;
};

/// \brief Where a typed parameter binds, tagged in JSON by `kind` ("PlaceholderPos",
/// "FilterEq").
using ParameterTarget = std::variant<PlaceholderPosTarget, FilterEqTarget>;

/// \brief A typed value, in JSON `{"type": "Int64", "value": 42}`.
///
/// Utf8 holds any string; Date holds "YYYY-MM-DD"; Timestamp holds "YYYY-MM-DDThh:mm:ss[.f]"
/// (or with a space instead of `T`); Float64 accepts integer JSON and keeps it as a double.
/// Null is written `{"type": "Null", "value": {"data_type": "utf8"}}` or with a null value for
/// an untyped null.
struct ParameterValue {
  ParameterType type = ParameterType::kNull;
  /// monostate for Null; string for Utf8, Date and Timestamp; int64 for Int64; double for
  /// Float64; bool for Boolean.
  std::variant<std::monostate, std::string, int64_t, double, bool> value;
  std::optional<std::string> null_data_type;  ///< Null only: the declared type, if any
  friend bool operator==(const ParameterValue&, const ParameterValue&) = default;
};

/// \brief A parameter binding.
struct TypedParameter {
  std::optional<std::string> label;  ///< diagnostic only
  ParameterTarget target;
  ParameterValue value;
  friend bool operator==(const TypedParameter&, const TypedParameter&) = default;
};

// ---- runtime ----

/// \brief OpenTelemetry export throughput and sampling.
struct TraceExportPolicy {
  std::string traces_sampler = "parentbased_always_on";
  std::optional<std::string> traces_sampler_arg;
  int64_t bsp_max_queue_size = 2048;
  int64_t bsp_max_export_batch_size = 512;
  int64_t bsp_schedule_delay_ms = 5000;
  int64_t bsp_export_timeout_ms = 30000;
  friend bool operator==(const TraceExportPolicy&, const TraceExportPolicy&) = default;
};

/// \brief The tracing control plane (`runtime.tracing`). All counts are >= 0.
struct TracingConfig {
  bool enabled = false;
  bool record_metrics = true;
  RuleTraceMode rule_mode = RuleTraceMode::kDisabled;
  bool plan_diff = false;
  int64_t preview_limit = 0;
  PreviewRedactionMode preview_redaction_mode = PreviewRedactionMode::kNone;
  std::vector<std::string> preview_redacted_columns;
  std::string preview_redaction_token = "[REDACTED]";
  int64_t preview_max_width = 96;
  int64_t preview_max_row_height = 4;
  int64_t preview_min_compacted_col_width = 10;
  bool instrument_object_store = false;
  std::optional<std::string> otlp_endpoint;
  std::optional<OtlpProtocol> otlp_protocol;
  std::optional<std::string> otel_service_name;
  std::map<std::string, std::string> otel_resource_attributes;
  std::map<std::string, std::string> custom_span_fields;
  TraceExportPolicy export_policy;
  friend bool operator==(const TracingConfig&, const TracingConfig&) = default;
};

/// \brief Runtime controls that do not change what a spec computes. Every field is optional.
struct RuntimeConfig {
  bool compliance_capture = false;
  TunerMode tuner_mode = TunerMode::kOff;
  bool capture_substrait = false;
  bool capture_optimizer_lab = false;
  bool capture_delta_codec = false;
  PushdownEnforcementMode pushdown_enforcement_mode = PushdownEnforcementMode::kWarn;
  ExtensionGovernanceMode extension_governance_mode = ExtensionGovernanceMode::kPermissive;
  bool enable_tracing = false;
  bool enable_rule_tracing = false;
  bool enable_plan_preview = false;
  bool enable_function_factory = false;
  bool enable_domain_planner = false;
  bool enable_relation_planner = false;
  std::map<std::string, std::string> lineage_tags;
  std::optional<TracingPreset> tracing_preset;
  TracingConfig tracing;
  friend bool operator==(const RuntimeConfig&, const RuntimeConfig&) = default;
};

// ---- the spec ----

/// \brief A parsed, validated semantic execution spec.
///
/// The optional blocks are kept as JSON objects for the layers that interpret them:
/// `maintenance` (compact, vacuum, checkpoint, metadata_cleanup, constraints), `cache_policy`,
/// `rule_overlay` and `runtime_profile`.
struct SemanticSpec {
  int64_t version = kSpecSchemaVersion;
  std::vector<InputRelation> input_relations;
  std::vector<ViewDefinition> view_definitions;
  JoinGraph join_graph;
  std::vector<OutputTarget> output_targets;
  std::vector<RuleIntent> rule_intents;
  RulepackProfile rulepack_profile = RulepackProfile::kDefault;
  RuntimeConfig runtime;
  std::vector<TypedParameter> typed_parameters;
  std::optional<JsonValue> rule_overlay;
  std::optional<JsonValue> runtime_profile;
  std::optional<JsonValue> cache_policy;
  std::optional<JsonValue> maintenance;
  friend bool operator==(const SemanticSpec&, const SemanticSpec&) = default;
};

/// \brief Parses and validates a spec. Every failure has stage "validation":
///
/// - `parameter_templates` present: LEGACY_PARAMETER_TEMPLATES_UNSUPPORTED;
/// - `version` < 4: SPEC_VERSION_UNSUPPORTED with details `{version, minimum, path}`;
/// - no view definitions / no output targets: SPEC_MISSING_VIEW_DEFINITIONS /
///   SPEC_MISSING_OUTPUT_TARGETS;
/// - anything else (bad JSON, unknown field, wrong type, missing required field, unknown enum
///   or transform kind, duplicate names, a reference to an unknown relation or view, a
///   dependency cycle): INVALID_SPEC_JSON with details `{path, error}`, where `path` is the
///   JSON path of the offending field, e.g. `$.view_definitions[2].transform.left`.
///
/// Transform sources may name input relations or views; `view_dependencies` and an output
/// target's `source_view` must name views.
Result<SemanticSpec> ParseAndValidateSpec(std::string_view json_text);

/// \brief The spec as JSON with every default filled in and absent optionals as null: the
/// canonical form. ParseAndValidateSpec(SpecToJson(s).ToJson()) gives back `s`.
JsonValue SpecToJson(const SemanticSpec& spec);

/// \brief Compact JSON with object keys sorted (by bytes) at every level.
std::string CanonicalJson(const JsonValue& value);

/// \brief BLAKE2b-256 of CanonicalJson(SpecToJson(spec)), as 64 lowercase hex digits. Equal for
/// texts that mean the same spec (key order, whitespace, defaults written or omitted).
std::string SpecHashHex(const SemanticSpec& spec);

}  // namespace codeanatomy::semantic
