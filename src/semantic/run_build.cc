#include "semantic/run_build.h"

#include <chrono>
#include <ctime>

#include <arrow/config.h>
#include <arrow/util/base64.h>

#include "common/hash.h"
#include "delta/table_functions.h"
#include "delta/writer.h"
#include "engine/expr.h"
#include "functions/registry_snapshot.h"
#include "functions/window_functions.h"
#include "semantic/join_graph.h"
#include "semantic/lineage.h"
#include "semantic/maintenance.h"
#include "semantic/substrait.h"
#include "semantic/task_graph.h"

namespace codeanatomy::semantic {

namespace {

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms.count()));
  return out;
}

double SecondsSince(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

Status RequestError(std::string_view code, const std::string& path, const std::string& error) {
  return InvalidError(stage::kValidation, code, "run_build request: " + path + ": " + error,
                      "{\"path\":" + JsonQuote(path) + ",\"error\":" + JsonQuote(error) + "}");
}

struct Request {
  std::string spec_json;
  std::string engine_profile = "medium";
  bool include_manifest = true;
  bool include_run_bundle = false;
  bool emit_auxiliary_outputs = true;
};

Result<bool> Flag(const JsonValue& object, const std::string& key, bool fallback,
                  const std::string& path) {
  const JsonValue* v = object.Get(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) {
    return RequestError("INVALID_RUN_BUILD_REQUEST", path + "." + key, "must be true or false");
  }
  return v->bool_value();
}

// The request, with `runtime` (when given) put in place of the spec's own.
Result<Request> ParseRequest(std::string_view text) {
  auto parsed = JsonValue::Parse(text);
  if (!parsed.ok()) {
    return RequestError("INVALID_RUN_BUILD_REQUEST", "$", parsed.status().message());
  }
  const JsonValue& json = *parsed;
  if (!json.is_object()) return RequestError("INVALID_RUN_BUILD_REQUEST", "$", "not an object");
  for (const auto& [key, value] : json.object_value()) {
    if (key != "spec_json" && key != "engine_profile" && key != "runtime" &&
        key != "orchestration") {
      return RequestError("INVALID_RUN_BUILD_REQUEST", "$." + key, "unknown field");
    }
  }
  Request r;
  const JsonValue* spec = json.Get("spec_json");
  if (spec == nullptr || spec->is_null()) {
    return RequestError("RUN_BUILD_REQUEST_MISSING_SPEC_JSON", "$.spec_json", "required");
  }
  if (!spec->is_string()) {
    return RequestError("INVALID_RUN_BUILD_REQUEST", "$.spec_json", "must be a JSON string");
  }
  r.spec_json = spec->string_value();
  if (const JsonValue* p = json.Get("engine_profile"); p != nullptr && !p->is_null()) {
    if (!p->is_string()) {
      return RequestError("INVALID_RUN_BUILD_REQUEST", "$.engine_profile", "must be a string");
    }
    r.engine_profile = p->string_value();
  }
  if (const JsonValue* runtime = json.Get("runtime"); runtime != nullptr && !runtime->is_null()) {
    if (!runtime->is_object()) {
      return RequestError("INVALID_RUN_BUILD_REQUEST", "$.runtime", "must be an object");
    }
    auto spec_value = JsonValue::Parse(r.spec_json);
    if (spec_value.ok() && spec_value->is_object()) {
      spec_value->Set("runtime", *runtime);
      r.spec_json = spec_value->ToJson();
    }  // else the spec's own parse reports it
  }
  if (const JsonValue* o = json.Get("orchestration"); o != nullptr && !o->is_null()) {
    if (!o->is_object()) {
      return RequestError("INVALID_RUN_BUILD_REQUEST", "$.orchestration", "must be an object");
    }
    for (const auto& [key, value] : o->object_value()) {
      if (key != "include_manifest" && key != "include_run_bundle" &&
          key != "emit_auxiliary_outputs") {
        return RequestError("INVALID_RUN_BUILD_REQUEST", "$.orchestration." + key, "unknown field");
      }
    }
    CA_ASSIGN_OR_RAISE(r.include_manifest, Flag(*o, "include_manifest", true, "$.orchestration"));
    CA_ASSIGN_OR_RAISE(r.include_run_bundle,
                       Flag(*o, "include_run_bundle", false, "$.orchestration"));
    CA_ASSIGN_OR_RAISE(r.emit_auxiliary_outputs,
                       Flag(*o, "emit_auxiliary_outputs", true, "$.orchestration"));
  }
  return r;
}

Status OutputError(const Status& cause, const OutputTarget& target, size_t index) {
  ErrorInfo info = DescribeError(cause);
  std::string code = info.stage == stage::kExecution || info.code.empty()
                         ? "PIPELINE_EXECUTION_FAILED"
                         : info.code;
  return EngineError(
      cause.code(), stage::kRuntime, code, "output '" + target.table_name + "': " + info.message,
      "{\"table_name\":" + JsonQuote(target.table_name) +
          ",\"path\":" + JsonQuote("$.output_targets[" + std::to_string(index) + "]") +
          ",\"cause_stage\":" + JsonQuote(info.stage) + ",\"cause_code\":" + JsonQuote(info.code) +
          "}");
}

Result<OutputResult> WriteOutput(const CompiledPlan& plan, const OutputTarget& target, size_t index,
                                 const RunIdentity& run) {
  const CompiledView* view = plan.view(target.source_view);
  if (view == nullptr) {  // validation guarantees the view; a guard, not a path
    return Status::Invalid("output '", target.table_name, "': no view ", target.source_view);
  }
  if (!target.delta_location || target.delta_location->empty()) {
    return InvalidError(
        stage::kValidation, "OUTPUT_LOCATION_MISSING",
        "output '" + target.table_name + "' has no delta_location",
        "{\"table_name\":" + JsonQuote(target.table_name) + ",\"path\":" +
            JsonQuote("$.output_targets[" + std::to_string(index) + "].delta_location") + "}");
  }
  engine::DataFrame df = view->df;
  if (!target.columns.empty()) {
    std::vector<engine::ExprPtr> columns;
    for (const auto& c : target.columns) columns.push_back(engine::Column(c));
    CA_ASSIGN_OR_RAISE(df, df.Select(std::move(columns)));
  }
  CA_ASSIGN_OR_RAISE(auto reader, df.ExecuteStream());
  delta::WriteOptions options;
  options.mode = target.materialization_mode == MaterializationMode::kAppend
                     ? delta::WriteMode::kAppend
                     : delta::WriteMode::kOverwrite;
  options.partition_by = target.partition_by;
  if (target.max_commit_retries) options.max_retries = static_cast<int>(*target.max_commit_retries);
  options.commit_properties = target.write_metadata;
  options.commit_properties["codeanatomy.spec_hash"] = plan.spec_hash;
  options.commit_properties["codeanatomy.envelope_hash"] = run.envelope_hash;
  options.commit_properties["codeanatomy.rulepack_fingerprint"] = plan.rulepack_fingerprint;
  options.commit_properties["codeanatomy.rulepack_profile"] =
      std::string(SpecName(plan.spec.rulepack_profile));
  options.commit_properties["codeanatomy.run_started_at"] = run.run_started_at;
  CA_ASSIGN_OR_RAISE(auto written,
                     delta::WriteDelta(*target.delta_location, std::move(reader), options));
  OutputResult out;
  out.table_name = target.table_name;
  out.delta_location = *target.delta_location;
  out.rows_written = written.rows_written;
  out.partition_count = written.partitions_written;
  out.delta_version = written.version;
  out.files_added = written.files_added;
  out.bytes_written = written.bytes_written;
  return out;
}

JsonValue OutputJson(const OutputResult& o) {
  JsonValue outcome = JsonValue::MakeObject();
  outcome.Set("status", "captured")
      .Set("delta_version", o.delta_version)
      .Set("files_added", o.files_added)
      .Set("bytes_written", o.bytes_written);
  JsonValue out = JsonValue::MakeObject();
  out.Set("table_name", o.table_name)
      .Set("delta_location", o.delta_location)
      .Set("rows_written", o.rows_written)
      .Set("partition_count", o.partition_count)
      .Set("write_outcome", std::move(outcome));
  return out;
}

JsonValue WarningsJson(const CompiledPlan& plan) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& warning : plan.warnings) {
    JsonValue w = JsonValue::MakeObject();
    w.Set("code", warning.code)
        .Set("stage", warning.stage)
        .Set("message", warning.message)
        .Set("context", warning.context);
    out.Append(std::move(w));
  }
  return out;
}

