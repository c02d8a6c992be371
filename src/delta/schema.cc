#include "delta/schema.h"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>
#include <arrow/util/key_value_metadata.h>

#include "common/json.h"
#include "delta/delta_error.h"
#include "delta/schema_internal.h"

namespace codeanatomy::delta {

using namespace schema_internal;  // NOLINT(build/namespaces): this module's own helpers

namespace {

// ---- schemaString -> Arrow ----

std::shared_ptr<arrow::DataType> PrimitiveFromName(std::string_view name) {
  if (name == "string") return arrow::utf8();
  if (name == "long") return arrow::int64();
  if (name == "integer") return arrow::int32();
  if (name == "short") return arrow::int16();
  if (name == "byte") return arrow::int8();
  if (name == "float") return arrow::float32();
  if (name == "double") return arrow::float64();
  if (name == "boolean") return arrow::boolean();
  if (name == "binary") return arrow::binary();
  if (name == "date") return arrow::date32();
  if (name == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  if (name == "timestamp_ntz") return arrow::timestamp(arrow::TimeUnit::MICRO);
  // Variant (reader feature variantType): the encoded value and its metadata, as stored in
  // Parquet, for the caller to decode.
  if (name == "variant") {
    return arrow::struct_({arrow::field("value", arrow::binary(), /*nullable=*/false),
                           arrow::field("metadata", arrow::binary(), /*nullable=*/false)});
  }
  return nullptr;
}

// "decimal" alone is Spark's decimal(10,0); otherwise "decimal(p,s)" with optional spaces.
Result<std::shared_ptr<arrow::DataType>> DecimalFromName(std::string_view name,
                                                         std::string_view path) {
  int32_t precision = 10;
  int32_t scale = 0;
  if (name != "decimal") {
    std::string_view rest = name.substr(std::string_view("decimal").size());
    std::string compact;
    for (char c : rest) {
      if (c != ' ') compact += c;
    }
    size_t comma = compact.find(',');
    if (compact.size() < 5 || compact.front() != '(' || compact.back() != ')' ||
        comma == std::string::npos ||
        !ParseNumber(std::string_view(compact).substr(1, comma - 1), &precision) ||
        !ParseNumber(std::string_view(compact).substr(comma + 1, compact.size() - comma - 2),
                     &scale)) {
      return UnsupportedType(name, path);
    }
  }
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
    return UnsupportedType(name, path);
  }
  return arrow::decimal128(precision, scale);
}

Result<std::shared_ptr<arrow::Field>> FieldFromJson(const JsonValue& json, std::string_view parent,
                                                    size_t index);

Result<std::shared_ptr<arrow::DataType>> TypeFromJson(const JsonValue& json,
                                                      std::string_view path) {
  if (json.is_string()) {
    const std::string& name = json.string_value();
    if (auto type = PrimitiveFromName(name)) return type;
    if (name.starts_with("decimal")) return DecimalFromName(name, path);
    return UnsupportedType(name, path);
  }
  const JsonValue* kind = json.Get("type");
  if (kind == nullptr || !kind->is_string()) {
    return InvalidSchema("field '" + std::string(path) + "' has no valid type", path);
  }
  const std::string& name = kind->string_value();
  if (name == "struct") {
    const JsonValue* fields = json.Get("fields");
    if (fields == nullptr || !fields->is_array()) {
      return InvalidSchema("struct of field '" + std::string(path) + "' has no fields array", path);
    }
    arrow::FieldVector children;
    for (size_t i = 0; i < fields->array_value().size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto child, FieldFromJson(fields->array_value()[i], path, i));
      children.push_back(std::move(child));
    }
    return arrow::struct_(std::move(children));
  }
  if (name == "array") {
    const JsonValue* element = json.Get("elementType");
    if (element == nullptr) {
      return InvalidSchema("array of field '" + std::string(path) + "' has no elementType", path);
    }
    const JsonValue* contains_null = json.Get("containsNull");
    ARROW_ASSIGN_OR_RAISE(auto element_type, TypeFromJson(*element, ChildPath(path, "element")));
    return arrow::list(arrow::field(
        "element", std::move(element_type),
        contains_null == nullptr || !contains_null->is_bool() || contains_null->bool_value()));
  }
  if (name == "map") {
    const JsonValue* key = json.Get("keyType");
    const JsonValue* value = json.Get("valueType");
    if (key == nullptr || value == nullptr) {
      return InvalidSchema("map of field '" + std::string(path) + "' lacks keyType or valueType",
                           path);
    }
    const JsonValue* value_contains_null = json.Get("valueContainsNull");
    ARROW_ASSIGN_OR_RAISE(auto key_type, TypeFromJson(*key, ChildPath(path, "key")));
    ARROW_ASSIGN_OR_RAISE(auto value_type, TypeFromJson(*value, ChildPath(path, "value")));
    bool value_nullable = value_contains_null == nullptr || !value_contains_null->is_bool() ||
                          value_contains_null->bool_value();
    return std::make_shared<arrow::MapType>(
        arrow::field("key", std::move(key_type), false),
        arrow::field("value", std::move(value_type), value_nullable));
  }
  return UnsupportedType(name, path);
}

Result<std::shared_ptr<const arrow::KeyValueMetadata>> MetadataFromJson(const JsonValue* json,
                                                                        std::string_view path) {
  if (json == nullptr || json->is_null()) return nullptr;
  if (!json->is_object()) {
    return InvalidSchema("metadata of field '" + std::string(path) + "' is not an object", path);
  }
  if (json->object_value().empty()) return nullptr;
  std::vector<std::string> keys;
  std::vector<std::string> values;
  for (const auto& [key, value] : json->object_value()) {
    keys.push_back(key);
    values.push_back(value.is_string() ? value.string_value() : value.ToJson());
  }
  return arrow::key_value_metadata(std::move(keys), std::move(values));
}

Result<std::shared_ptr<arrow::Field>> FieldFromJson(const JsonValue& json, std::string_view parent,
                                                    size_t index) {
  const JsonValue* name = json.Get("name");
  if (name == nullptr || !name->is_string()) {
    std::string at = std::string(parent) + "[" + std::to_string(index) + "]";
    return InvalidSchema("field " + at + " has no name", at);
  }
  std::string path = ChildPath(parent, name->string_value());
  const JsonValue* type_json = json.Get("type");
  if (type_json == nullptr) {
    return InvalidSchema("field '" + path + "' has no type", path);
  }
  ARROW_ASSIGN_OR_RAISE(auto type, TypeFromJson(*type_json, path));
  const JsonValue* nullable = json.Get("nullable");
  ARROW_ASSIGN_OR_RAISE(auto metadata, MetadataFromJson(json.Get("metadata"), path));
  return arrow::field(name->string_value(), std::move(type),
                      nullable == nullptr || !nullable->is_bool() || nullable->bool_value(),
                      std::move(metadata));
}

// ---- Arrow -> schemaString ----

// Keys whose values Delta writes as JSON numbers, booleans, objects or arrays; every other
// metadata value is written as a string (a comment "12" must stay a string for Spark).
bool IsJsonValuedMetadataKey(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kKeys = {kColumnIdKey,
                                                            kNestedIdsKey,
                                                            "delta.identity.start",
                                                            "delta.identity.step",
                                                            "delta.identity.highWaterMark",
                                                            "delta.identity.allowExplicitInsert",
                                                            "delta.typeChanges",
                                                            "parquet.field.id",
                                                            "parquet.field.nested.ids"};
  for (std::string_view k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

JsonValue MetadataToJson(const arrow::KeyValueMetadata* metadata) {
  JsonValue out = JsonValue::MakeObject();
  if (metadata == nullptr) return out;
  for (int64_t i = 0; i < metadata->size(); ++i) {
    const std::string& key = metadata->key(i);
    const std::string& value = metadata->value(i);
    if (IsJsonValuedMetadataKey(key)) {
      auto parsed = JsonValue::Parse(value);
      if (parsed.ok() && !parsed->is_string()) {
        out.Set(key, std::move(parsed).ValueUnsafe());
        continue;
      }
    }
    out.Set(key, value);
  }
  return out;
}

Result<JsonValue> FieldToJson(const arrow::Field& field, std::string_view parent);

Result<JsonValue> TypeToJson(const arrow::DataType& type, std::string_view path) {
  switch (type.id()) {
    case arrow::Type::STRING:
      return JsonValue("string");
    case arrow::Type::INT64:
      return JsonValue("long");
    case arrow::Type::INT32:
      return JsonValue("integer");
    case arrow::Type::INT16:
      return JsonValue("short");
    case arrow::Type::INT8:
      return JsonValue("byte");
    case arrow::Type::FLOAT:
      return JsonValue("float");
    case arrow::Type::DOUBLE:
      return JsonValue("double");
    case arrow::Type::BOOL:
      return JsonValue("boolean");
    case arrow::Type::BINARY:
      return JsonValue("binary");
    case arrow::Type::DATE32:
      return JsonValue("date");
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      if (ts.unit() != arrow::TimeUnit::MICRO) return UnsupportedType(type.ToString(), path);
      return JsonValue(ts.timezone().empty() ? "timestamp_ntz" : "timestamp");
    }
    case arrow::Type::DECIMAL128: {
      const auto& dec = static_cast<const arrow::Decimal128Type&>(type);
      return JsonValue("decimal(" + std::to_string(dec.precision()) + "," +
                       std::to_string(dec.scale()) + ")");
    }
    case arrow::Type::STRUCT: {
      JsonValue fields = JsonValue::MakeArray();
      for (const auto& child : type.fields()) {
        ARROW_ASSIGN_OR_RAISE(auto json, FieldToJson(*child, path));
        fields.Append(std::move(json));
      }
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "struct").Set("fields", std::move(fields));
      return out;
    }
    case arrow::Type::LIST: {
      const auto& element = static_cast<const arrow::ListType&>(type).value_field();
      ARROW_ASSIGN_OR_RAISE(auto element_json,
                            TypeToJson(*element->type(), ChildPath(path, "element")));
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "array")
          .Set("elementType", std::move(element_json))
          .Set("containsNull", element->nullable());
      return out;
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(type);
      ARROW_ASSIGN_OR_RAISE(auto key_json, TypeToJson(*map.key_type(), ChildPath(path, "key")));
      ARROW_ASSIGN_OR_RAISE(auto value_json,
                            TypeToJson(*map.item_type(), ChildPath(path, "value")));
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "map")
          .Set("keyType", std::move(key_json))
          .Set("valueType", std::move(value_json))
          .Set("valueContainsNull", map.item_field()->nullable());
      return out;
    }
    default:
      return UnsupportedType(type.ToString(), path);
  }
}

