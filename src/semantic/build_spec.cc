#include "semantic/build_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/suggest.h"
#include "semantic/build_spec_internal.h"
#include "semantic/spec_internal.h"

namespace codeanatomy::semantic {

namespace build_spec_internal {

Status PathError(std::string_view code, const std::string& path, const std::string& error,
                 Members extra) {
  Members members = {{"path", path}, {"error", error}};
  for (auto& member : extra) members.push_back(std::move(member));
  std::string document = code == kRequestInvalid         ? "build_spec request"
                         : code == kSchemaRuntimeInvalid ? "schema runtime"
                                                         : "semantic IR";
  return InvalidError(stage::kValidation, code, document + " at " + path + ": " + error,
                      internal::DetailsJson(std::move(members)));
}

Status TypeError(std::string_view code, const std::string& path, std::string_view expected,
                 const JsonValue& actual) {
  return PathError(
      code, path,
      "expected " + std::string(expected) + ", got " + std::string(JsonTypeName(actual.type())));
}

Result<std::string> AsString(std::string_view code, const JsonValue& v, const std::string& path) {
  if (!v.is_string()) return TypeError(code, path, "a string", v);
  return v.string_value();
}

Result<std::vector<std::string>> AsStrings(std::string_view code, const JsonValue& v,
                                           const std::string& path) {
  if (!v.is_array()) return TypeError(code, path, "an array of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.array_value().size(); ++i) {
    CA_ASSIGN_OR_RAISE(auto s, AsString(code, v.array_value()[i], JsonPathAppendIndex(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::map<std::string, std::string>> AsStringMap(std::string_view code, const JsonValue& v,
                                                       const std::string& path) {
  if (!v.is_object()) return TypeError(code, path, "an object of strings", v);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.object_value()) {
    CA_ASSIGN_OR_RAISE(out[key], AsString(code, value, JsonPathAppendKey(path, key)));
  }
  return out;
}

std::string Loose(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace build_spec_internal

namespace {

using internal::DetailsJson;
using namespace build_spec_internal;  // NOLINT(build/namespaces)

struct RequestedOutput {
  OutputTarget target;
  std::string path;  ///< where the source view is named
};

class SpecBuilder {
 public:
  Status ReadIr(const JsonValue& ir) { return ir_.Read(ir); }
  Status ReadRequest(const JsonValue& request);
  Result<SemanticSpec> Build() const;

 private:
  Status ReadInputLocation(const std::string& name, const JsonValue& v, const std::string& path);
  Status ReadOutputTarget(const JsonValue& v, size_t index);
  Status TranslateSpecError(const Status& status, const SemanticSpec& spec,
                            const std::vector<size_t>& ir_index) const;

  SemanticIr ir_;
  std::map<std::string, InputRelation, std::less<>> locations_;
  std::vector<RequestedOutput> outputs_;
  RulepackProfile profile_ = RulepackProfile::kDefault;
  std::optional<JsonValue> runtime_;
};

Status SpecBuilder::ReadRequest(const JsonValue& request) {
  CA_ASSIGN_OR_RAISE(auto root,
                     ObjectFields::Open(request, std::string(kJsonPathRoot), kRequestInvalid));
  CA_RETURN_NOT_OK(root.Allow(
      {"input_locations", "output_targets", "rulepack_profile", "output_locations", "runtime"}));
  if (const JsonValue* locations = root.Get("input_locations")) {
    CA_ASSIGN_OR_RAISE(
        auto all, ObjectFields::Open(*locations, root.Path("input_locations"), kRequestInvalid));
    for (const auto& [name, value] : all.members()) {
      CA_RETURN_NOT_OK(ReadInputLocation(name, value, all.Path(name)));
    }
  }
  const JsonValue* targets = root.Get("output_targets");
  if (targets != nullptr && !targets->is_array()) {
    return TypeError(kRequestInvalid, root.Path("output_targets"), "an array", *targets);
  }
  if (targets == nullptr || targets->array_value().empty()) {
    return PathError(kRequestInvalid, root.Path("output_targets"),
                     "at least one output target is required");
  }
  for (size_t i = 0; i < targets->array_value().size(); ++i) {
    CA_RETURN_NOT_OK(ReadOutputTarget(targets->array_value()[i], i));
  }
  if (const JsonValue* placed = root.Get("output_locations")) {
    CA_ASSIGN_OR_RAISE(auto uris,
                       AsStringMap(kRequestInvalid, *placed, root.Path("output_locations")));
    for (const auto& [table, uri] : uris) {
      auto it = std::find_if(outputs_.begin(), outputs_.end(), [&](const RequestedOutput& o) {
        return o.target.table_name == table;
      });
      if (it == outputs_.end()) {
        return PathError(kRequestInvalid, JsonPathAppendKey(root.Path("output_locations"), table),
                         "no output target has table_name '" + table + "'");
      }
      it->target.delta_location = uri;
    }
  }
  if (const JsonValue* profile = root.Get("rulepack_profile")) {
    CA_ASSIGN_OR_RAISE(
        profile_, ParseEnum<RulepackProfile>(kRequestInvalid, *profile,
                                             root.Path("rulepack_profile"), kRulepackProfileCount));
  }
  if (const JsonValue* runtime = root.Get("runtime")) {
    if (!runtime->is_object()) {
      return TypeError(kRequestInvalid, root.Path("runtime"), "an object", *runtime);
    }
    runtime_ = *runtime;
  }
  return Status::OK();
}

Status SpecBuilder::ReadInputLocation(const std::string& name, const JsonValue& v,
                                      const std::string& path) {
  if (ir_.View(name) != nullptr) {
    return PathError(kRequestInvalid, path, "'" + name + "' is a view of the IR, not an input");
  }
  InputRelation relation{name, "", false, std::nullopt};
  if (v.is_string()) {
    relation.delta_location = v.string_value();
  } else {
    CA_ASSIGN_OR_RAISE(auto fields, ObjectFields::Open(v, path, kRequestInvalid));
    CA_RETURN_NOT_OK(fields.Allow({"delta_location", "version_pin", "requires_lineage"}));
    CA_ASSIGN_OR_RAISE(relation.delta_location, fields.String("delta_location"));
    CA_ASSIGN_OR_RAISE(relation.version_pin, fields.OptionalInt("version_pin"));
    CA_ASSIGN_OR_RAISE(relation.requires_lineage, fields.Bool("requires_lineage", false));
  }
  locations_[name] = std::move(relation);
  return Status::OK();
}

Status SpecBuilder::ReadOutputTarget(const JsonValue& v, size_t index) {
  const std::string path = JsonPathAppendIndex("$.output_targets", index);
  RequestedOutput out{{}, path};
  OutputTarget& target = out.target;
  if (v.is_string()) {
    target.table_name = target.source_view = v.string_value();
  } else {
    CA_ASSIGN_OR_RAISE(auto fields, ObjectFields::Open(v, path, kRequestInvalid));
    CA_RETURN_NOT_OK(
        fields.Allow({"table_name", "source_view", "columns", "partition_by",
                      "materialization_mode", "write_metadata", "max_commit_retries"}));
    CA_ASSIGN_OR_RAISE(target.table_name, fields.String("table_name"));
    CA_ASSIGN_OR_RAISE(auto source, fields.OptionalString("source_view"));
    target.source_view = source.value_or(target.table_name);
    if (source) out.path = fields.Path("source_view");
    CA_ASSIGN_OR_RAISE(target.columns, fields.Strings("columns", false));
    CA_ASSIGN_OR_RAISE(target.partition_by, fields.Strings("partition_by", false));
    if (const JsonValue* mode = fields.Get("materialization_mode")) {
      CA_ASSIGN_OR_RAISE(target.materialization_mode,
                         ParseEnum<MaterializationMode>(kRequestInvalid, *mode,
                                                        fields.Path("materialization_mode"),
                                                        kMaterializationModeCount));
    }
    if (const JsonValue* metadata = fields.Get("write_metadata")) {
      CA_ASSIGN_OR_RAISE(target.write_metadata,
                         AsStringMap(kRequestInvalid, *metadata, fields.Path("write_metadata")));
    }
    CA_ASSIGN_OR_RAISE(target.max_commit_retries, fields.OptionalInt("max_commit_retries"));
  }
  const IrView* view = ir_.View(target.source_view);
  if (view == nullptr || !view->kind->executable) {
    std::vector<std::string> executable;
    for (const IrView& candidate : ir_.views()) {
      if (candidate.kind->executable) executable.push_back(candidate.name);
    }
    std::string why = view == nullptr
                          ? "unknown view '" + target.source_view + "'" +
                                SuggestionText(ClosestNames(target.source_view, executable, 1))
                          : "view '" + target.source_view + "' is a " +
                                std::string(view->kind->name) + " view, which is not executable";
    return PathError(kRequestInvalid, out.path, why);
  }
  outputs_.push_back(std::move(out));
  return Status::OK();
}

// A spec path under a view definition, as the IR path that produced it.
std::string IrMemberPath(const std::string& rest) {
  auto starts = [&](std::string_view prefix) { return rest.rfind(prefix, 0) == 0; };
  if (starts(".transform.left") || starts(".transform.source")) {
    if (starts(".transform.sources")) return ".inputs" + rest.substr(18);
    return ".inputs[0]";
  }
  if (starts(".transform.right")) return ".inputs[1]";
  if (starts(".transform")) return rest.substr(10);
  if (starts(".view_dependencies")) return ".inputs";
  if (starts(".output_schema")) return ".output_columns";
  return rest;
}

Status SpecBuilder::TranslateSpecError(const Status& status, const SemanticSpec& spec,
                                       const std::vector<size_t>& ir_index) const {
  ErrorInfo info = DescribeError(status);
  if (info.code != "INVALID_SPEC_JSON") return status;
  auto details = JsonValue::Parse(info.details_json);
  auto text = [&](std::string_view key) -> std::string {
    const JsonValue* v = details.ok() ? details->Get(key) : nullptr;
    return v != nullptr && v->is_string() ? v->string_value() : "";
  };
  const std::string path = text("path");
  const std::string error = text("error");
  auto starts = [&](std::string_view prefix) { return path.rfind(prefix, 0) == 0; };
  auto index_after = [&](size_t prefix_size) -> std::pair<size_t, std::string> {
    size_t close = path.find(']', prefix_size);
    size_t i = 0;
    std::from_chars(path.data() + prefix_size, path.data() + close, i);
    return {i, path.substr(close + 1)};
  };
  Members extra = {{"spec_path", path}};
  if (starts("$.runtime") || starts("$.output_targets") || starts("$.rulepack_profile")) {
    return PathError(kRequestInvalid, path, error, std::move(extra));
  }
  constexpr std::string_view kViews = "$.view_definitions[";
  if (starts(kViews)) {
    auto [i, rest] = index_after(kViews.size());
    if (i < ir_index.size()) {
      return PathError(kIrInvalid, ir_.views()[ir_index[i]].path + IrMemberPath(rest), error,
                       std::move(extra));
    }
  }
  constexpr std::string_view kInputs = "$.input_relations[";
  if (starts(kInputs)) {
    auto [i, rest] = index_after(kInputs.size());
    if (i < spec.input_relations.size()) {
      return PathError(kRequestInvalid,
                       JsonPathAppendKey("$.input_locations", spec.input_relations[i].logical_name),
                       error, std::move(extra));
    }
  }
  return PathError(kIrInvalid, std::string(kJsonPathRoot), error, std::move(extra));
}

Result<SemanticSpec> SpecBuilder::Build() const {
  SemanticSpec spec;
  std::vector<size_t> ir_index;  // spec view i came from IR view ir_index[i]
  for (size_t i = 0; i < ir_.views().size(); ++i) {
    const IrView& view = ir_.views()[i];
    if (!view.kind->executable) continue;
    CA_RETURN_NOT_OK(ir_.CheckArity(view));
    const std::string inputs_path = JsonPathAppendKey(view.path, "inputs");
    ViewDefinition def{view.name, std::string(view.kind->name), {}, {}, {view.output_columns}};
    for (size_t k = 0; k < view.inputs.size(); ++k) {
      const std::string& input = view.inputs[k];
      const std::string input_path = JsonPathAppendIndex(inputs_path, k);
      if (const IrView* dep = ir_.View(input)) {
        if (!dep->kind->executable) {
          return PathError(kTransformFailed, input_path,
                           "input '" + input + "' is a " + std::string(dep->kind->name) +
                               " view, which is not executable",
                           {{"view", view.name}});
        }
        auto& deps = def.view_dependencies;
        if (std::find(deps.begin(), deps.end(), input) == deps.end()) deps.push_back(input);
        continue;
      }
      auto& relations = spec.input_relations;
      if (std::any_of(relations.begin(), relations.end(),
                      [&](const InputRelation& r) { return r.logical_name == input; })) {
        continue;
      }
      auto location = locations_.find(input);
      if (location == locations_.end()) {
        return PathError(kRequestInvalid, JsonPathAppendKey("$.input_locations", input),
                         "input '" + input + "' (read by view '" + view.name +
                             "') is not a view and has no location",
                         {{"input", input}, {"referenced_at", input_path}});
      }
      relations.push_back(location->second);
    }
    CA_ASSIGN_OR_RAISE(def.transform, ir_.Transform(view));
    spec.view_definitions.push_back(std::move(def));
    ir_index.push_back(i);
  }
  spec.join_graph.edges = ir_.edges();
  for (const RequestedOutput& output : outputs_) spec.output_targets.push_back(output.target);
  spec.rulepack_profile = profile_;
  JsonValue json = SpecToJson(spec);
  if (runtime_) json.Set("runtime", *runtime_);
  auto parsed = ParseAndValidateSpec(json.ToJson());
  if (!parsed.ok()) return TranslateSpecError(parsed.status(), spec, ir_index);
  return parsed;
}

Result<JsonValue> ParseDocument(std::string_view text, std::string_view code) {
  auto parsed = JsonValue::Parse(text);
  if (!parsed.ok()) {
    return PathError(code, std::string(kJsonPathRoot),
                     "not valid JSON: " + parsed.status().message());
  }
  return parsed;
}

}  // namespace

Result<SemanticSpec> BuildSpec(std::string_view ir_json, std::string_view request_json) {
  CA_ASSIGN_OR_RAISE(JsonValue ir, ParseDocument(ir_json, kIrInvalid));
  CA_ASSIGN_OR_RAISE(JsonValue request, ParseDocument(request_json, kRequestInvalid));
  SpecBuilder builder;
  CA_RETURN_NOT_OK(builder.ReadIr(ir));
  CA_RETURN_NOT_OK(builder.ReadRequest(request));
  return builder.Build();
}

Result<std::string> BuildSpecJson(std::string_view ir_json, std::string_view request_json) {
  CA_ASSIGN_OR_RAISE(SemanticSpec spec, BuildSpec(ir_json, request_json));
  return CanonicalJson(SpecToJson(spec));
}

}  // namespace codeanatomy::semantic
