#include "delta/provider_options.h"

#include <algorithm>

#include <arrow/compute/cast.h>
#include <arrow/scalar.h>

#include "delta/delta_error.h"
#include "delta/provider.h"

namespace codeanatomy::delta {

namespace {

Status OptionError(const std::string& path, const std::string& what) {
  return InvalidError(stage::kValidation, "INVALID_PROVIDER_OPTIONS", path + ": " + what,
                      "{\"field\":" + JsonQuote(path) + "}");
}

// The members of an options object, each checked against `known`.
Status CheckMembers(const JsonValue& object, const std::string& path,
                    const std::vector<std::string_view>& known) {
  if (!object.is_object()) return OptionError(path, "must be an object");
  for (const auto& [key, value] : object.object_value()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string where = path.empty() ? key : path + "." + key;
      return OptionError(where, "unknown option");
    }
  }
  return Status::OK();
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// A member that may be absent or null.
const JsonValue* Member(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Get(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

Result<std::optional<int64_t>> OptionalInt(const JsonValue& object, std::string_view key,
                                           const std::string& path) {
  const JsonValue* v = Member(object, key);
  if (v == nullptr) return std::optional<int64_t>();
  if (!v->is_int()) return OptionError(Join(path, key), "must be an integer");
  if (v->int_value() < 0) return OptionError(Join(path, key), "must not be negative");
  return std::optional<int64_t>(v->int_value());
}

Result<std::optional<bool>> OptionalBool(const JsonValue& object, std::string_view key,
                                         const std::string& path) {
  const JsonValue* v = Member(object, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_bool()) return OptionError(Join(path, key), "must be true or false");
  return std::optional<bool>(v->bool_value());
}

Result<std::optional<std::string>> OptionalString(const JsonValue& object, std::string_view key,
                                                  const std::string& path) {
  const JsonValue* v = Member(object, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return OptionError(Join(path, key), "must be a string");
  return std::optional<std::string>(v->string_value());
}

Result<std::vector<std::string>> StringList(const JsonValue& object, std::string_view key,
                                            const std::string& path) {
  std::vector<std::string> out;
  const JsonValue* v = Member(object, key);
  if (v == nullptr) return out;
  if (!v->is_array()) return OptionError(Join(path, key), "must be an array of strings");
  for (size_t i = 0; i < v->array_value().size(); ++i) {
    const JsonValue& item = v->array_value()[i];
    if (!item.is_string()) {
      return OptionError(Join(path, key) + "[" + std::to_string(i) + "]", "must be a string");
    }
    out.push_back(item.string_value());
  }
  return out;
}

// A time: milliseconds since the epoch, or an ISO 8601 string (UTC unless it says otherwise).
Result<std::optional<int64_t>> OptionalTimestampMs(const JsonValue& object, std::string_view key,
                                                   const std::string& path) {
  const JsonValue* v = Member(object, key);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_int()) return std::optional<int64_t>(v->int_value());
  if (!v->is_string()) {
    return OptionError(Join(path, key), "must be milliseconds since the epoch or an ISO 8601 time");
  }
  auto cast =
      arrow::compute::Cast(arrow::Datum(std::make_shared<arrow::StringScalar>(v->string_value())),
                           arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"));
  if (!cast.ok()) {
    return OptionError(Join(path, key), "'" + v->string_value() + "' is not an ISO 8601 time");
  }
  return std::optional<int64_t>(
      std::static_pointer_cast<arrow::TimestampScalar>(cast->scalar())->value);
}

Result<TableVersion> VersionOf(const JsonValue& object, const std::string& path) {
  CA_ASSIGN_OR_RAISE(auto version, OptionalInt(object, "version", path));
  CA_ASSIGN_OR_RAISE(auto timestamp, OptionalTimestampMs(object, "timestamp", path));
  if (version && timestamp) {
    return OptionError(Join(path, "version"), "give a version or a timestamp, not both");
  }
  if (version) return TableVersion{VersionNumber{*version}};
  if (timestamp) return TableVersion{VersionAtTime{*timestamp}};
  return TableVersion{LatestVersion{}};
}

Result<std::string> TableUri(const JsonValue& object) {
  CA_ASSIGN_OR_RAISE(auto uri, OptionalString(object, "table_uri", ""));
  if (!uri || uri->empty()) return OptionError("table_uri", "is required");
  return *uri;
}

Status CheckStorageOptions(const JsonValue& object) {
  const JsonValue* v = Member(object, "storage_options");
  if (v == nullptr) return Status::OK();
  if (!v->is_object()) return OptionError("storage_options", "must be an object");
  if (!v->object_value().empty()) {
    return InvalidError(stage::kDelta, "NOT_SUPPORTED",
                        "not supported: storage_options (tables are opened through Arrow's "
                        "filesystem for their URI; key '" +
                            v->object_value().begin()->first + "')",
                        "{\"field\":\"storage_options\"}");
  }
  return Status::OK();
}

Result<JsonValue> ParseObject(std::string_view json) {
  auto parsed = JsonValue::Parse(json);
  if (!parsed.ok()) return OptionError("(options)", "not valid JSON: " + parsed.status().message());
  if (!parsed->is_object()) return OptionError("(options)", "must be a JSON object");
  return std::move(*parsed);
}

}  // namespace

Status CheckProtocolGate(const Snapshot& snapshot, const ProtocolGate& gate) {
  const Protocol& p = snapshot.protocol();
  auto failed = [&](const std::string& what, const std::string& requirement) {
    return DeltaError("PROTOCOL_GATE_FAILED",
                      "table '" + snapshot.table_uri() + "' (version " +
                          std::to_string(snapshot.version()) +
                          ") does not meet the protocol gate: " + what,
                      "\"table_uri\":" + JsonQuote(snapshot.table_uri()) +
                          ",\"requirement\":" + JsonQuote(requirement));
  };
  if (gate.min_reader_version && p.min_reader_version < *gate.min_reader_version) {
    return failed("reader version " + std::to_string(p.min_reader_version) + " < required " +
                      std::to_string(*gate.min_reader_version),
                  "min_reader_version");
  }
  if (gate.min_writer_version && p.min_writer_version < *gate.min_writer_version) {
    return failed("writer version " + std::to_string(p.min_writer_version) + " < required " +
                      std::to_string(*gate.min_writer_version),
                  "min_writer_version");
  }
  auto missing = [](const std::vector<std::string>& have,
                    const std::vector<std::string>& need) -> std::optional<std::string> {
    for (const auto& f : need) {
      if (std::find(have.begin(), have.end(), f) == have.end()) return f;
    }
    return std::nullopt;
  };
  if (auto f = missing(p.reader_features, gate.required_reader_features)) {
    return failed("reader feature '" + *f + "' is not enabled", "required_reader_features");
  }
  if (auto f = missing(p.writer_features, gate.required_writer_features)) {
    return failed("writer feature '" + *f + "' is not enabled", "required_writer_features");
  }
  return Status::OK();
}

Result<ProtocolGate> ParseProtocolGate(const JsonValue& json, const std::string& path) {
  CA_RETURN_NOT_OK(CheckMembers(json, path,
                                {"min_reader_version", "min_writer_version",
                                 "required_reader_features", "required_writer_features"}));
  ProtocolGate gate;
  CA_ASSIGN_OR_RAISE(auto reader, OptionalInt(json, "min_reader_version", path));
  CA_ASSIGN_OR_RAISE(auto writer, OptionalInt(json, "min_writer_version", path));
  if (reader) gate.min_reader_version = static_cast<int32_t>(*reader);
  if (writer) gate.min_writer_version = static_cast<int32_t>(*writer);
  CA_ASSIGN_OR_RAISE(gate.required_reader_features,
                     StringList(json, "required_reader_features", path));
  CA_ASSIGN_OR_RAISE(gate.required_writer_features,
                     StringList(json, "required_writer_features", path));
  return gate;
}

Result<DeltaProviderOptions> ParseDeltaProviderOptions(std::string_view json) {
  CA_ASSIGN_OR_RAISE(auto o, ParseObject(json));
  CA_RETURN_NOT_OK(CheckMembers(
      o, "",
      {"table_uri", "storage_options", "version", "timestamp", "scan_config", "gate", "files"}));
  DeltaProviderOptions out;
  CA_ASSIGN_OR_RAISE(out.table_uri, TableUri(o));
  CA_RETURN_NOT_OK(CheckStorageOptions(o));
  CA_ASSIGN_OR_RAISE(out.version, VersionOf(o, ""));
  if (const JsonValue* sc = Member(o, "scan_config")) {
    const std::string path = "scan_config";
    CA_RETURN_NOT_OK(
        CheckMembers(*sc, path,
                     {"scan_config_version", "file_column_name", "enable_parquet_pushdown",
                      "schema_force_view_types", "wrap_partition_values", "schema_ipc", "schema"}));
    CA_ASSIGN_OR_RAISE(auto version, OptionalInt(*sc, "scan_config_version", path));
    if (!version || *version != 1) {
      return OptionError(Join(path, "scan_config_version"), "must be 1");
    }
    ScanConfig& c = out.scan_config;
    CA_ASSIGN_OR_RAISE(c.file_column_name, OptionalString(*sc, "file_column_name", path));
    if (c.file_column_name && c.file_column_name->empty()) {
      return OptionError(Join(path, "file_column_name"), "must not be empty");
    }
    CA_ASSIGN_OR_RAISE(auto pushdown, OptionalBool(*sc, "enable_parquet_pushdown", path));
    CA_ASSIGN_OR_RAISE(auto views, OptionalBool(*sc, "schema_force_view_types", path));
    CA_ASSIGN_OR_RAISE(auto wrap, OptionalBool(*sc, "wrap_partition_values", path));
    c.enable_parquet_pushdown = pushdown.value_or(true);
    c.schema_force_view_types = views.value_or(false);
    c.wrap_partition_values = wrap.value_or(false);
    if (Member(*sc, "schema_ipc") || Member(*sc, "schema")) {
      return InvalidError(stage::kDelta, "NOT_SUPPORTED",
                          "not supported: scan_config.schema_ipc (the scan schema is the "
                          "snapshot's)",
                          "{\"field\":\"scan_config.schema_ipc\"}");
    }
  }
  if (const JsonValue* gate = Member(o, "gate")) {
    CA_ASSIGN_OR_RAISE(out.gate, ParseProtocolGate(*gate, "gate"));
  }
  if (Member(o, "files")) {
    CA_ASSIGN_OR_RAISE(out.files, StringList(o, "files", ""));
  }
  return out;
}

Result<DeltaCdfProviderOptions> ParseDeltaCdfProviderOptions(std::string_view json) {
  CA_ASSIGN_OR_RAISE(auto o, ParseObject(json));
  CA_RETURN_NOT_OK(CheckMembers(
      o, "",
      {"table_uri", "storage_options", "version", "timestamp", "starting_version", "ending_version",
       "starting_timestamp", "ending_timestamp", "allow_out_of_range"}));
  DeltaCdfProviderOptions out;
  CA_ASSIGN_OR_RAISE(out.table_uri, TableUri(o));
  CA_RETURN_NOT_OK(CheckStorageOptions(o));
  ChangeFeedOptions& f = out.feed;
  CA_ASSIGN_OR_RAISE(f.starting_version, OptionalInt(o, "starting_version", ""));
  CA_ASSIGN_OR_RAISE(f.ending_version, OptionalInt(o, "ending_version", ""));
  CA_ASSIGN_OR_RAISE(f.starting_timestamp_ms, OptionalTimestampMs(o, "starting_timestamp", ""));
  CA_ASSIGN_OR_RAISE(f.ending_timestamp_ms, OptionalTimestampMs(o, "ending_timestamp", ""));
  CA_ASSIGN_OR_RAISE(auto allow, OptionalBool(o, "allow_out_of_range", ""));
  f.allow_out_of_range = allow.value_or(false);
  if (f.starting_version && f.starting_timestamp_ms) {
    return OptionError("starting_version", "give a starting version or timestamp, not both");
  }
  if (f.ending_version && f.ending_timestamp_ms) {
    return OptionError("ending_version", "give an ending version or timestamp, not both");
  }
  // The snapshot pin bounds the feed's end when no ending is given.
  CA_ASSIGN_OR_RAISE(auto pin, VersionOf(o, ""));
  if (!f.ending_version && !f.ending_timestamp_ms) {
    if (auto* v = std::get_if<VersionNumber>(&pin)) f.ending_version = v->version;
    if (auto* t = std::get_if<VersionAtTime>(&pin)) f.ending_timestamp_ms = t->timestamp_ms;
  } else if (!std::holds_alternative<LatestVersion>(pin)) {
    return OptionError("version", "give a version/timestamp pin or an ending, not both");
  }
  if (!f.starting_version && !f.starting_timestamp_ms) f.starting_version = 0;
  return out;
}

Result<std::shared_ptr<engine::TableProvider>> MakeDeltaProvider(std::string_view kind,
                                                                 std::string_view options_json) {
  if (kind == "delta") {
    CA_ASSIGN_OR_RAISE(auto options, ParseDeltaProviderOptions(options_json));
    CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(options.table_uri, options.version));
    if (options.gate) CA_RETURN_NOT_OK(CheckProtocolGate(*snapshot, *options.gate));
    CA_ASSIGN_OR_RAISE(auto provider,
                       DeltaTableProvider::Make(snapshot, options.scan_config, options.files));
    return std::static_pointer_cast<engine::TableProvider>(provider);
  }
  if (kind == "delta_cdf") {
    CA_ASSIGN_OR_RAISE(auto options, ParseDeltaCdfProviderOptions(options_json));
    CA_ASSIGN_OR_RAISE(auto changes, ReadChangeFeed(options.table_uri, options.feed));
    CA_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(changes));
    return std::static_pointer_cast<engine::TableProvider>(provider);
  }
  return InvalidError(
      stage::kValidation, "UNKNOWN_PROVIDER",
      "unknown table provider '" + std::string(kind) + "' (known: 'delta', 'delta_cdf')",
      "{\"provider\":" + JsonQuote(kind) + "}");
}

}  // namespace codeanatomy::delta
