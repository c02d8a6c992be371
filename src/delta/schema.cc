// Interim implementation (primitive, decimal and nested types; no column mapping); the full
// module replaces it.
#include "delta/schema.h"

#include <arrow/compute/cast.h>

#include "common/json.h"
#include "delta/delta_error.h"

namespace codeanatomy::delta {

namespace {

Result<std::shared_ptr<arrow::DataType>> TypeOf(const JsonValue& t, const std::string& path) {
  if (t.is_string()) {
    const std::string& n = t.string_value();
    if (n == "string") return arrow::utf8();
    if (n == "long") return arrow::int64();
    if (n == "integer") return arrow::int32();
    if (n == "short") return arrow::int16();
    if (n == "byte") return arrow::int8();
    if (n == "float") return arrow::float32();
    if (n == "double") return arrow::float64();
    if (n == "boolean") return arrow::boolean();
    if (n == "binary") return arrow::binary();
    if (n == "date") return arrow::date32();
    if (n == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    if (n == "timestamp_ntz") return arrow::timestamp(arrow::TimeUnit::MICRO);
    if (n.rfind("decimal(", 0) == 0) {
      int p = 0, s = 0;
      if (std::sscanf(n.c_str(), "decimal(%d,%d)", &p, &s) == 2 ||
          std::sscanf(n.c_str(), "decimal(%d, %d)", &p, &s) == 2) {
        return arrow::decimal128(p, s);
      }
    }
    return DeltaError("UNSUPPORTED_TYPE", "unsupported Delta type '" + n + "' at " + path,
                      "\"type\":" + JsonQuote(n) + ",\"field\":" + JsonQuote(path));
  }
  const JsonValue* kind = t.is_object() ? t.Get("type") : nullptr;
  std::string k = kind && kind->is_string() ? kind->string_value() : "";
  if (k == "struct") {
    std::vector<std::shared_ptr<arrow::Field>> fields;
    const JsonValue* fs = t.Get("fields");
    if (fs && fs->is_array()) {
      for (const auto& f : fs->array_value()) {
        const JsonValue* name = f.Get("name");
        std::string n = name && name->is_string() ? name->string_value() : "";
        CA_ASSIGN_OR_RAISE(auto ft, TypeOf(*f.Get("type"), path + "." + n));
        const JsonValue* nullable = f.Get("nullable");
        fields.push_back(
            arrow::field(n, ft, !nullable || !nullable->is_bool() || nullable->bool_value()));
      }
    }
    return arrow::struct_(fields);
  }
  if (k == "array") {
    CA_ASSIGN_OR_RAISE(auto et, TypeOf(*t.Get("elementType"), path + ".element"));
    return arrow::list(arrow::field("element", et));
  }
  if (k == "map") {
    CA_ASSIGN_OR_RAISE(auto kt, TypeOf(*t.Get("keyType"), path + ".key"));
    CA_ASSIGN_OR_RAISE(auto vt, TypeOf(*t.Get("valueType"), path + ".value"));
    return arrow::map(kt, vt);
  }
  return DeltaError("UNSUPPORTED_TYPE", "unsupported Delta type at " + path,
                    "\"field\":" + JsonQuote(path));
}

}  // namespace

Result<ColumnMappingMode> ParseColumnMappingMode(const std::string* value) {
  if (value == nullptr || *value == "none") return ColumnMappingMode::kNone;
  if (*value == "name") return ColumnMappingMode::kName;
  if (*value == "id") return ColumnMappingMode::kId;
  return DeltaError("UNSUPPORTED_COLUMN_MAPPING", "unknown column mapping mode '" + *value + "'");
}

Result<std::shared_ptr<arrow::Schema>> SchemaFromDeltaJson(std::string_view schema_string) {
  auto parsed = JsonValue::Parse(schema_string);
  if (!parsed.ok()) {
    return DeltaError("INVALID_SCHEMA", "schemaString is not JSON: " + parsed.status().message());
  }
  CA_ASSIGN_OR_RAISE(auto type, TypeOf(*parsed, "schema"));
  if (type->id() != arrow::Type::STRUCT) {
    return DeltaError("INVALID_SCHEMA", "schemaString is not a struct");
  }
  return arrow::schema(type->fields());
}

namespace {
Result<JsonValue> TypeJson(const arrow::DataType& t, const std::string& path);

Result<JsonValue> FieldJson(const arrow::Field& f, const std::string& path) {
  JsonValue out = JsonValue::MakeObject();
  out.Set("name", f.name());
  CA_ASSIGN_OR_RAISE(auto type, TypeJson(*f.type(), path + "." + f.name()));
  out.Set("type", std::move(type));
  out.Set("nullable", f.nullable());
  out.Set("metadata", JsonValue::MakeObject());
  return out;
}

Result<JsonValue> TypeJson(const arrow::DataType& t, const std::string& path) {
  switch (t.id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW:
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
    case arrow::Type::LARGE_BINARY:
      return JsonValue("binary");
    case arrow::Type::DATE32:
      return JsonValue("date");
    case arrow::Type::TIMESTAMP:
      return JsonValue(static_cast<const arrow::TimestampType&>(t).timezone().empty()
                           ? "timestamp_ntz"
                           : "timestamp");
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(t);
      return JsonValue("decimal(" + std::to_string(d.precision()) + "," +
                       std::to_string(d.scale()) + ")");
    }
    case arrow::Type::STRUCT: {
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "struct");
      JsonValue fields = JsonValue::MakeArray();
      for (const auto& f : t.fields()) {
        CA_ASSIGN_OR_RAISE(auto fj, FieldJson(*f, path));
        fields.Append(std::move(fj));
      }
      out.Set("fields", std::move(fields));
      return out;
    }
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST: {
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "array");
      const auto& value = t.field(0);
      CA_ASSIGN_OR_RAISE(auto et, TypeJson(*value->type(), path + ".element"));
      out.Set("elementType", std::move(et));
      out.Set("containsNull", value->nullable());
      return out;
    }
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(t);
      JsonValue out = JsonValue::MakeObject();
      out.Set("type", "map");
      CA_ASSIGN_OR_RAISE(auto kt, TypeJson(*m.key_type(), path + ".key"));
      CA_ASSIGN_OR_RAISE(auto vt, TypeJson(*m.item_type(), path + ".value"));
      out.Set("keyType", std::move(kt));
      out.Set("valueType", std::move(vt));
      out.Set("valueContainsNull", m.item_field()->nullable());
      return out;
    }
    default:
      return DeltaError("UNSUPPORTED_TYPE",
                        "Arrow type " + t.ToString() + " at " + path + " has no Delta type",
                        "\"type\":" + JsonQuote(t.ToString()) + ",\"field\":" + JsonQuote(path));
  }
}
}  // namespace

