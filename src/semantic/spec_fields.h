// The JSON layout of the spec: one Fields() per struct lists its members (name, required or
// optional, checks on their values) once, for the reader, the writer and the unknown-key check
// of spec.cc, so the three can never disagree. Included by spec.cc only.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "semantic/spec.h"

namespace codeanatomy::semantic::spec_fields {

template <typename S, typename T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

bool NonNegative(const std::optional<int64_t>& v) { return !v || *v >= 0; }

constexpr std::string_view kMustBeNonNegative = "must be a non-negative integer";
constexpr std::string_view kMustBeNonEmpty = "must be a non-empty string";

// Counts, sizes and durations cannot be negative.
void CheckNonNegative(auto& v,
                      std::initializer_list<std::pair<std::string_view, const int64_t*>> fields) {
  for (const auto& [key, value] : fields) {
    v.Check(key, kMustBeNonNegative, [value] { return *value >= 0; });
  }
}

void Fields(auto& v, Is<InputRelation> auto& r) {
  v.Required("logical_name", r.logical_name);
  v.Required("delta_location", r.delta_location);
  v.Optional("requires_lineage", r.requires_lineage);
  v.Optional("version_pin", r.version_pin);
  v.Check("logical_name", kMustBeNonEmpty, [&] { return !r.logical_name.empty(); });
  v.Check("delta_location", kMustBeNonEmpty, [&] { return !r.delta_location.empty(); });
  v.Check("version_pin", kMustBeNonNegative, [&] { return NonNegative(r.version_pin); });
}

void Fields(auto& v, Is<SchemaContract> auto& r) { v.Required("columns", r.columns); }

void Fields(auto& v, Is<JoinKeyPair> auto& r) {
  v.Required("left_key", r.left_key);
  v.Required("right_key", r.right_key);
}

void Fields(auto& v, Is<AggregationExpr> auto& r) {
  v.Required("column", r.column);
  v.Required("function", r.function);
  v.Required("alias", r.alias);
}

void Fields(auto& v, Is<NormalizeTransform> auto& r) {
  v.Required("source", r.source);
  v.Required("id_columns", r.id_columns);
  v.Optional("span_columns", r.span_columns);
  v.Required("text_columns", r.text_columns);
}

void Fields(auto& v, Is<RelateTransform> auto& r) {
  v.Required("left", r.left);
  v.Required("right", r.right);
  v.Required("join_type", r.join_type);
  v.Required("join_keys", r.join_keys);
}

void Fields(auto& v, Is<UnionTransform> auto& r) {
  v.Required("sources", r.sources);
  v.Optional("discriminator_column", r.discriminator_column);
  v.Required("distinct", r.distinct);
}

void Fields(auto& v, Is<ProjectTransform> auto& r) {
  v.Required("source", r.source);
  v.Required("columns", r.columns);
}

void Fields(auto& v, Is<FilterTransform> auto& r) {
  v.Required("source", r.source);
  v.Required("predicate", r.predicate);
}

void Fields(auto& v, Is<AggregateTransform> auto& r) {
  v.Required("source", r.source);
  v.Required("group_by", r.group_by);
  v.Required("aggregations", r.aggregations);
}

void Fields(auto& v, Is<IncrementalCdfTransform> auto& r) {
  v.Required("source", r.source);
  v.Optional("starting_version", r.starting_version);
  v.Optional("ending_version", r.ending_version);
  v.Optional("starting_timestamp", r.starting_timestamp);
  v.Optional("ending_timestamp", r.ending_timestamp);
  v.Check("starting_version", kMustBeNonNegative, [&] { return NonNegative(r.starting_version); });
  v.Check("ending_version", kMustBeNonNegative, [&] { return NonNegative(r.ending_version); });
  v.Check("ending_version", "must not be below starting_version", [&] {
    return !r.starting_version || !r.ending_version || *r.starting_version <= *r.ending_version;
  });
}

void Fields(auto& v, Is<MetadataTransform> auto& r) { v.Required("source", r.source); }

void Fields(auto& v, Is<FileManifestTransform> auto& r) { v.Required("source", r.source); }

void Fields(auto& v, Is<CpgEmitTransform> auto& r) {
  v.Required("output_kind", r.output_kind);
  v.Optional("sources", r.sources);
}

void Fields(auto& v, Is<ViewDefinition> auto& r) {
  v.Required("name", r.name);
  v.Required("view_kind", r.view_kind);
  v.Required("view_dependencies", r.view_dependencies);
  v.Required("transform", r.transform);
  v.Required("output_schema", r.output_schema);
  v.Check("name", kMustBeNonEmpty, [&] { return !r.name.empty(); });
}

void Fields(auto& v, Is<JoinEdge> auto& r) {
  v.Required("left_relation", r.left_relation);
  v.Required("right_relation", r.right_relation);
  v.Required("join_type", r.join_type);
  v.Required("left_keys", r.left_keys);
  v.Required("right_keys", r.right_keys);
  v.Check("right_keys", "must have as many keys as left_keys",
          [&] { return r.left_keys.size() == r.right_keys.size(); });
}

void Fields(auto& v, Is<JoinConstraint> auto& r) {
  v.Required("name", r.name);
  v.Required("constraint_type", r.constraint_type);
  v.Required("relations", r.relations);
  v.Required("columns", r.columns);
}

void Fields(auto& v, Is<JoinGraph> auto& r) {
  v.Required("edges", r.edges);
  v.Required("constraints", r.constraints);
}

void Fields(auto& v, Is<OutputTarget> auto& r) {
  v.Required("table_name", r.table_name);
  v.Optional("delta_location", r.delta_location);
  v.Required("source_view", r.source_view);
  v.Required("columns", r.columns);
  v.Optional("materialization_mode", r.materialization_mode);
  v.Optional("partition_by", r.partition_by);
  v.Optional("write_metadata", r.write_metadata);
  v.Optional("max_commit_retries", r.max_commit_retries);
  v.Check("table_name", kMustBeNonEmpty, [&] { return !r.table_name.empty(); });
  v.Check("max_commit_retries", kMustBeNonNegative,
          [&] { return NonNegative(r.max_commit_retries); });
}

void Fields(auto& v, Is<RuleIntent> auto& r) {
  v.Required("name", r.name);
  v.Required("class", r.rule_class);
  v.Optional("params", r.params);
}

void Fields(auto& v, Is<PlaceholderPosTarget> auto& r) {
  v.Required("position", r.position);
  v.Check("position", "must be a positive integer ($1 is 1)", [&] { return r.position >= 1; });
}

void Fields(auto& v, Is<FilterEqTarget> auto& r) {
  v.Optional("base_table", r.base_table);
  v.Required("filter_column", r.filter_column);
}

void Fields(auto& v, Is<TypedParameter> auto& r) {
  v.Optional("label", r.label);
  v.Required("target", r.target);
  v.Required("value", r.value);
}

void Fields(auto& v, Is<TraceExportPolicy> auto& r) {
  v.Optional("traces_sampler", r.traces_sampler);
  v.Optional("traces_sampler_arg", r.traces_sampler_arg);
  v.Optional("bsp_max_queue_size", r.bsp_max_queue_size);
  v.Optional("bsp_max_export_batch_size", r.bsp_max_export_batch_size);
  v.Optional("bsp_schedule_delay_ms", r.bsp_schedule_delay_ms);
  v.Optional("bsp_export_timeout_ms", r.bsp_export_timeout_ms);
  CheckNonNegative(v, {{"bsp_max_queue_size", &r.bsp_max_queue_size},
                       {"bsp_max_export_batch_size", &r.bsp_max_export_batch_size},
                       {"bsp_schedule_delay_ms", &r.bsp_schedule_delay_ms},
                       {"bsp_export_timeout_ms", &r.bsp_export_timeout_ms}});
}

void Fields(auto& v, Is<TracingConfig> auto& r) {
  v.Optional("enabled", r.enabled);
  v.Optional("record_metrics", r.record_metrics);
  v.Optional("rule_mode", r.rule_mode);
  v.Optional("plan_diff", r.plan_diff);
  v.Optional("preview_limit", r.preview_limit);
  v.Optional("preview_redaction_mode", r.preview_redaction_mode);
  v.Optional("preview_redacted_columns", r.preview_redacted_columns);
  v.Optional("preview_redaction_token", r.preview_redaction_token);
  v.Optional("preview_max_width", r.preview_max_width);
  v.Optional("preview_max_row_height", r.preview_max_row_height);
  v.Optional("preview_min_compacted_col_width", r.preview_min_compacted_col_width);
  v.Optional("instrument_object_store", r.instrument_object_store);
  v.Optional("otlp_endpoint", r.otlp_endpoint);
  v.Optional("otlp_protocol", r.otlp_protocol);
  v.Optional("otel_service_name", r.otel_service_name);
  v.Optional("otel_resource_attributes", r.otel_resource_attributes);
  v.Optional("custom_span_fields", r.custom_span_fields);
  v.Optional("export_policy", r.export_policy);
  CheckNonNegative(v, {{"preview_limit", &r.preview_limit},
                       {"preview_max_width", &r.preview_max_width},
                       {"preview_max_row_height", &r.preview_max_row_height},
                       {"preview_min_compacted_col_width", &r.preview_min_compacted_col_width}});
}

void Fields(auto& v, Is<RuntimeConfig> auto& r) {
  v.Optional("compliance_capture", r.compliance_capture);
  v.Optional("tuner_mode", r.tuner_mode);
  v.Optional("capture_substrait", r.capture_substrait);
  v.Optional("capture_optimizer_lab", r.capture_optimizer_lab);
  v.Optional("capture_delta_codec", r.capture_delta_codec);
  v.Optional("pushdown_enforcement_mode", r.pushdown_enforcement_mode);
  v.Optional("extension_governance_mode", r.extension_governance_mode);
  v.Optional("enable_tracing", r.enable_tracing);
  v.Optional("enable_rule_tracing", r.enable_rule_tracing);
  v.Optional("enable_plan_preview", r.enable_plan_preview);
  v.Optional("enable_function_factory", r.enable_function_factory);
  v.Optional("enable_domain_planner", r.enable_domain_planner);
  v.Optional("enable_relation_planner", r.enable_relation_planner);
  v.Optional("lineage_tags", r.lineage_tags);
  v.Optional("tracing_preset", r.tracing_preset);
  v.Optional("tracing", r.tracing);
}

void Fields(auto& v, Is<SemanticSpec> auto& r) {
  v.Required("version", r.version);
  v.Required("input_relations", r.input_relations);
  v.Required("view_definitions", r.view_definitions);
  v.Required("join_graph", r.join_graph);
  v.Required("output_targets", r.output_targets);
  v.Required("rule_intents", r.rule_intents);
  v.Required("rulepack_profile", r.rulepack_profile);
  v.Optional("runtime", r.runtime);
  v.Optional("typed_parameters", r.typed_parameters);
  v.Optional("rule_overlay", r.rule_overlay);
  v.Optional("runtime_profile", r.runtime_profile);
  v.Optional("cache_policy", r.cache_policy);
  v.Optional("maintenance", r.maintenance);
}

}  // namespace codeanatomy::semantic::spec_fields