Result<JsonValue> FieldToJson(const arrow::Field& field, std::string_view parent) {
  std::string path = ChildPath(parent, field.name());
  ARROW_ASSIGN_OR_RAISE(auto type, TypeToJson(*field.type(), path));
  JsonValue out = JsonValue::MakeObject();
  out.Set("name", field.name())
      .Set("type", std::move(type))
      .Set("nullable", field.nullable())
      .Set("metadata", MetadataToJson(field.metadata().get()));
  return out;
}

// ---- column mapping ----

// Where list elements and map keys/values find their ids: the nearest struct field's
// kNestedIdsKey object, keyed by the physical path below that field ("col-x.value.element").
struct NestedIds {
  std::shared_ptr<JsonValue> ids;
  std::string physical_path;

  NestedIds Child(std::string_view step) const {
    return {ids, physical_path + "." + std::string(step)};
  }
};

Result<std::shared_ptr<arrow::Field>> PhysicalField(const arrow::Field& field,
                                                    std::string_view parent,
                                                    ColumnMappingMode mode);

// A list element or map key/value: keeps its name, takes its nested id under kId.
Result<std::shared_ptr<arrow::Field>> PhysicalChild(const std::shared_ptr<arrow::Field>& child,
                                                    std::string_view path, ColumnMappingMode mode,
                                                    const NestedIds& nested);

