#include "semantic/spec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "common/hash.h"
#include "common/suggest.h"
#include "semantic/spec_fields.h"
#include "semantic/spec_internal.h"

namespace codeanatomy::semantic {

namespace internal {

std::string DetailsJson(std::vector<std::pair<std::string_view, JsonValue>> members) {
  JsonValue details = JsonValue::MakeObject();
  for (auto& [key, value] : members) details.Set(key, std::move(value));
  return details.ToJson();
}

Status SpecError(std::string_view path, const std::string& error) {
  return InvalidError(stage::kValidation, "INVALID_SPEC_JSON",
                      "invalid spec at " + std::string(path) + ": " + error,
                      DetailsJson({{"path", path}, {"error", error}}));
}

}  // namespace internal

namespace {

using internal::DetailsJson;
using internal::IsIsoDate;
using internal::IsIsoTimestamp;
using internal::SpecError;

Status TypeMismatch(std::string_view path, std::string_view expected, const JsonValue& actual) {
  return SpecError(path, "expected " + std::string(expected) + ", got " +
                             std::string(JsonTypeName(actual.type())));
}

template <size_t N>
std::string JoinNames(const std::array<std::string_view, N>& names) {
  std::string out;
  for (size_t i = 0; i < N; ++i) out += (i > 0 ? ", " : "") + std::string(names[i]);
  return out;
}

template <size_t N>
std::optional<size_t> IndexOf(const std::array<std::string_view, N>& names, std::string_view s) {
  auto it = std::find(names.begin(), names.end(), s);
  if (it == names.end()) return std::nullopt;
  return static_cast<size_t>(it - names.begin());
}

// ---- enum spellings: kNames[i] spells the enumerator with value i ----

template <typename E>
struct Spelling;
template <>
struct Spelling<JoinType> {
  static constexpr std::array<std::string_view, 6> kNames = {"Inner", "Left", "Right",
                                                             "Full",  "Semi", "Anti"};
};
template <>
struct Spelling<CpgOutputKind> {
  static constexpr std::array<std::string_view, 6> kNames = {
      "Nodes", "Edges", "Props", "PropsMap", "EdgesBySrc", "EdgesByDst"};
};
template <>
struct Spelling<MaterializationMode> {
  static constexpr std::array<std::string_view, 2> kNames = {"Append", "Overwrite"};
};
template <>
struct Spelling<RuleClass> {
  static constexpr std::array<std::string_view, 4> kNames = {"SemanticIntegrity", "DeltaScanAware",
                                                             "CostShape", "Safety"};
};
template <>
struct Spelling<RulepackProfile> {
  static constexpr std::array<std::string_view, 4> kNames = {"Default", "LowLatency", "Replay",
                                                             "Strict"};
};
template <>
struct Spelling<TunerMode> {
  static constexpr std::array<std::string_view, 3> kNames = {"Off", "Observe", "Apply"};
};
// The original engine serialized these two in snake_case; requests written for it must parse.
template <>
struct Spelling<PushdownEnforcementMode> {
  static constexpr std::array<std::string_view, 3> kNames = {"Warn", "Strict", "Disabled"};
  static constexpr std::array<std::string_view, 3> kAliases = {"warn", "strict", "disabled"};
};
template <>
struct Spelling<ExtensionGovernanceMode> {
  static constexpr std::array<std::string_view, 3> kNames = {"StrictAllowlist",
                                                             "WarnOnUnregistered", "Permissive"};
  static constexpr std::array<std::string_view, 3> kAliases = {
      "strict_allowlist", "warn_on_unregistered", "permissive"};
};
template <>
struct Spelling<TracingPreset> {
  static constexpr std::array<std::string_view, 3> kNames = {"Maximal", "MaximalNoData",
                                                             "ProductionLean"};
};
template <>
struct Spelling<RuleTraceMode> {
  static constexpr std::array<std::string_view, 3> kNames = {"Disabled", "PhaseOnly", "Full"};
};
template <>
struct Spelling<PreviewRedactionMode> {
  static constexpr std::array<std::string_view, 3> kNames = {"None", "DenyList", "AllowList"};
};
template <>
struct Spelling<OtlpProtocol> {
  static constexpr std::array<std::string_view, 3> kNames = {"http/protobuf", "http/json", "grpc"};
};
template <>
struct Spelling<ParameterType> {
  static constexpr std::array<std::string_view, 7> kNames = {
      "Utf8", "Int64", "Float64", "Boolean", "Date", "Timestamp", "Null"};
};

template <typename E>
concept SpecEnum = std::is_enum_v<E> && requires {
  Spelling<E>::kNames;
};

// Tags of the variants, in alternative order.
constexpr std::array<std::string_view, 10> kTransformKinds = {
    "Normalize", "Relate",         "Union",    "Project",      "Filter",
    "Aggregate", "IncrementalCdf", "Metadata", "FileManifest", "CpgEmit"};
static_assert(kTransformKinds.size() == std::variant_size_v<ViewTransform>);
constexpr std::array<std::string_view, 2> kTargetKinds = {"PlaceholderPos", "FilterEq"};
static_assert(kTargetKinds.size() == std::variant_size_v<ParameterTarget>);

}  // namespace

template <typename E>
std::string_view SpecName(E value) {
  return Spelling<E>::kNames[static_cast<size_t>(value)];
}

template std::string_view SpecName(JoinType);
template std::string_view SpecName(CpgOutputKind);
template std::string_view SpecName(MaterializationMode);
template std::string_view SpecName(RuleClass);
template std::string_view SpecName(RulepackProfile);
template std::string_view SpecName(TunerMode);
template std::string_view SpecName(PushdownEnforcementMode);
template std::string_view SpecName(ExtensionGovernanceMode);
template std::string_view SpecName(TracingPreset);
template std::string_view SpecName(RuleTraceMode);
template std::string_view SpecName(PreviewRedactionMode);
template std::string_view SpecName(OtlpProtocol);
template std::string_view SpecName(ParameterType);

std::string_view TransformKind(const ViewTransform& transform) {
  return kTransformKinds[transform.index()];
}

namespace {

// ---- reading and writing JSON values ----
//
// Every Read/Write overload takes a Codec tag first. The tag's namespace is this one, so
// argument-dependent lookup finds every overload at instantiation time and they can be
// declared in any order (the struct codecs below recurse into one another).
struct Codec {};

Status Read(Codec, const JsonValue& j, const std::string& path, std::string& out) {
  if (!j.is_string()) return TypeMismatch(path, "a string", j);
  out = j.string_value();
  return Status::OK();
}

Status Read(Codec, const JsonValue& j, const std::string& path, bool& out) {
  if (!j.is_bool()) return TypeMismatch(path, "a boolean", j);
  out = j.bool_value();
  return Status::OK();
}

Status Read(Codec, const JsonValue& j, const std::string& path, int64_t& out) {
  if (!j.is_int()) return TypeMismatch(path, "an integer", j);
  out = j.int_value();
  return Status::OK();
}

// Integers are accepted and kept as doubles, so `1` and `1.0` mean (and hash) the same.
Status Read(Codec, const JsonValue& j, const std::string& path, double& out) {
  if (!j.is_number()) return TypeMismatch(path, "a number", j);
  out = j.number_value();
  return Status::OK();
}

// A free-form block (rule params, maintenance, ...): any object, kept as written.
Status Read(Codec, const JsonValue& j, const std::string& path, JsonValue& out) {
  if (!j.is_object()) return TypeMismatch(path, "an object", j);
  out = j;
  return Status::OK();
}

Status Read(Codec, const JsonValue& j, const std::string& path,
            std::map<std::string, std::string>& out) {
  if (!j.is_object()) return TypeMismatch(path, "an object of strings", j);
  out.clear();
  for (const auto& [key, value] : j.object_value()) {
    CA_RETURN_NOT_OK(Read(Codec{}, value, JsonPathAppendKey(path, key), out[key]));
  }
  return Status::OK();
}

// Normalize's span_columns: exactly [start, end].
Status Read(Codec, const JsonValue& j, const std::string& path,
            std::pair<std::string, std::string>& out) {
  if (!j.is_array() || j.array_value().size() != 2) {
    return SpecError(path, "expected an array of two column names [start, end]");
  }
  CA_RETURN_NOT_OK(Read(Codec{}, j.array_value()[0], JsonPathAppendIndex(path, 0), out.first));
  return Read(Codec{}, j.array_value()[1], JsonPathAppendIndex(path, 1), out.second);
}

template <typename T>
Status Read(Codec, const JsonValue& j, const std::string& path, std::optional<T>& out) {
  if (j.is_null()) {
    out.reset();
    return Status::OK();
  }
  T value{};
  CA_RETURN_NOT_OK(Read(Codec{}, j, path, value));
  out = std::move(value);
  return Status::OK();
}

template <typename T>
Status Read(Codec, const JsonValue& j, const std::string& path, std::vector<T>& out) {
  if (!j.is_array()) return TypeMismatch(path, "an array", j);
  out.assign(j.array_value().size(), T{});
  for (size_t i = 0; i < out.size(); ++i) {
    CA_RETURN_NOT_OK(Read(Codec{}, j.array_value()[i], JsonPathAppendIndex(path, i), out[i]));
  }
  return Status::OK();
}

template <SpecEnum E>
Status Read(Codec, const JsonValue& j, const std::string& path, E& out) {
  if (!j.is_string()) return TypeMismatch(path, "a string", j);
  const auto& names = Spelling<E>::kNames;
  std::optional<size_t> index = IndexOf(names, j.string_value());
  if constexpr (requires { Spelling<E>::kAliases; }) {
    if (!index) index = IndexOf(Spelling<E>::kAliases, j.string_value());
  }
  if (!index) {
    return SpecError(
        path, "unknown value '" + j.string_value() + "'; expected one of " + JoinNames(names));
  }
  out = static_cast<E>(*index);
  return Status::OK();
}

JsonValue Write(Codec, const std::string& v) { return JsonValue(v); }
JsonValue Write(Codec, bool v) { return JsonValue(v); }
JsonValue Write(Codec, int64_t v) { return JsonValue(v); }
JsonValue Write(Codec, double v) { return JsonValue(v); }
JsonValue Write(Codec, const JsonValue& v) { return v; }

JsonValue Write(Codec, const std::map<std::string, std::string>& v) {
  JsonValue out = JsonValue::MakeObject();
  for (const auto& [key, value] : v) out.Set(key, value);
  return out;
}

JsonValue Write(Codec, const std::pair<std::string, std::string>& v) {
  return JsonValue(JsonArray{JsonValue(v.first), JsonValue(v.second)});
}

template <typename T>
JsonValue Write(Codec, const std::optional<T>& v) {
  return v ? Write(Codec{}, *v) : JsonValue();
}

template <typename T>
JsonValue Write(Codec, const std::vector<T>& v) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& item : v) out.Append(Write(Codec{}, item));
  return out;
}