// Per output: its view's SQL, the logical/optimized/physical plan text, the Substrait plan
// (base64 of the binary; null with the reason when the plan has what Substrait cannot carry),
// the lineage, and fingerprints.
Result<JsonValue> PlanBundles(const CompiledPlan& plan) {
  JsonValue bundles = JsonValue::MakeArray();
  for (const auto& target : plan.spec.output_targets) {
    const CompiledView* view = plan.view(target.source_view);
    if (view == nullptr) continue;
    CA_ASSIGN_OR_RAISE(auto explain, view->df.Explain());
    JsonValue b = JsonValue::MakeObject();
    b.Set("table_name", target.table_name)
        .Set("view", view->name)
        .Set("sql", view->sql)
        .Set("plan_text", explain)
        .Set("plan_fingerprint", Blake2bHex(explain, 32));
    auto substrait = DataFrameToSubstrait(view->df);
    if (substrait.ok()) {
      std::string_view bytes(reinterpret_cast<const char*>((*substrait)->data()),
                             static_cast<size_t>((*substrait)->size()));
      b.Set("substrait", arrow::util::base64_encode(bytes))
          .Set("substrait_fingerprint", Blake2bHex(bytes, 32));
    } else {
      b.Set("substrait", nullptr).Set("substrait_error", substrait.status().ToString());
    }
    CA_ASSIGN_OR_RAISE(auto lineage, LineageOfDataFrame(view->df));
    b.Set("lineage", lineage.ToJson());
    bundles.Append(std::move(b));
  }
  return bundles;
}

}  // namespace