Result<std::shared_ptr<arrow::DataType>> PhysicalType(const std::shared_ptr<arrow::DataType>& type,
                                                      std::string_view path, ColumnMappingMode mode,
                                                      const NestedIds& nested) {
  switch (type->id()) {
    case arrow::Type::STRUCT: {
      arrow::FieldVector children;
      for (const auto& child : type->fields()) {
        ARROW_ASSIGN_OR_RAISE(auto physical, PhysicalField(*child, path, mode));
        children.push_back(std::move(physical));
      }
      return arrow::struct_(std::move(children));
    }
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListType&>(*type);
      ARROW_ASSIGN_OR_RAISE(auto element,
                            PhysicalChild(list.value_field(), ChildPath(path, "element"), mode,
                                          nested.Child("element")));
      return arrow::list(std::move(element));
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(*type);
      ARROW_ASSIGN_OR_RAISE(auto key, PhysicalChild(map.key_field(), ChildPath(path, "key"), mode,
                                                    nested.Child("key")));
      ARROW_ASSIGN_OR_RAISE(auto value, PhysicalChild(map.item_field(), ChildPath(path, "value"),
                                                      mode, nested.Child("value")));
      return std::make_shared<arrow::MapType>(std::move(key), std::move(value), map.keys_sorted());
    }
    default:
      return type;
  }
}

Result<std::shared_ptr<arrow::Field>> PhysicalChild(const std::shared_ptr<arrow::Field>& child,
                                                    std::string_view path, ColumnMappingMode mode,
                                                    const NestedIds& nested) {
  ARROW_ASSIGN_OR_RAISE(auto type, PhysicalType(child->type(), path, mode, nested));
  auto out = child->WithType(std::move(type));
  const JsonValue* id = nested.ids ? nested.ids->Get(nested.physical_path) : nullptr;
  if (mode == ColumnMappingMode::kId && id != nullptr && id->is_int()) {
    auto metadata =
        child->metadata() ? child->metadata()->Copy() : std::make_shared<arrow::KeyValueMetadata>();
    ARROW_RETURN_NOT_OK(
        metadata->Set(std::string(kParquetFieldIdKey), std::to_string(id->int_value())));
    out = out->WithMetadata(std::move(metadata));
  }
  return out;
}