template <SpecEnum E>
JsonValue Write(Codec, E v) {
  return JsonValue(SpecName(v));
}

// ---- structs: one Fields() per struct lists its members once for reading, writing and
// rejecting unknown keys, so the three can never disagree ----

/// Reads members of one JSON object into a struct, keeping the first error.
class ObjectReader {
 public:
  ObjectReader(const JsonValue& object, const std::string& path) : object_(object), path_(path) {}

  template <typename T>
  void Required(std::string_view key, T& out) {
    if (!status_.ok()) return;
    const JsonValue* member = object_.Get(key);
    if (member == nullptr) {
      status_ = SpecError(MemberPath(key), "missing required field '" + std::string(key) + "'");
      return;
    }
    status_ = Read(Codec{}, *member, MemberPath(key), out);
  }

  /// Absent keeps the default already in `out`.
  template <typename T>
  void Optional(std::string_view key, T& out) {
    if (!status_.ok()) return;
    if (const JsonValue* member = object_.Get(key)) {
      status_ = Read(Codec{}, *member, MemberPath(key), out);
    }
  }

  /// A condition on values already read; `error` is reported at member `key`.
  template <typename Pred>
  void Check(std::string_view key, std::string_view error, Pred holds) {
    if (status_.ok() && !holds()) status_ = SpecError(MemberPath(key), std::string(error));
  }