Status InstallSessionFunctions(engine::SessionState* state) {
  CA_RETURN_NOT_OK(functions::InstallCodeanatomyBundle(state));
  CA_RETURN_NOT_OK(delta::RegisterDeltaTableFunctions(state));
  return functions::InstallWindowFunctions(state);
}

Result<std::vector<OutputResult>> Materialize(const CompiledPlan& plan, const RunIdentity& run) {
  std::vector<OutputResult> out;
  for (size_t i = 0; i < plan.spec.output_targets.size(); ++i) {
    const OutputTarget& target = plan.spec.output_targets[i];
    auto begin = std::chrono::steady_clock::now();
    auto written = WriteOutput(plan, target, i, run);
    if (!written.ok()) {
      if (DescribeError(written.status()).stage == stage::kValidation) return written.status();
      return OutputError(written.status(), target, i);
    }
    written->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    out.push_back(std::move(*written));
  }
  return out;
}

Result<std::string> EnvelopeHash(const engine::SessionContext& ctx,
                                 const engine::SessionFactory& factory, const CompiledPlan& plan) {
  CA_ASSIGN_OR_RAISE(auto snapshot,
                     functions::RegistrySnapshot(functions::SessionDescriptors(ctx.state().get())));
  JsonValue tables = JsonValue::MakeArray();
  for (const auto& in : plan.spec.input_relations) {
    JsonValue t = JsonValue::MakeObject();
    t.Set("name", in.logical_name).Set("location", in.delta_location);
    t.Set("version", in.version_pin ? JsonValue(*in.version_pin) : JsonValue(nullptr));
    tables.Append(std::move(t));
  }
  auto session = JsonValue::Parse(factory.ProfileJson());
  JsonValue envelope = JsonValue::MakeObject();
  envelope.Set("engine_version", engine::kEngineVersion)
      .Set("arrow_version", arrow::GetBuildInfo().version_string)
      .Set("session", session.ok() ? *session : JsonValue(factory.ProfileJson()))
      .Set("tables", std::move(tables))
      .Set("functions_names_hash",
           snapshot.Get("names_hash") ? *snapshot.Get("names_hash") : JsonValue(nullptr))
      .Set("spec_hash", plan.spec_hash)
      .Set("rulepack_fingerprint", plan.rulepack_fingerprint);
  return Blake2bHex(CanonicalJson(envelope), 32);
}

