// Arrow types and schemas in Substrait's JSON form, both ways. Types Substrait has no
// name for use Arrow's extension types (unsigned integers, half floats, the null type).

#include <arrow/engine/substrait/extension_set.h>

#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic::substrait_internal {

namespace {

const char* Nullability(bool nullable) {
  return nullable ? "NULLABILITY_NULLABLE" : "NULLABILITY_REQUIRED";
}

JsonValue Simple(std::string_view kind, bool nullable) {
  JsonValue body = JsonValue::MakeObject();
  body.Set("nullability", Nullability(nullable));
  JsonValue out = JsonValue::MakeObject();
  out.Set(kind, std::move(body));
  return out;
}

JsonValue ArrowExtensionType(std::string_view name, bool nullable, ExtensionWriter* ext) {
  JsonValue body = JsonValue::MakeObject();
  body.Set("typeReference",
           ext->TypeAnchor({std::string(arrow::engine::kArrowExtTypesUri), std::string(name)}));
  body.Set("nullability", Nullability(nullable));
  JsonValue out = JsonValue::MakeObject();
  out.Set("userDefined", std::move(body));
  return out;
}

Status TypeNotSupported(const arrow::DataType& type) {
  return NotSupported("type", type.ToString(),
                      "Substrait export does not support the type " + type.ToString());
}

int TimestampPrecision(arrow::TimeUnit::type unit) {
  switch (unit) {
    case arrow::TimeUnit::SECOND:
      return 0;
    case arrow::TimeUnit::MILLI:
      return 3;
    case arrow::TimeUnit::MICRO:
      return 6;
    case arrow::TimeUnit::NANO:
      return 9;
  }
  return 6;
}

void AppendDepthFirst(const arrow::DataType& type, std::vector<std::string>* out) {
  switch (type.id()) {
    case arrow::Type::STRUCT:
      for (const auto& f : type.fields()) {
        out->push_back(f->name());
        AppendDepthFirst(*f->type(), out);
      }
      break;
    case arrow::Type::LIST:
    case arrow::Type::MAP:
      for (const auto& f : type.fields()) AppendDepthFirst(*f->type(), out);
      break;
    default:
      break;
  }
}

// Re-applies depth-first names to the struct types of `type` (types read from Substrait carry
// no field names); `next` walks `names`.
Result<std::shared_ptr<arrow::DataType>> WithNames(const std::shared_ptr<arrow::DataType>& type,
                                                   const std::vector<std::string>& names,
                                                   size_t* next, const std::string& path) {
  switch (type->id()) {
    case arrow::Type::STRUCT: {
      std::vector<std::shared_ptr<arrow::Field>> fields;
      for (const auto& f : type->fields()) {
        if (*next >= names.size()) return InvalidPlan(path, "fewer names than struct fields");
        std::string name = names[(*next)++];
        CA_ASSIGN_OR_RAISE(auto child, WithNames(f->type(), names, next, path));
        fields.push_back(arrow::field(std::move(name), std::move(child), f->nullable()));
      }
      return arrow::struct_(std::move(fields));
    }
    case arrow::Type::LIST: {
      const auto& value = type->field(0);
      CA_ASSIGN_OR_RAISE(auto child, WithNames(value->type(), names, next, path));
      return arrow::list(value->WithType(child));
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(*type);
      CA_ASSIGN_OR_RAISE(auto key, WithNames(map.key_type(), names, next, path));
      CA_ASSIGN_OR_RAISE(auto item, WithNames(map.item_type(), names, next, path));
      return arrow::map(key, item);
    }
    default:
      return type;
  }
}

}  // namespace