  const Status& status() const { return status_; }

 private:
  std::string MemberPath(std::string_view key) const { return JsonPathAppendKey(path_, key); }

  const JsonValue& object_;
  const std::string& path_;
  Status status_;
};

/// Writes a struct's members into a JSON object.
class ObjectWriter {
 public:
  template <typename T>
  void Required(std::string_view key, const T& value) {
    object_.Set(key, Write(Codec{}, value));
  }
  template <typename T>
  void Optional(std::string_view key, const T& value) {
    Required(key, value);
  }
  template <typename Pred>
  void Check(std::string_view, std::string_view, Pred) {}

  JsonValue Take() { return std::move(object_); }

 private:
  JsonValue object_ = JsonValue::MakeObject();
};

/// Collects a struct's member names.
class KeyLister {
 public:
  template <typename T>
  void Required(std::string_view key, const T&) {
    keys.emplace_back(key);
  }
  template <typename T>
  void Optional(std::string_view key, const T&) {
    keys.emplace_back(key);
  }
  template <typename Pred>
  void Check(std::string_view, std::string_view, Pred) {}

  std::vector<std::string> keys;
};

using namespace spec_fields;  // NOLINT(build/namespaces): the Fields() of every struct

template <typename S>
concept SpecStruct = requires(KeyLister& lister, S& s) {
  Fields(lister, s);
};

