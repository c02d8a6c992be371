// The spec's join graph (CONTRACTS §1 `join_graph{edges[], constraints[]}`) in compilation:
//
// - An edge {left_relation, right_relation, left_keys, right_keys} declares how two relations
//   join. A Relate view with no join_keys takes the keys of the edge between its two sources
//   (either direction); every edge's keys must be columns of its relations.
// - A constraint {name, constraint_type, relations, columns} declares a property of columns:
//   `not_null` (no NULL in any of the columns), `unique` (no two rows share the columns' values;
//   NULLs compare equal), `primary_key` (both). Its columns must exist in each relation. Under
//   the Strict rulepack profile they are verified against the data before any output is
//   written (JOIN_CONSTRAINT_VIOLATION, stage compliance); other types are reported as the run
//   warning JOIN_CONSTRAINT_UNCHECKED.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/session_context.h"
#include "semantic/compiler.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic {

/// The keys of the first edge between `left` and `right` (swapped when the edge is declared
/// right to left), or nullopt.
std::optional<std::vector<JoinKeyPair>> EdgeKeys(const JoinGraph& graph, const std::string& left,
                                                 const std::string& right);

/// Every edge's keys and every constraint's columns exist in their relations (`columns`: each
/// relation's column names). Errors: INVALID_JOIN_KEYS / INVALID_JOIN_CONSTRAINT, stage
/// compilation, with the path ($.join_graph.edges[0].left_keys[1]).
Status CheckJoinGraphColumns(const JoinGraph& graph,
                             const std::map<std::string, std::vector<std::string>>& columns);

/// Verifies the constraints on the data of their relations (registered in `ctx`); warnings for
/// constraint types it does not know.
Status VerifyConstraints(engine::SessionContext& ctx, const JoinGraph& graph,
                         std::vector<RunWarning>& warnings);

}  // namespace codeanatomy::semantic
