// build_spec_json (shared/CONTRACTS.md §1): a v4 spec built from a semantic IR (views with kinds
// and inputs, as a front end describes them) and a request that places the IR on storage (where
// its inputs are, which views to write and where).
//
// ## Semantic IR, version 1
//
//   {"ir_version": 1,
//    "views": [{"name", "kind", "inputs": [relation, ...], "output_columns"?: {column: type},
//               ...the kind's hints}],
//    "join_edges"?: [{"left_relation", "right_relation", "join_type"?, "left_keys": [...],
//                     "right_keys": [...]}],
//    "datasets"?: {name: {"columns": [column, ...] | {column: type}}}}
//
// Kinds are spelled in snake_case; enum values such as join types are matched ignoring case and
// underscores, so "left", "Left", "props_map" and "PropsMap" all work. Each kind, with its
// number of inputs and its hints (* required):
//   normalize (1): id_columns*, span_columns [start, end], text_columns (default [])
//   relate, join (2): join_type (default: the join edge's, else inner), join_keys
//     [{left_key, right_key} or a column name on both sides]
//   union (>= 1): discriminator_column, distinct (default false)
//   project (1): columns*
//   filter (1): predicate* (SQL expression text)
//   aggregate (1): aggregations* [{column, function, alias}], group_by (default [])
//   incremental_cdf (1): starting_version, ending_version, starting_timestamp, ending_timestamp
//   metadata (1), file_manifest (1): no hints
//   cpg_emit (>= 1): output_kind* (nodes, edges, props, props_map, edges_by_src, ...)
//   diagnostic, artifact (any): not executable; kept out of the spec (no executable view may
//     read one, and none may be an output target)
//
// Each executable view becomes a view definition with `view_kind` = its IR kind, the transform
// of its kind over `inputs` (in order: `source`, `left`/`right`, or `sources`),
// `view_dependencies` = the inputs that are views (first occurrence order), and `output_schema`
// = `output_columns`. An input that is not a view is an input relation, placed by the request's
// `input_locations` and listed in the order views first read it.
//
// A relate view without `join_keys` takes them from the first join edge between its inputs (in
// either direction; an edge in the view's direction also gives the default join type), else
// from the columns both inputs have, when both are known: a relation's columns are its
// `datasets` entry, else a view's `output_columns`, else a filter's input's columns, else a
// project's `columns` when all are plain names. IR join edges also become the spec's
// join_graph edges.
//
// ## Request
//
//   {"input_locations": {relation: uri | {"delta_location", "version_pin"?, "requires_lineage"?}},
//    "output_targets": [view name | {"table_name", "source_view"? (default table_name),
//                       "columns"?, "partition_by"?, "materialization_mode"?, "write_metadata"?,
//                       "max_commit_retries"?}],
//    "output_locations"?: {table_name: uri}, "rulepack_profile"?: "Default", "runtime"?: {...}}
//
// Locations of relations no view reads are ignored. `runtime` is the spec's runtime block.
//
// ## Errors (stage "validation", details {path, error, ...})
//
// INVALID_SEMANTIC_IR_JSON (not JSON, unknown field, wrong type, ir_version other than 1,
// duplicate view, or a spec check such as a dependency cycle, at the IR path),
// SEMANTIC_IR_MISSING_VIEWS, SEMANTIC_IR_MISSING_EXECUTABLE_VIEWS {non_executable},
// VIEW_TRANSFORM_DERIVATION_FAILED (unknown kind, wrong number of inputs, a missing or malformed
// hint, an input that is a non-executable view), JOIN_EDGE_DERIVATION_FAILED {view, left, right} at
// the view's path, INVALID_BUILD_SPEC_REQUEST (not JSON, unknown field, an input without a location
// {input, referenced_at}, an unknown or non-executable output view, a bad runtime field).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic {

/// \brief The semantic IR version BuildSpec reads.
inline constexpr int64_t kSemanticIrVersion = 1;

/// \brief The spec an IR and a request describe, validated by ParseAndValidateSpec.
Result<SemanticSpec> BuildSpec(std::string_view ir_json, std::string_view request_json);

/// \brief BuildSpec as canonical JSON (CanonicalJson(SpecToJson(spec))).
Result<std::string> BuildSpecJson(std::string_view ir_json, std::string_view request_json);

}  // namespace codeanatomy::semantic