Result<JsonValue> TypeToSubstrait(const arrow::DataType& type, bool nullable,
                                  ExtensionWriter* ext) {
  using arrow::Type;
  switch (type.id()) {
    case Type::BOOL:
      return Simple("bool", nullable);
    case Type::INT8:
      return Simple("i8", nullable);
    case Type::INT16:
      return Simple("i16", nullable);
    case Type::INT32:
      return Simple("i32", nullable);
    case Type::INT64:
      return Simple("i64", nullable);
    case Type::FLOAT:
      return Simple("fp32", nullable);
    case Type::DOUBLE:
      return Simple("fp64", nullable);
    case Type::STRING:
      return Simple("string", nullable);
    case Type::BINARY:
      return Simple("binary", nullable);
    case Type::DATE32:
      return Simple("date", nullable);
    case Type::UINT8:
      return ArrowExtensionType("u8", nullable, ext);
    case Type::UINT16:
      return ArrowExtensionType("u16", nullable, ext);
    case Type::UINT32:
      return ArrowExtensionType("u32", nullable, ext);
    case Type::UINT64:
      return ArrowExtensionType("u64", nullable, ext);
    case Type::HALF_FLOAT:
      return ArrowExtensionType("fp16", nullable, ext);
    case Type::NA:
      return ArrowExtensionType("null", true, ext);
    case Type::TIME64:
      if (static_cast<const arrow::Time64Type&>(type).unit() != arrow::TimeUnit::MICRO) break;
      return Simple("time", nullable);
    case Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      JsonValue body = JsonValue::MakeObject();
      body.Set("precision", TimestampPrecision(ts.unit()));
      body.Set("nullability", Nullability(nullable));
      JsonValue out = JsonValue::MakeObject();
      out.Set(ts.timezone().empty() ? "precisionTimestamp" : "precisionTimestampTz",
              std::move(body));
      return out;
    }
    case Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(type);
      JsonValue body = JsonValue::MakeObject();
      body.Set("precision", d.precision());
      body.Set("scale", d.scale());
      body.Set("nullability", Nullability(nullable));
      JsonValue out = JsonValue::MakeObject();
      out.Set("decimal", std::move(body));
      return out;
    }
    case Type::FIXED_SIZE_BINARY: {
      JsonValue body = JsonValue::MakeObject();
      body.Set("length", static_cast<const arrow::FixedSizeBinaryType&>(type).byte_width());
      body.Set("nullability", Nullability(nullable));
      JsonValue out = JsonValue::MakeObject();
      out.Set("fixedBinary", std::move(body));
      return out;
    }
    case Type::STRUCT: {
      JsonValue types = JsonValue::MakeArray();
      for (const auto& f : type.fields()) {
        CA_ASSIGN_OR_RAISE(auto t, TypeToSubstrait(*f->type(), f->nullable(), ext));
        types.Append(std::move(t));
      }
      JsonValue body = JsonValue::MakeObject();
      body.Set("types", std::move(types));
      body.Set("nullability", Nullability(nullable));
      JsonValue out = JsonValue::MakeObject();
      out.Set("struct", std::move(body));
      return out;
    }
    case Type::LIST: {
      const auto& value = type.field(0);
      CA_ASSIGN_OR_RAISE(auto t, TypeToSubstrait(*value->type(), value->nullable(), ext));
      JsonValue body = JsonValue::MakeObject();
      body.Set("type", std::move(t));
      body.Set("nullability", Nullability(nullable));
      JsonValue out = JsonValue::MakeObject();
      out.Set("list", std::move(body));
      return out;
    }
    case Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(type);
      CA_ASSIGN_OR_RAISE(auto key, TypeToSubstrait(*map.key_type(), false, ext));
      CA_ASSIGN_OR_RAISE(auto item,
                         TypeToSubstrait(*map.item_type(), map.item_field()->nullable(), ext));
      JsonValue body = JsonValue::MakeObject();
      body.Set("key", std::move(key));
      body.Set("value", std::move(item));
      body.Set("nullability", Nullability(nullable));
      JsonValue out = JsonValue::MakeObject();
      out.Set("map", std::move(body));
      return out;
    }
    default:
      break;
  }
  return TypeNotSupported(type);
}