namespace {

// A session from `factory` with the function bundle, and the spec compiled onto it.
struct Compiled {
  engine::SessionContext ctx;
  CompiledPlan plan;
  std::string envelope_hash;
};

Result<Compiled> CompileOnSession(const engine::SessionFactory& factory,
                                  std::string_view spec_json) {
  CA_ASSIGN_OR_RAISE(SemanticSpec spec, ParseAndValidateSpec(spec_json));
  auto made = engine::SessionContext::Make(factory);
  if (!made.ok()) {
    return WithStage(made.status(), stage::kRuntime, "PREPARE_EXECUTION_CONTEXT_FAILED");
  }
  engine::SessionContext ctx = std::move(*made);
  if (Status st = InstallSessionFunctions(ctx.state().get()); !st.ok()) {
    return WithStage(st, stage::kRuntime, "PREPARE_EXECUTION_CONTEXT_FAILED");
  }
  CA_ASSIGN_OR_RAISE(CompiledPlan plan, CompileSpec(ctx, spec));
  CA_ASSIGN_OR_RAISE(std::string envelope, EnvelopeHash(ctx, factory, plan));
  return Compiled{std::move(ctx), std::move(plan), std::move(envelope)};
}

JsonValue Strings(const std::vector<std::string>& values) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& v : values) out.Append(v);
  return out;
}

JsonValue Manifest(const CompiledPlan& plan, const std::string& profile) {
  JsonValue views = JsonValue::MakeArray();
  for (const auto& v : plan.views) {
    JsonValue columns = JsonValue::MakeObject();
    for (const auto& f : v.df.schema()->fields()) columns.Set(f->name(), f->type()->ToString());
    JsonValue entry = JsonValue::MakeObject();
    entry.Set("name", v.name).Set("sql", v.sql).Set("columns", std::move(columns));
    views.Append(std::move(entry));
  }
  JsonValue manifest = JsonValue::MakeObject();
  manifest.Set("spec_hash", plan.spec_hash)
      .Set("engine_profile", profile)
      .Set("rulepack_profile", std::string(SpecName(plan.spec.rulepack_profile)))
      .Set("active_rules", Strings(plan.rules))
      .Set("views", std::move(views));
  return manifest;
}

}  // namespace

Result<JsonValue> CompileMetadata(const engine::SessionFactory& factory,
                                  std::string_view spec_json) {
  CA_ASSIGN_OR_RAISE(Compiled c, CompileOnSession(factory, spec_json));
  std::vector<std::string> schedule;
  for (const auto& v : c.plan.views) schedule.push_back(v.name);
  JsonValue providers = JsonValue::MakeArray();
  for (const auto& in : c.plan.spec.input_relations) {
    JsonValue p = JsonValue::MakeObject();
    p.Set("name", in.logical_name).Set("kind", "delta").Set("location", in.delta_location);
    p.Set("version_pin", in.version_pin ? JsonValue(*in.version_pin) : JsonValue(nullptr));
    providers.Append(std::move(p));
  }
  JsonValue lineage = JsonValue::MakeArray();
  for (const auto& target : c.plan.spec.output_targets) {
    const CompiledView* view = c.plan.view(target.source_view);
    if (view == nullptr) continue;
    auto report = LineageOfDataFrame(view->df);
    if (!report.ok()) {
      return WithStage(report.status(), stage::kCompilation, "COMPILE_METADATA_CAPTURE_FAILED");
    }
    JsonValue entry = JsonValue::MakeObject();
    entry.Set("table_name", target.table_name).Set("lineage", report->ToJson());
    lineage.Append(std::move(entry));
  }
  JsonValue out = JsonValue::MakeObject();
  out.Set("spec_hash", c.plan.spec_hash)
      .Set("envelope_hash", c.envelope_hash)
      .Set("lineage", std::move(lineage))
      .Set("rulepack_fingerprint", c.plan.rulepack_fingerprint)
      .Set("providers", std::move(providers))
      .Set("task_schedule", Strings(schedule))
      .Set("task_graph", TaskGraphJson(BuildTaskGraph(c.plan.spec)))
      .Set("cached_views", Strings(c.plan.cached_views))
      .Set("manifest", Manifest(c.plan, factory.config().profile))
      .Set("warnings", WarningsJson(c.plan));
  return out;
}

