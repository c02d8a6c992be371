// Errors, JSON reading helpers and extension declarations shared by the Substrait producer,
// consumer and the lineage report, and the binary plan read as JSON.
#include <algorithm>

#include <arrow/engine/substrait/serde.h>

#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic::substrait_internal {

Status NotSupported(std::string_view what, const std::string& name, const std::string& message) {
  JsonValue details = JsonValue::MakeObject();
  details.Set(what, name);
  return EngineError(arrow::StatusCode::NotImplemented, kStage, "SUBSTRAIT_NOT_SUPPORTED", message,
                     details.ToJson());
}

Status InvalidPlan(const std::string& path, const std::string& message) {
  JsonValue details = JsonValue::MakeObject();
  details.Set("path", path);
  return InvalidError(kStage, "SUBSTRAIT_INVALID_PLAN",
                      "invalid Substrait plan at " + path + ": " + message, details.ToJson());
}

Status UnknownFunction(const std::string& uri, const std::string& name, const std::string& why) {
  JsonValue details = JsonValue::MakeObject();
  details.Set("function", name);
  details.Set("uri", uri);
  return InvalidError(
      kStage, "SUBSTRAIT_UNKNOWN_FUNCTION",
      "unknown function " + name + " (" + uri + ")" + (why.empty() ? "" : ": ") + why,
      details.ToJson());
}

// ---------------------------------------------------------------- reading JSON

const JsonValue* Member(const JsonValue& value, std::string_view key) {
  return value.is_object() ? value.Get(key) : nullptr;
}

Result<int64_t> IntMember(const JsonValue& object, std::string_view key, const std::string& path,
                          int64_t fallback) {
  const JsonValue* v = Member(object, key);
  if (!v) return fallback;
  if (v->is_int()) return v->int_value();
  if (v->is_string()) {
    const auto& s = v->string_value();
    bool digits = !s.empty() && std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
    if (digits && s.size() < 20) return static_cast<int64_t>(std::stoll(s));
  }
  return InvalidPlan(JsonPathAppendKey(path, key), "expected an integer");
}

Result<std::string> StringMember(const JsonValue& object, std::string_view key,
                                 const std::string& path, std::string fallback) {
  const JsonValue* v = Member(object, key);
  if (!v) return fallback;
  if (!v->is_string()) return InvalidPlan(JsonPathAppendKey(path, key), "expected a string");
  return v->string_value();
}

Result<std::vector<const JsonValue*>> ArrayMember(const JsonValue& object, std::string_view key,
                                                  const std::string& path) {
  std::vector<const JsonValue*> out;
  const JsonValue* v = Member(object, key);
  if (!v) return out;
  if (!v->is_array()) return InvalidPlan(JsonPathAppendKey(path, key), "expected an array");
  for (const auto& item : v->array_value()) out.push_back(&item);
  return out;
}

Result<std::pair<std::string, const JsonValue*>> OneOf(const JsonValue& object,
                                                       const std::vector<std::string>& kinds,
                                                       const std::string& path,
                                                       std::string_view what) {
  if (!object.is_object()) return InvalidPlan(path, "expected an object");
  for (const auto& kind : kinds) {
    if (const JsonValue* v = object.Get(kind)) return std::make_pair(kind, v);
  }
  std::string keys;
  for (const auto& [k, v] : object.object_value()) keys += (keys.empty() ? "" : ", ") + k;
  if (keys.empty()) return InvalidPlan(path, "empty " + std::string(what));
  return NotSupported(
      what, keys,
      "Substrait " + std::string(what) + " '" + keys + "' at " + path + " is not supported");
}

// ---------------------------------------------------------------- extensions

int64_t ExtensionWriter::UriAnchor(const std::string& uri) {
  auto it = std::find(uris_.begin(), uris_.end(), uri);
  if (it != uris_.end()) return static_cast<int64_t>(it - uris_.begin()) + 1;
  uris_.push_back(uri);
  return static_cast<int64_t>(uris_.size());
}

int64_t ExtensionWriter::Anchor(const ExtensionId& id, std::map<ExtensionId, int64_t>* anchors) {
  if (auto it = anchors->find(id); it != anchors->end()) return it->second;
  UriAnchor(id.uri);
  int64_t anchor = static_cast<int64_t>(functions_.size() + types_.size()) + 1;
  anchors->emplace(id, anchor);
  return anchor;
}