Result<std::string> SchemaToDeltaJson(const arrow::Schema& schema) {
  JsonValue out = JsonValue::MakeObject();
  out.Set("type", "struct");
  JsonValue fields = JsonValue::MakeArray();
  for (const auto& f : schema.fields()) {
    CA_ASSIGN_OR_RAISE(auto fj, FieldJson(*f, "schema"));
    fields.Append(std::move(fj));
  }
  out.Set("fields", std::move(fields));
  return out.ToJson();
}

Result<std::shared_ptr<arrow::Schema>> PhysicalSchema(const arrow::Schema& logical,
                                                      ColumnMappingMode mode) {
  if (mode != ColumnMappingMode::kNone) {
    return DeltaError("NOT_SUPPORTED", "not supported yet: column mapping");
  }
  return std::make_shared<arrow::Schema>(logical.fields());
}

Result<std::shared_ptr<arrow::Scalar>> ParsePartitionValue(
    const std::optional<std::string>& value, const std::shared_ptr<arrow::DataType>& type) {
  if (!value) return arrow::MakeNullScalar(type);
  if (type->id() == arrow::Type::STRING) return arrow::MakeScalar(*value);
  if (value->empty()) return arrow::MakeNullScalar(type);
  std::string text = *value;
  if (type->id() == arrow::Type::TIMESTAMP) {
    if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  }
  auto cast = arrow::compute::Cast(arrow::MakeScalar(text), type);
  if (!cast.ok()) {
    return DeltaError("INVALID_PARTITION_VALUE",
                      "partition value '" + *value + "' is not a valid " + type->ToString(),
                      "\"value\":" + JsonQuote(*value));
  }
  return cast->scalar();
}

Result<std::optional<std::string>> FormatPartitionValue(const arrow::Scalar& value) {
  if (!value.is_valid) return std::optional<std::string>();
  return std::optional<std::string>(value.ToString());
}

Result<FileStats> ParseFileStats(std::string_view stats_json, const arrow::Schema& logical) {
  FileStats out;
  auto parsed = JsonValue::Parse(stats_json);
  if (!parsed.ok()) return DeltaError("INVALID_STATS", "stats are not valid JSON");
  if (const JsonValue* n = parsed->Get("numRecords"); n && n->is_int()) {
    out.num_records = n->int_value();
  }
  return out;
}

}  // namespace codeanatomy::delta