Result<JsonValue> ExecuteSpec(const engine::SessionFactory& factory, std::string_view spec_json,
                              const ExecuteSpecOptions& options) {
  std::string started_at = NowRfc3339();
  auto begin = std::chrono::steady_clock::now();
  CA_ASSIGN_OR_RAISE(Compiled c, CompileOnSession(factory, spec_json));
  CompiledPlan& plan = c.plan;
  double compile_seconds = SecondsSince(begin);
  if (plan.spec.rulepack_profile == RulepackProfile::kStrict) {
    CA_RETURN_NOT_OK(VerifyConstraints(c.ctx, plan.spec.join_graph, plan.warnings));
  }
  CA_ASSIGN_OR_RAISE(auto outputs, Materialize(plan, RunIdentity{c.envelope_hash, started_at}));
  CA_ASSIGN_OR_RAISE(auto maintenance, ParseMaintenance(plan.spec));
  auto maintained = RunMaintenance(maintenance, outputs, plan.warnings);

  JsonValue output_list = JsonValue::MakeArray();
  for (const auto& o : outputs) output_list.Append(OutputJson(o));
  JsonValue warnings = WarningsJson(plan);
  TaskGraph graph = BuildTaskGraph(plan.spec);
  std::map<std::string, double> seconds;
  JsonValue output_metrics = JsonValue::MakeArray();
  for (const auto& o : outputs) {
    seconds["output:" + o.table_name] = o.seconds;
    JsonValue m = JsonValue::MakeObject();
    m.Set("table_name", o.table_name)
        .Set("rows_written", o.rows_written)
        .Set("files_added", o.files_added)
        .Set("bytes_written", o.bytes_written)
        .Set("seconds", o.seconds);
    output_metrics.Append(std::move(m));
  }
  JsonValue metrics = JsonValue::MakeObject();
  metrics.Set("compile_seconds", compile_seconds)
      .Set("total_seconds", SecondsSince(begin))
      .Set("outputs", std::move(output_metrics))
      .Set("cached_views", Strings(plan.cached_views));
  JsonValue run_result = JsonValue::MakeObject();
  run_result.Set("outputs", output_list)
      .Set("spec_hash", plan.spec_hash)
      .Set("envelope_hash", c.envelope_hash)
      .Set("rulepack_fingerprint", plan.rulepack_fingerprint);
  if (options.include_run_bundle || plan.spec.runtime.capture_substrait) {
    CA_ASSIGN_OR_RAISE(auto bundles, PlanBundles(plan));
    run_result.Set("plan_bundles", std::move(bundles));
  } else {
    run_result.Set("plan_bundles", JsonValue::MakeArray());
  }
  run_result.Set("collected_metrics", std::move(metrics))
      .Set("task_schedule", *TaskGraphJson(graph).Get("tasks"))
      .Set("critical_path", CriticalPathJson(FindCriticalPath(graph, seconds)))
      .Set("maintenance", MaintenanceJson(maintained))
      .Set("warnings", warnings)
      .Set("started_at", started_at)
      .Set("completed_at", NowRfc3339());
  JsonValue artifacts = JsonValue::MakeObject();
  if (options.include_manifest) {
    artifacts.Set("manifest", Manifest(plan, factory.config().profile));
  }
  JsonValue diagnostics = JsonValue::MakeObject();
  diagnostics.Set("events", JsonValue::MakeArray()).Set("artifacts", JsonValue::MakeArray());
  JsonValue response = JsonValue::MakeObject();
  response.Set("contract_version", 3)
      .Set("run_result", std::move(run_result))
      .Set("outputs", std::move(output_list))
      .Set("warnings", std::move(warnings))
      .Set("diagnostics", std::move(diagnostics))
      .Set("artifacts", std::move(artifacts));
  return response;
}

Result<JsonValue> RunBuild(std::string_view request_json) {
  CA_ASSIGN_OR_RAISE(Request request, ParseRequest(request_json));
  CA_ASSIGN_OR_RAISE(auto factory, engine::SessionFactory::FromProfile(request.engine_profile));
  return ExecuteSpec(factory, request.spec_json,
                     ExecuteSpecOptions{request.include_manifest, request.include_run_bundle});
}

}  // namespace codeanatomy::semantic