void ExtensionWriter::WriteTo(JsonValue* plan) const {
  JsonValue uris = JsonValue::MakeArray();
  for (size_t i = 0; i < uris_.size(); ++i) {
    JsonValue u = JsonValue::MakeObject();
    u.Set("extensionUriAnchor", static_cast<int64_t>(i) + 1);
    u.Set("uri", uris_[i]);
    uris.Append(std::move(u));
  }
  // Declarations in anchor order.
  std::vector<std::pair<int64_t, JsonValue>> decls;
  auto uri_anchor = [&](const std::string& uri) {
    return static_cast<int64_t>(std::find(uris_.begin(), uris_.end(), uri) - uris_.begin()) + 1;
  };
  for (const auto& [id, anchor] : functions_) {
    JsonValue f = JsonValue::MakeObject();
    f.Set("extensionUriReference", uri_anchor(id.uri));
    f.Set("functionAnchor", anchor);
    f.Set("name", id.name);
    JsonValue d = JsonValue::MakeObject();
    d.Set("extensionFunction", std::move(f));
    decls.emplace_back(anchor, std::move(d));
  }
  for (const auto& [id, anchor] : types_) {
    JsonValue t = JsonValue::MakeObject();
    t.Set("extensionUriReference", uri_anchor(id.uri));
    t.Set("typeAnchor", anchor);
    t.Set("name", id.name);
    JsonValue d = JsonValue::MakeObject();
    d.Set("extensionType", std::move(t));
    decls.emplace_back(anchor, std::move(d));
  }
  std::sort(decls.begin(), decls.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  JsonValue extensions = JsonValue::MakeArray();
  for (auto& [anchor, d] : decls) extensions.Append(std::move(d));
  if (!uris_.empty()) plan->Set("extensionUris", std::move(uris));
  if (!decls.empty()) plan->Set("extensions", std::move(extensions));
}

Result<ExtensionReader> ExtensionReader::Parse(const JsonValue& plan) {
  ExtensionReader out;
  std::map<int64_t, std::string> uris;
  CA_ASSIGN_OR_RAISE(auto uri_list, ArrayMember(plan, "extensionUris", "$"));
  for (size_t i = 0; i < uri_list.size(); ++i) {
    std::string at = JsonPathAppendIndex("$.extensionUris", i);
    CA_ASSIGN_OR_RAISE(int64_t anchor, IntMember(*uri_list[i], "extensionUriAnchor", at));
    CA_ASSIGN_OR_RAISE(auto uri, StringMember(*uri_list[i], "uri", at));
    uris[anchor] = uri;
  }
  CA_ASSIGN_OR_RAISE(auto decls, ArrayMember(plan, "extensions", "$"));
  for (size_t i = 0; i < decls.size(); ++i) {
    std::string at = JsonPathAppendIndex("$.extensions", i);
    bool is_type = Member(*decls[i], "extensionType") != nullptr;
    const JsonValue* d = Member(*decls[i], is_type ? "extensionType" : "extensionFunction");
    if (!d) continue;  // type variations: not used by the engine
    at = JsonPathAppendKey(at, is_type ? "extensionType" : "extensionFunction");
    CA_ASSIGN_OR_RAISE(int64_t uri_ref, IntMember(*d, "extensionUriReference", at));
    CA_ASSIGN_OR_RAISE(int64_t anchor,
                       IntMember(*d, is_type ? "typeAnchor" : "functionAnchor", at));
    CA_ASSIGN_OR_RAISE(auto name, StringMember(*d, "name", at));
    auto uri = uris.find(uri_ref);
    if (uri == uris.end()) {
      return InvalidPlan(JsonPathAppendKey(at, "extensionUriReference"),
                         "no extension URI has anchor " + std::to_string(uri_ref));
    }
    (is_type ? out.types_ : out.functions_)[anchor] = ExtensionId{uri->second, name};
  }
  return out;
}

Result<ExtensionId> ExtensionReader::Function(int64_t anchor, const std::string& path) const {
  auto it = functions_.find(anchor);
  if (it == functions_.end()) {
    return InvalidPlan(path, "no extension function has anchor " + std::to_string(anchor));
  }
  return it->second;
}

Result<ExtensionId> ExtensionReader::Type(int64_t anchor, const std::string& path) const {
  auto it = types_.find(anchor);
  if (it == types_.end()) {
    return InvalidPlan(path, "no extension type has anchor " + std::to_string(anchor));
  }
  return it->second;
}

// ---------------------------------------------------------------- conjunctions

engine::ExprPtr Conjoin(const std::vector<engine::ExprPtr>& conjuncts) {
  if (conjuncts.empty()) return nullptr;
  engine::ExprPtr out = conjuncts[0];
  for (size_t i = 1; i < conjuncts.size(); ++i) out = engine::Call("and", {out, conjuncts[i]});
  return out;
}

void SplitConjunction(const engine::ExprPtr& expr, std::vector<engine::ExprPtr>* out) {
  const engine::Expr& inner = engine::Unaliased(*expr);
  if (inner.kind == engine::ExprKind::kCall && inner.name == "and" && inner.args.size() == 2) {
    SplitConjunction(inner.args[0], out);
    SplitConjunction(inner.args[1], out);
    return;
  }
  out->push_back(expr);
}

}  // namespace codeanatomy::semantic::substrait_internal

namespace codeanatomy::semantic {

using substrait_internal::InvalidPlan;

// The binary form, as Arrow reads it, in the protobuf JSON mapping the consumer and the lineage
// report read.
Result<JsonValue> SubstraitPlanToJson(const arrow::Buffer& plan) {
  auto json = arrow::engine::internal::SubstraitToJSON("Plan", plan);
  if (!json.ok()) {
    return InvalidPlan("$", "the bytes are not a Substrait plan: " + json.status().message());
  }
  auto parsed = JsonValue::Parse(*json);
  if (!parsed.ok()) return InvalidPlan("$", "unreadable plan JSON: " + parsed.status().message());
  return parsed.MoveValueUnsafe();
}

}  // namespace codeanatomy::semantic