Status RejectUnknownKeys(const JsonValue& object, const std::string& path,
                         const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : object.object_value()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    return SpecError(JsonPathAppendKey(path, key),
                     "unknown field '" + key + "'" + SuggestionText(ClosestNames(key, allowed, 1)));
  }
  return Status::OK();
}

// `tag_key` names the member that selected this struct among a variant's alternatives.
template <SpecStruct S>
Status ReadObject(const JsonValue& j, const std::string& path, S& out,
                  std::string_view tag_key = {}) {
  if (!j.is_object()) return TypeMismatch(path, "an object", j);
  KeyLister lister;
  Fields(lister, out);
  if (!tag_key.empty()) lister.keys.emplace_back(tag_key);
  CA_RETURN_NOT_OK(RejectUnknownKeys(j, path, lister.keys));
  ObjectReader reader(j, path);
  Fields(reader, out);
  return reader.status();
}

template <SpecStruct S>
Status Read(Codec, const JsonValue& j, const std::string& path, S& out) {
  return ReadObject(j, path, out);
}

template <SpecStruct S>
JsonValue Write(Codec, const S& s) {
  ObjectWriter writer;
  Fields(writer, s);
  return writer.Take();
}

// ---- tagged variants: the alternative is chosen by the string member `tag_key` ----

template <typename Variant, size_t... I>
Variant VariantWithIndex(size_t index, std::index_sequence<I...>) {
  Variant out;
  ((I == index ? (void)out.template emplace<I>() : (void)0), ...);
  return out;
}

template <typename Variant, size_t N>
Status ReadTagged(const JsonValue& j, const std::string& path, std::string_view tag_key,
                  const std::array<std::string_view, N>& kinds, Variant& out) {
  if (!j.is_object()) return TypeMismatch(path, "an object", j);
  const std::string tag_path = JsonPathAppendKey(path, tag_key);
  const JsonValue* tag = j.Get(tag_key);
  if (tag == nullptr) {
    return SpecError(tag_path, "missing required field '" + std::string(tag_key) + "'");
  }
  if (!tag->is_string()) return TypeMismatch(tag_path, "a string", *tag);
  std::optional<size_t> index = IndexOf(kinds, tag->string_value());
  if (!index) {
    return SpecError(tag_path, "unknown " + std::string(tag_key) + " '" + tag->string_value() +
                                   "'; expected one of " + JoinNames(kinds));
  }
  out = VariantWithIndex<Variant>(*index, std::make_index_sequence<N>());
  return std::visit([&](auto& alt) { return ReadObject(j, path, alt, tag_key); }, out);
}

template <typename Variant, size_t N>
JsonValue WriteTagged(std::string_view tag_key, const std::array<std::string_view, N>& kinds,
                      const Variant& v) {
  JsonValue out = std::visit([](const auto& alt) { return Write(Codec{}, alt); }, v);
  out.Set(tag_key, kinds[v.index()]);
  return out;
}

Status Read(Codec, const JsonValue& j, const std::string& path, ViewTransform& out) {
  return ReadTagged(j, path, "kind", kTransformKinds, out);
}
JsonValue Write(Codec, const ViewTransform& v) { return WriteTagged("kind", kTransformKinds, v); }

Status Read(Codec, const JsonValue& j, const std::string& path, ParameterTarget& out) {
  return ReadTagged(j, path, "kind", kTargetKinds, out);
}
JsonValue Write(Codec, const ParameterTarget& v) { return WriteTagged("kind", kTargetKinds, v); }

// ---- typed parameter values ----