Result<std::shared_ptr<arrow::DataType>> TypeFromSubstrait(const JsonValue& type,
                                                           const ExtensionReader& ext,
                                                           const std::string& path) {
  static const std::vector<std::string> kKinds = {"bool",
                                                  "i8",
                                                  "i16",
                                                  "i32",
                                                  "i64",
                                                  "fp32",
                                                  "fp64",
                                                  "string",
                                                  "binary",
                                                  "date",
                                                  "time",
                                                  "decimal",
                                                  "fixedBinary",
                                                  "struct",
                                                  "list",
                                                  "map",
                                                  "varchar",
                                                  "fixedChar",
                                                  "userDefined",
                                                  "precisionTimestamp",
                                                  "timestamp",
                                                  "timestampTz",
                                                  "precisionTimestampTz",
                                                  "uuid",
                                                  "intervalYear",
                                                  "intervalDay"};
  CA_ASSIGN_OR_RAISE(auto kind, OneOf(type, kKinds, path, "type"));
  const auto& [name, body] = kind;
  std::string at = JsonPathAppendKey(path, name);
  if (name == "bool") return arrow::boolean();
  if (name == "i8") return arrow::int8();
  if (name == "i16") return arrow::int16();
  if (name == "i32") return arrow::int32();
  if (name == "i64") return arrow::int64();
  if (name == "fp32") return arrow::float32();
  if (name == "fp64") return arrow::float64();
  if (name == "string" || name == "varchar" || name == "fixedChar") return arrow::utf8();
  if (name == "binary") return arrow::binary();
  if (name == "date") return arrow::date32();
  if (name == "time") return arrow::time64(arrow::TimeUnit::MICRO);
  if (name == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO);
  if (name == "timestampTz") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  if (name == "precisionTimestamp" || name == "precisionTimestampTz") {
    CA_ASSIGN_OR_RAISE(int64_t precision, IntMember(*body, "precision", at, 6));
    arrow::TimeUnit::type unit;
    switch (precision) {
      case 0:
        unit = arrow::TimeUnit::SECOND;
        break;
      case 3:
        unit = arrow::TimeUnit::MILLI;
        break;
      case 6:
        unit = arrow::TimeUnit::MICRO;
        break;
      case 9:
        unit = arrow::TimeUnit::NANO;
        break;
      default:
        return NotSupported(
            "type", name + "(" + std::to_string(precision) + ")",
            "timestamp precision " + std::to_string(precision) + " has no Arrow time unit");
    }
    return name == "precisionTimestamp" ? arrow::timestamp(unit) : arrow::timestamp(unit, "UTC");
  }
  if (name == "decimal") {
    CA_ASSIGN_OR_RAISE(int64_t precision, IntMember(*body, "precision", at, 38));
    CA_ASSIGN_OR_RAISE(int64_t scale, IntMember(*body, "scale", at, 0));
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
      return InvalidPlan(at, "invalid decimal precision/scale");
    }
    return arrow::decimal128(static_cast<int32_t>(precision), static_cast<int32_t>(scale));
  }
  if (name == "fixedBinary") {
    CA_ASSIGN_OR_RAISE(int64_t length, IntMember(*body, "length", at, 0));
    if (length < 0 || length > (1 << 30)) return InvalidPlan(at, "invalid fixed binary length");
    return arrow::fixed_size_binary(static_cast<int32_t>(length));
  }
  auto nullable = [](const JsonValue& t) {
    for (const auto& [k, v] : t.object_value()) {
      if (const JsonValue* n = Member(v, "nullability"); n && n->is_string()) {
        return n->string_value() != "NULLABILITY_REQUIRED";
      }
    }
    return true;
  };
  if (name == "struct") {
    CA_ASSIGN_OR_RAISE(auto types, ArrayMember(*body, "types", at));
    std::vector<std::shared_ptr<arrow::Field>> fields;
    for (size_t i = 0; i < types.size(); ++i) {
      std::string child_path = JsonPathAppendIndex(JsonPathAppendKey(at, "types"), i);
      CA_ASSIGN_OR_RAISE(auto t, TypeFromSubstrait(*types[i], ext, child_path));
      fields.push_back(arrow::field("f" + std::to_string(i), t, nullable(*types[i])));
    }
    return arrow::struct_(std::move(fields));
  }
  if (name == "list") {
    const JsonValue* item = Member(*body, "type");
    if (!item) return InvalidPlan(at, "list type without an element type");
    CA_ASSIGN_OR_RAISE(auto t, TypeFromSubstrait(*item, ext, JsonPathAppendKey(at, "type")));
    return arrow::list(arrow::field("item", t, nullable(*item)));
  }
  if (name == "map") {
    const JsonValue* key = Member(*body, "key");
    const JsonValue* value = Member(*body, "value");
    if (!key || !value) return InvalidPlan(at, "map type without key or value type");
    CA_ASSIGN_OR_RAISE(auto k, TypeFromSubstrait(*key, ext, JsonPathAppendKey(at, "key")));
    CA_ASSIGN_OR_RAISE(auto v, TypeFromSubstrait(*value, ext, JsonPathAppendKey(at, "value")));
    return arrow::map(k, v);
  }
  if (name == "userDefined") {
    CA_ASSIGN_OR_RAISE(int64_t anchor, IntMember(*body, "typeReference", at));
    CA_ASSIGN_OR_RAISE(auto id, ext.Type(anchor, JsonPathAppendKey(at, "typeReference")));
    if (id.uri == arrow::engine::kArrowExtTypesUri) {
      if (id.name == "u8") return arrow::uint8();
      if (id.name == "u16") return arrow::uint16();
      if (id.name == "u32") return arrow::uint32();
      if (id.name == "u64") return arrow::uint64();
      if (id.name == "fp16") return arrow::float16();
      if (id.name == "null") return arrow::null();
    }
    return NotSupported("type", id.uri + "#" + id.name,
                        "unknown extension type " + id.name + " of " + id.uri);
  }
  return NotSupported("type", name, "Substrait type " + name + " is not supported");
}

