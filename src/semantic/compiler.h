// The semantic plan compiler: a validated spec (semantic/spec.h) onto a session. Input relations
// become Delta providers, each view a lazy DataFrame (planned through SQL text the compiler
// writes, so views share the binder, the optimizer and the function registry with user SQL)
// registered as a catalog view that later views and outputs read by name.
//
// Transforms: Filter (SQL predicate), Project (each entry a source column or an SQL expression
// with its alias, as DataFusion's select_exprs), Relate (left's columns, then right's not in left;
// a same-named join key is one column; Semi/Anti keep left rows; without join_keys, the keys of
// the join graph's edge between the two sources, semantic/join_graph.h), Union (by column name,
// with an optional discriminator), Aggregate, Normalize (text_columns normalized in place with
// utf8_normalize: trimmed, NFKC, case kept; other types as their text; `span` = span_make(bstart,
// bend) from span_columns; `entity_id` = stable_id_parts(view name, id_columns..., bstart, bend),
// the CPG id rule of CONTRACTS §6 with the view's name as namespace),
// IncrementalCdf/Metadata/FileManifest (over an input relation's Delta table), CpgEmit (the union
// of its sources cast onto the CPG columns of CONTRACTS §6: Nodes, Edges, Props;
// EdgesBySrc/EdgesByDst sorted by the source/destination node; PropsMap one row per entity
// {entity_kind, entity_id, props (a JSON object, keys sorted), prop_count} built from props-shaped
// sources).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/json.h"
#include "engine/dataframe.h"
#include "engine/session_context.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic {

/// One compiled view: its name, the SQL it was planned from, and its lazy DataFrame.
struct CompiledView {
  std::string name;
  std::string sql;
  engine::DataFrame df;
};

/// A run warning (CONTRACTS §2 warnings[]): an accepted runtime flag without effect
/// (RUNTIME_FLAG_IGNORED), a pushdown contract violation under Warn, ...
struct RunWarning {
  std::string code;
  std::string stage;
  std::string message;
  JsonValue context = JsonValue::MakeObject();
};

/// A spec compiled onto a session: views in dependency order, the hashes of CONTRACTS §1.
struct CompiledPlan {
  SemanticSpec spec;
  std::string spec_hash;             ///< SpecHashHex(spec)
  std::vector<std::string> rules;    ///< the active rules, in order
  std::string rulepack_fingerprint;  ///< BLAKE2b-256 hex over `rules`
  std::vector<CompiledView> views;
  std::vector<std::string> cached_views;  ///< computed once per run (semantic/cache_policy.h)
  std::vector<RunWarning> warnings;

  /// The view `name`, or null.
  const CompiledView* view(const std::string& name) const;
};

/// The rules a spec's rulepack profile activates, in order: its rule intents (LowLatency keeps
/// the SemanticIntegrity ones only; Safety rules only under Strict), then `strict_safety` for
/// Strict and Replay.
std::vector<std::string> ActiveRules(const SemanticSpec& spec);

/// BLAKE2b-256 hex over the rule names, one per line.
std::string RulepackFingerprint(const std::vector<std::string>& rules);

/// Compiles `spec` onto `ctx`: registers each input relation as a Delta table (pinned to its
/// version_pin; FilterEq typed parameters applied to it as `column = value`) and each view as a
/// catalog view, in dependency order, with PlaceholderPos parameters bound to the `$n` of its
/// SQL. A view that does not plan (an unknown column, a bad predicate, a type error, a missing
/// output_schema column, a `$n` without a value) fails with stage "compilation", the planner's
/// code, and details {view, path, sql?, cause}.
///
/// Views the spec's cache_policy names (semantic/cache_policy.h) are registered as cached views
/// (engine/cached_view.h): computed on the first run that reads them, then read from memory.
///
/// Pushdown contracts (semantic/pushdown.h) are checked on each output's optimized plan: under
/// the Strict rulepack profile or runtime.pushdown_enforcement_mode Strict a violation fails
/// with stage "compliance", PUSHDOWN_CONTRACT_VIOLATION {table_name, violation_count, filters};
/// under Warn (the default) it is a run warning; Disabled skips the check.
Result<CompiledPlan> CompileSpec(engine::SessionContext& ctx, const SemanticSpec& spec);

/// "name" with embedded double quotes doubled: an SQL identifier.
std::string QuoteIdent(const std::string& name);
/// `parts` joined by `separator` (SQL lists: select items, conjunctions).
std::string Join(const std::vector<std::string>& parts, const std::string& separator);
/// 'text' with embedded single quotes doubled: an SQL string literal.
std::string QuoteString(const std::string& text);

}  // namespace codeanatomy::semantic
