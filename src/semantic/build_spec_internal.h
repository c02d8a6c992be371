// Internals of build_spec (semantic/build_spec.h): reading JSON objects with paths and error
// codes (also used to read the schema runtime's JSON back), and the semantic IR with the
// transforms derived from its views.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic::build_spec_internal {

using Members = std::vector<std::pair<std::string_view, JsonValue>>;

inline constexpr std::string_view kIrInvalid = "INVALID_SEMANTIC_IR_JSON";
inline constexpr std::string_view kRequestInvalid = "INVALID_BUILD_SPEC_REQUEST";
inline constexpr std::string_view kTransformFailed = "VIEW_TRANSFORM_DERIVATION_FAILED";
inline constexpr std::string_view kJoinFailed = "JOIN_EDGE_DERIVATION_FAILED";
inline constexpr std::string_view kSchemaRuntimeInvalid = "INVALID_SCHEMA_RUNTIME_JSON";

/// An error of `code` (stage validation) at `path`, details {path, error, ...extra}.
Status PathError(std::string_view code, const std::string& path, const std::string& error,
                 Members extra = {});
/// "expected <expected>, got <type>" at `path`.
Status TypeError(std::string_view code, const std::string& path, std::string_view expected,
                 const JsonValue& actual);
Result<std::string> AsString(std::string_view code, const JsonValue& v, const std::string& path);
Result<std::vector<std::string>> AsStrings(std::string_view code, const JsonValue& v,
                                           const std::string& path);
Result<std::map<std::string, std::string>> AsStringMap(std::string_view code, const JsonValue& v,
                                                       const std::string& path);

/// One JSON object being read: members by key with their paths; failures carry `code`. A
/// member that is null reads as absent.
class ObjectFields {
 public:
  static Result<ObjectFields> Open(const JsonValue& v, std::string path, std::string_view code) {
    if (!v.is_object()) return TypeError(code, path, "an object", v);
    return ObjectFields(v, std::move(path), code);
  }

  ObjectFields WithCode(std::string_view code) const { return ObjectFields(*object_, path_, code); }

  Status Allow(const std::vector<std::string>& allowed, const std::string& context = "") const {
    for (const auto& [key, value] : object_->object_value()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      return PathError(
          code_, Path(key),
          "unknown field '" + key + "'" + context + SuggestionText(ClosestNames(key, allowed, 1)));
    }
    return Status::OK();
  }

  const JsonValue* Get(std::string_view key) const {
    const JsonValue* v = object_->Get(key);
    return v != nullptr && !v->is_null() ? v : nullptr;
  }
  std::string Path(std::string_view key) const { return JsonPathAppendKey(path_, key); }
  const std::string& path() const { return path_; }
  std::string_view code() const { return code_; }
  const JsonObject& members() const { return object_->object_value(); }

  Status Missing(std::string_view key) const {
    return PathError(code_, Path(key), "missing required field '" + std::string(key) + "'");
  }
  Result<const JsonValue*> Required(std::string_view key) const {
    const JsonValue* v = Get(key);
    if (v == nullptr) return Missing(key);
    return v;
  }
  Result<std::string> String(std::string_view key) const {
    CA_ASSIGN_OR_RAISE(const JsonValue* v, Required(key));
    return AsString(code_, *v, Path(key));
  }
  Result<std::optional<std::string>> OptionalString(std::string_view key) const {
    const JsonValue* v = Get(key);
    if (v == nullptr) return std::optional<std::string>();
    CA_ASSIGN_OR_RAISE(auto s, AsString(code_, *v, Path(key)));
    return std::optional<std::string>(std::move(s));
  }
  Result<std::vector<std::string>> Strings(std::string_view key, bool required) const {
    const JsonValue* v = Get(key);
    if (v == nullptr) {
      if (required) return Missing(key);
      return std::vector<std::string>();
    }
    return AsStrings(code_, *v, Path(key));
  }
  Result<std::optional<int64_t>> OptionalInt(std::string_view key) const {
    const JsonValue* v = Get(key);
    if (v == nullptr) return std::optional<int64_t>();
    if (!v->is_int()) return TypeError(code_, Path(key), "an integer", *v);
    return std::optional<int64_t>(v->int_value());
  }
  Result<bool> Bool(std::string_view key, bool fallback) const {
    const JsonValue* v = Get(key);
    if (v == nullptr) return fallback;
    if (!v->is_bool()) return TypeError(code_, Path(key), "a boolean", *v);
    return v->bool_value();
  }