Result<std::shared_ptr<arrow::Field>> PhysicalField(const arrow::Field& field,
                                                    std::string_view parent,
                                                    ColumnMappingMode mode) {
  std::string path = ChildPath(parent, field.name());
  const auto& logical_metadata = field.metadata();
  auto physical_name = logical_metadata ? logical_metadata->Get(kPhysicalNameKey)
                                        : Result<std::string>(Status::KeyError(""));
  if (!physical_name.ok() || physical_name->empty()) {
    return DeltaError(
        "MISSING_PHYSICAL_NAME",
        "field '" + path + "' has no " + std::string(kPhysicalNameKey) + " under column mapping",
        FieldDetail(path));
  }
  auto metadata = logical_metadata->Copy();
  NestedIds nested{nullptr, *physical_name};
  if (mode == ColumnMappingMode::kId) {
    auto id_text = logical_metadata->Get(kColumnIdKey);
    int32_t id = 0;
    if (!id_text.ok() || !ParseNumber(*id_text, &id)) {
      return DeltaError("MISSING_FIELD_ID",
                        "field '" + path + "' has no valid " + std::string(kColumnIdKey) +
                            " under column mapping mode id",
                        FieldDetail(path));
    }
    ARROW_RETURN_NOT_OK(metadata->Set(std::string(kParquetFieldIdKey), std::to_string(id)));
    if (auto nested_text = logical_metadata->Get(kNestedIdsKey); nested_text.ok()) {
      auto parsed = JsonValue::Parse(*nested_text);
      if (parsed.ok() && parsed->is_object()) {
        nested.ids = std::make_shared<JsonValue>(std::move(parsed).ValueUnsafe());
      }
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto type, PhysicalType(field.type(), path, mode, nested));
  return arrow::field(*physical_name, std::move(type), field.nullable(), std::move(metadata));
}

}  // namespace

Result<ColumnMappingMode> ParseColumnMappingMode(const std::string* value) {
  if (value == nullptr || AsciiEqualsCaseInsensitive(*value, "none"))
    return ColumnMappingMode::kNone;
  if (AsciiEqualsCaseInsensitive(*value, "name")) return ColumnMappingMode::kName;
  if (AsciiEqualsCaseInsensitive(*value, "id")) return ColumnMappingMode::kId;
  return DeltaError("INVALID_COLUMN_MAPPING_MODE",
                    "unknown " + std::string(kColumnMappingModeProperty) + " '" + *value +
                        "' (expected none, name or id)",
                    "\"value\":" + JsonQuote(*value));
}

Result<std::shared_ptr<arrow::Schema>> SchemaFromDeltaJson(std::string_view schema_string) {
  auto parsed = JsonValue::Parse(schema_string);
  if (!parsed.ok()) {
    return DeltaError("INVALID_SCHEMA",
                      "schemaString is not valid JSON: " + parsed.status().message());
  }
  const JsonValue& root = *parsed;
  const JsonValue* kind = root.Get("type");
  const JsonValue* fields = root.Get("fields");
  if (kind == nullptr || !kind->is_string() || kind->string_value() != "struct" ||
      fields == nullptr || !fields->is_array()) {
    return DeltaError("INVALID_SCHEMA", "schemaString is not a struct type with fields");
  }
  arrow::FieldVector out;
  for (size_t i = 0; i < fields->array_value().size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto field, FieldFromJson(fields->array_value()[i], "", i));
    out.push_back(std::move(field));
  }
  return arrow::schema(std::move(out));
}

Result<std::string> SchemaToDeltaJson(const arrow::Schema& schema) {
  JsonValue fields = JsonValue::MakeArray();
  for (const auto& field : schema.fields()) {
    ARROW_ASSIGN_OR_RAISE(auto json, FieldToJson(*field, ""));
    fields.Append(std::move(json));
  }
  JsonValue root = JsonValue::MakeObject();
  root.Set("type", "struct").Set("fields", std::move(fields));
  return root.ToJson();
}

Result<std::shared_ptr<arrow::Schema>> PhysicalSchema(const arrow::Schema& logical,
                                                      ColumnMappingMode mode) {
  if (mode == ColumnMappingMode::kNone) {
    return std::make_shared<arrow::Schema>(logical.fields(), logical.metadata());
  }
  arrow::FieldVector fields;
  for (const auto& field : logical.fields()) {
    ARROW_ASSIGN_OR_RAISE(auto physical, PhysicalField(*field, "", mode));
    fields.push_back(std::move(physical));
  }
  return std::make_shared<arrow::Schema>(std::move(fields), logical.metadata());
}

}  // namespace codeanatomy::delta