std::vector<std::string> DepthFirstNames(const arrow::Schema& schema) {
  std::vector<std::string> out;
  for (const auto& f : schema.fields()) {
    out.push_back(f->name());
    AppendDepthFirst(*f->type(), &out);
  }
  return out;
}

Result<JsonValue> SchemaToNamedStruct(const arrow::Schema& schema, ExtensionWriter* ext) {
  JsonValue names = JsonValue::MakeArray();
  for (auto& n : DepthFirstNames(schema)) names.Append(std::move(n));
  JsonValue types = JsonValue::MakeArray();
  for (const auto& f : schema.fields()) {
    CA_ASSIGN_OR_RAISE(auto t, TypeToSubstrait(*f->type(), f->nullable(), ext));
    types.Append(std::move(t));
  }
  JsonValue st = JsonValue::MakeObject();
  st.Set("types", std::move(types));
  st.Set("nullability", "NULLABILITY_REQUIRED");
  JsonValue out = JsonValue::MakeObject();
  out.Set("names", std::move(names));
  out.Set("struct", std::move(st));
  return out;
}

Result<std::shared_ptr<arrow::Schema>> SchemaFromNamedStruct(const JsonValue& named,
                                                             const ExtensionReader& ext,
                                                             const std::string& path) {
  CA_ASSIGN_OR_RAISE(auto name_values, ArrayMember(named, "names", path));
  std::vector<std::string> names;
  for (size_t i = 0; i < name_values.size(); ++i) {
    if (!name_values[i]->is_string()) {
      return InvalidPlan(JsonPathAppendIndex(JsonPathAppendKey(path, "names"), i),
                         "a name must be a string");
    }
    names.push_back(name_values[i]->string_value());
  }
  const JsonValue* st = Member(named, "struct");
  std::vector<const JsonValue*> types;
  std::string types_path = JsonPathAppendKey(JsonPathAppendKey(path, "struct"), "types");
  if (st) {
    CA_ASSIGN_OR_RAISE(types, ArrayMember(*st, "types", JsonPathAppendKey(path, "struct")));
  }
  std::vector<std::shared_ptr<arrow::Field>> fields;
  size_t next = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    std::string at = JsonPathAppendIndex(types_path, i);
    CA_ASSIGN_OR_RAISE(auto t, TypeFromSubstrait(*types[i], ext, at));
    if (next >= names.size()) return InvalidPlan(path, "fewer names than fields");
    std::string name = names[next++];
    CA_ASSIGN_OR_RAISE(t, WithNames(t, names, &next, at));
    bool nullable = true;
    for (const auto& [k, v] : types[i]->object_value()) {
      if (const JsonValue* n = Member(v, "nullability"); n && n->is_string()) {
        nullable = n->string_value() != "NULLABILITY_REQUIRED";
      }
    }
    fields.push_back(arrow::field(std::move(name), std::move(t), nullable));
  }
  if (next != names.size()) {
    return InvalidPlan(JsonPathAppendKey(path, "names"), std::to_string(names.size()) +
                                                             " names for " + std::to_string(next) +
                                                             " fields (depth-first)");
  }
  return arrow::schema(std::move(fields));
}

}  // namespace codeanatomy::semantic::substrait_internal