Status ReadNullValue(const JsonValue* value, const std::string& path, ParameterValue& out) {
  out.value = std::monostate{};
  out.null_data_type.reset();
  if (value == nullptr || value->is_null()) return Status::OK();
  if (!value->is_object()) return TypeMismatch(path, "null or an object {data_type}", *value);
  CA_RETURN_NOT_OK(RejectUnknownKeys(*value, path, {"data_type"}));
  ObjectReader reader(*value, path);
  reader.Optional("data_type", out.null_data_type);
  return reader.status();
}

template <typename T>
Status ReadPayload(const JsonValue& value, const std::string& path, ParameterValue& out) {
  T payload{};
  CA_RETURN_NOT_OK(Read(Codec{}, value, path, payload));
  out.value = std::move(payload);
  return Status::OK();
}

Status ReadTextPayload(const JsonValue& value, const std::string& path, ParameterValue& out) {
  CA_RETURN_NOT_OK(ReadPayload<std::string>(value, path, out));
  const auto& text = std::get<std::string>(out.value);
  if (out.type == ParameterType::kDate && !IsIsoDate(text)) {
    return SpecError(path, "expected a date YYYY-MM-DD, got '" + text + "'");
  }
  if (out.type == ParameterType::kTimestamp && !IsIsoTimestamp(text)) {
    return SpecError(path, "expected a timestamp YYYY-MM-DDThh:mm:ss[.f], got '" + text + "'");
  }
  return Status::OK();
}

Status Read(Codec, const JsonValue& j, const std::string& path, ParameterValue& out) {
  if (!j.is_object()) return TypeMismatch(path, "an object {type, value}", j);
  CA_RETURN_NOT_OK(RejectUnknownKeys(j, path, {"type", "value"}));
  ObjectReader reader(j, path);
  reader.Required("type", out.type);
  CA_RETURN_NOT_OK(reader.status());
  const std::string value_path = JsonPathAppendKey(path, "value");
  const JsonValue* value = j.Get("value");
  if (out.type == ParameterType::kNull) return ReadNullValue(value, value_path, out);
  out.null_data_type.reset();
  if (value == nullptr) return SpecError(value_path, "missing required field 'value'");
  switch (out.type) {
    case ParameterType::kInt64:
      return ReadPayload<int64_t>(*value, value_path, out);
    case ParameterType::kFloat64:
      return ReadPayload<double>(*value, value_path, out);
    case ParameterType::kBoolean:
      return ReadPayload<bool>(*value, value_path, out);
    default:  // Utf8, Date, Timestamp
      return ReadTextPayload(*value, value_path, out);
  }
}

JsonValue Write(Codec, const ParameterValue& v) {
  JsonValue out = JsonValue::MakeObject();
  out.Set("type", SpecName(v.type));
  if (v.type == ParameterType::kNull) {
    JsonValue null_value;
    if (v.null_data_type) null_value.Set("data_type", *v.null_data_type);
    out.Set("value", std::move(null_value));
    return out;
  }
  out.Set("value",
          std::visit(
              [](const auto& payload) -> JsonValue {
                if constexpr (std::is_same_v<std::decay_t<decltype(payload)>, std::monostate>) {
                  return JsonValue();
                } else {
                  return Write(Codec{}, payload);
                }
              },
              v.value));
  return out;
}

}  // namespace

Result<SemanticSpec> ParseAndValidateSpec(std::string_view json_text) {
  auto root = JsonValue::Parse(json_text);
  if (!root.ok()) return SpecError(kJsonPathRoot, "not valid JSON: " + root.status().message());
  if (!root->is_object()) return TypeMismatch(kJsonPathRoot, "an object", *root);
  CA_RETURN_NOT_OK(internal::CheckVersionAndLegacyFields(*root));
  SemanticSpec spec;
  CA_RETURN_NOT_OK(Read(Codec{}, *root, std::string(kJsonPathRoot), spec));
  CA_RETURN_NOT_OK(internal::CheckNotEmpty(spec));
  CA_RETURN_NOT_OK(internal::ValidateSemantics(spec));
  return spec;
}

JsonValue SpecToJson(const SemanticSpec& spec) { return Write(Codec{}, spec); }

// JsonValue's writer already emits compact JSON with keys in byte order at every level
// (objects are std::maps); this names that contract where the hash depends on it.
std::string CanonicalJson(const JsonValue& value) { return value.ToJson(); }

std::string SpecHashHex(const SemanticSpec& spec) {
  return Blake2bHex(CanonicalJson(SpecToJson(spec)), 32);
}

}  // namespace codeanatomy::semantic
