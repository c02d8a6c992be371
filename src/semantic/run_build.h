// The materializer and run_build (CONTRACTS §2): a compiled plan's outputs streamed into their
// Delta targets, and the JSON-in, JSON-out entry point that parses a request, builds a session
// from its engine profile, compiles the spec and materializes it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "engine/session_context.h"
#include "semantic/compiler.h"

namespace codeanatomy::semantic {

/// What one output target's write did.
struct OutputResult {
  std::string table_name;
  std::string delta_location;
  int64_t rows_written = 0;
  int64_t partition_count = 0;  ///< distinct partition values written (1: unpartitioned)
  int64_t delta_version = 0;
  int64_t files_added = 0;
  int64_t bytes_written = 0;
  double seconds = 0;  ///< executing the output's plan and committing it
};

/// The identity of a run, stamped on every commit as `codeanatomy.*` commit properties.
struct RunIdentity {
  std::string envelope_hash;
  std::string run_started_at;  ///< RFC 3339 UTC
};

/// Installs what a run_build session has: the codeanatomy function bundle, the Delta table
/// functions and the window functions.
Status InstallSessionFunctions(engine::SessionState* state);

/// Streams each output target's view (its `columns`, in order; all when empty) into its Delta
/// location: Overwrite or Append, `partition_by`, `max_commit_retries`, and commit properties
/// codeanatomy.{spec_hash, envelope_hash, rulepack_fingerprint, rulepack_profile,
/// run_started_at} plus the target's `write_metadata`. Failures have stage "runtime", code
/// PIPELINE_EXECUTION_FAILED unless the writer gave its own, and details {table_name, path}.
Result<std::vector<OutputResult>> Materialize(const CompiledPlan& plan, const RunIdentity& run);

/// BLAKE2b-256 hex over what a run depends on: engine and Arrow versions, the session profile,
/// the input tables (name, location, pinned version), the session's function names hash, the
/// spec hash and the rulepack fingerprint.
Result<std::string> EnvelopeHash(const engine::SessionContext& ctx,
                                 const engine::SessionFactory& factory, const CompiledPlan& plan);

/// What a compiled spec would do, without executing it (CONTRACTS §1 compile_metadata_json):
/// {spec_hash, envelope_hash, rulepack_fingerprint, providers[{name, kind, location,
/// version_pin}], task_schedule (views in dependency order), manifest{views[{name, sql,
/// columns}], active_rules, ...}, warnings}.
Result<JsonValue> CompileMetadata(const engine::SessionFactory& factory,
                                  std::string_view spec_json);

struct ExecuteSpecOptions {
  bool include_manifest = true;
  bool include_run_bundle = false;
};

/// Compiles `spec_json` on a session from `factory` and materializes its outputs: the run_build
/// response for that spec.
Result<JsonValue> ExecuteSpec(const engine::SessionFactory& factory, std::string_view spec_json,
                              const ExecuteSpecOptions& options = {});

/// run_build: request `{spec_json (string), engine_profile?, runtime?, orchestration?}` →
/// response `{contract_version: 3, run_result, outputs, warnings, diagnostics, artifacts}`
/// (CONTRACTS §2). Request errors: INVALID_RUN_BUILD_REQUEST, RUN_BUILD_REQUEST_MISSING_SPEC_JSON
/// (stage validation); an unknown engine profile is an argument error.
Result<JsonValue> RunBuild(std::string_view request_json);

}  // namespace codeanatomy::semantic