 private:
  ObjectFields(const JsonValue& object, std::string path, std::string_view code)
      : object_(&object), path_(std::move(path)), code_(code) {}

  const JsonValue* object_;
  std::string path_;
  std::string_view code_;
};

// Enum values are matched ignoring case and underscores: "props_map" is PropsMap.
std::string Loose(std::string_view text);

template <typename E>
Result<E> ParseEnum(std::string_view code, const JsonValue& v, const std::string& path,
                    size_t count) {
  CA_ASSIGN_OR_RAISE(std::string text, AsString(code, v, path));
  std::string names;
  for (size_t i = 0; i < count; ++i) {
    E value = static_cast<E>(i);
    if (Loose(SpecName(value)) == Loose(text)) return value;
    names += (i > 0 ? ", " : "") + std::string(SpecName(value));
  }
  return PathError(code, path, "unknown value '" + text + "'; expected one of " + names);
}

inline constexpr size_t kJoinTypeCount = 6;
inline constexpr size_t kCpgOutputKindCount = 6;
inline constexpr size_t kMaterializationModeCount = 2;
inline constexpr size_t kRulepackProfileCount = 4;

// ---- the IR ----

enum class Arity { kOne, kTwo, kAtLeastOne, kAny };

struct KindInfo {
  std::string_view name;
  bool executable;
  Arity arity;
  std::vector<std::string> hints;
};

struct IrView {
  std::string name;
  std::string path;
  const KindInfo* kind = nullptr;
  std::vector<std::string> inputs;
  std::map<std::string, std::string> output_columns;
  const JsonValue* json = nullptr;
};

/// A semantic IR (build_spec.h), read and checked; the JSON it was read from must outlive it.
class SemanticIr {
 public:
  /// INVALID_SEMANTIC_IR_JSON, SEMANTIC_IR_MISSING_VIEWS, SEMANTIC_IR_MISSING_EXECUTABLE_VIEWS,
  /// VIEW_TRANSFORM_DERIVATION_FAILED for an unknown kind.
  Status Read(const JsonValue& ir);

  const std::vector<IrView>& views() const { return views_; }
  const std::vector<JoinEdge>& edges() const { return edges_; }
  /// The view `name`, or null.
  const IrView* View(const std::string& name) const;
  /// VIEW_TRANSFORM_DERIVATION_FAILED at the view's `inputs` unless their number suits its kind.
  Status CheckArity(const IrView& view) const;
  /// The transform of an executable view: VIEW_TRANSFORM_DERIVATION_FAILED,
  /// JOIN_EDGE_DERIVATION_FAILED.
  Result<ViewTransform> Transform(const IrView& view) const;

 private:
  Status ReadView(const JsonValue& json, size_t index);
  Status ReadDatasets(const ObjectFields& root);
  Status ReadJoinEdges(const ObjectFields& root);
  Result<RelateTransform> Relate(const IrView& view, const ObjectFields& hints) const;
  std::optional<std::vector<std::string>> ColumnsOf(const std::string& name, size_t depth) const;

  std::vector<IrView> views_;
  std::map<std::string, size_t, std::less<>> view_index_;
  std::vector<JoinEdge> edges_;
  std::map<std::string, std::vector<std::string>, std::less<>> datasets_;
};

}  // namespace codeanatomy::semantic::build_spec_internal
