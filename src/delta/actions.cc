#include "delta/actions.h"

#include "delta/deletion_vector.h"
#include "delta/delta_error.h"

namespace codeanatomy::delta {

namespace {

const JsonValue* Field(const JsonValue& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const JsonValue* v = obj.Get(key);
  return (v && !v->is_null()) ? v : nullptr;
}

Status Malformed(const std::string& where, const std::string& what) {
  return DeltaError("MALFORMED_ACTION", "malformed action in " + where + ": " + what,
                    "\"file\":" + JsonQuote(where));
}

Result<std::string> RequiredString(const JsonValue& obj, std::string_view key,
                                   const std::string& where, std::string_view action) {
  const JsonValue* v = Field(obj, key);
  if (!v || !v->is_string()) {
    return Malformed(where, std::string(action) + " without a string '" + std::string(key) + "'");
  }
  return v->string_value();
}

int64_t IntOr(const JsonValue& obj, std::string_view key, int64_t fallback) {
  const JsonValue* v = Field(obj, key);
  if (!v) return fallback;
  if (v->is_int()) return v->int_value();
  if (v->is_double()) return static_cast<int64_t>(v->double_value());
  if (v->is_string()) {  // checkpoints written by some engines keep numbers as strings
    try {
      return std::stoll(v->string_value());
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}

std::vector<std::string> Strings(const JsonValue* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& s : v->array_value()) {
    if (s.is_string()) out.push_back(s.string_value());
  }
  return out;
}

Result<FileAction> ParseFile(const JsonValue& obj, const std::string& where,
                             std::string_view action) {
  FileAction f;
  CA_ASSIGN_OR_RAISE(f.path, RequiredString(obj, "path", where, action));
  if (const JsonValue* pv = Field(obj, "partitionValues")) {
    if (!pv->is_object()) return Malformed(where, "partitionValues is not an object");
    for (const auto& [k, v] : pv->object_value()) {
      if (v.is_null()) {
        f.partition_values[k] = std::nullopt;
      } else if (v.is_string()) {
        f.partition_values[k] = v.string_value();
      } else {
        f.partition_values[k] = v.ToJson();
      }
    }
  }
  f.size = IntOr(obj, "size", 0);
  f.modification_time = IntOr(obj, "modificationTime", 0);
  if (const JsonValue* dc = Field(obj, "dataChange"); dc && dc->is_bool()) {
    f.data_change = dc->bool_value();
  }
  if (const JsonValue* st = Field(obj, "stats"); st && st->is_string())
    f.stats = st->string_value();
  if (const JsonValue* dv = Field(obj, "deletionVector"); dv && dv->is_object()) {
    f.deletion_vector = *dv;
  }
  if (const JsonValue* ts = Field(obj, "deletionTimestamp")) {
    f.deletion_timestamp = IntOr(obj, "deletionTimestamp", 0);
    (void)ts;
  }
  return f;
}

}  // namespace

std::string FileAction::Key() const {
  if (!deletion_vector) return path;
  auto dv = ParseDeletionVector(*deletion_vector);
  // A malformed descriptor still keys by its raw text; reading it later reports the error.
  return path + '\x1f' + (dv.ok() ? DeletionVectorId(*dv) : deletion_vector->ToJson());
}

Status AddAction(const JsonValue& action, const std::string& where, ActionSet* out) {
  if (!action.is_object()) return Malformed(where, "an action is not a JSON object");
  for (const auto& [kind, body] : action.object_value()) {
    if (body.is_null()) continue;
    if (kind == "add") {
      CA_ASSIGN_OR_RAISE(auto f, ParseFile(body, where, "add"));
      out->adds.push_back(std::move(f));
    } else if (kind == "remove") {
      CA_ASSIGN_OR_RAISE(auto f, ParseFile(body, where, "remove"));
      f.data_change = true;
      if (const JsonValue* dc = Field(body, "dataChange"); dc && dc->is_bool()) {
        f.data_change = dc->bool_value();
      }
      out->removes.push_back(std::move(f));
    } else if (kind == "metaData") {
      Metadata m;
      CA_ASSIGN_OR_RAISE(m.id, RequiredString(body, "id", where, "metaData"));
      // Tables written by some tools omit the schema of an empty table.
      if (const JsonValue* ss = Field(body, "schemaString"); ss && ss->is_string()) {
        m.schema_string = ss->string_value();
      } else {
        m.schema_string = R"({"type":"struct","fields":[]})";
      }
      if (const JsonValue* n = Field(body, "name"); n && n->is_string()) m.name = n->string_value();
      if (const JsonValue* d = Field(body, "description"); d && d->is_string()) {
        m.description = d->string_value();
      }
      m.partition_columns = Strings(Field(body, "partitionColumns"));
      if (const JsonValue* c = Field(body, "configuration"); c && c->is_object()) {
        for (const auto& [k, v] : c->object_value()) {
          m.configuration[k] = v.is_string() ? v.string_value() : v.ToJson();
        }
      }
      if (Field(body, "createdTime")) m.created_time = IntOr(body, "createdTime", 0);
      out->metadata = std::move(m);
    } else if (kind == "protocol") {
      Protocol p;
      p.min_reader_version = static_cast<int32_t>(IntOr(body, "minReaderVersion", 1));
      p.min_writer_version = static_cast<int32_t>(IntOr(body, "minWriterVersion", 2));
      p.reader_features = Strings(Field(body, "readerFeatures"));
      p.writer_features = Strings(Field(body, "writerFeatures"));
      out->protocol = std::move(p);
    } else if (kind == "txn") {
      Txn t;
      CA_ASSIGN_OR_RAISE(t.app_id, RequiredString(body, "appId", where, "txn"));
      t.version = IntOr(body, "version", 0);
      if (Field(body, "lastUpdated")) t.last_updated = IntOr(body, "lastUpdated", 0);
      out->txns.push_back(std::move(t));
    } else if (kind == "domainMetadata") {
      DomainMetadata d;
      CA_ASSIGN_OR_RAISE(d.domain, RequiredString(body, "domain", where, "domainMetadata"));
      if (const JsonValue* c = Field(body, "configuration"); c && c->is_string()) {
        d.configuration = c->string_value();
      }
      if (const JsonValue* r = Field(body, "removed"); r && r->is_bool())
        d.removed = r->bool_value();
      out->domains.push_back(std::move(d));
    } else if (kind == "commitInfo") {
      out->commit_info = body;
    } else if (kind == "sidecar") {
      CA_ASSIGN_OR_RAISE(auto path, RequiredString(body, "path", where, "sidecar"));
      out->sidecars.push_back(std::move(path));
    } else if (kind == "cdc") {
      out->cdc.push_back(body);
    }
    // checkpointMetadata and unknown actions: nothing to do for readers.
  }
  return Status::OK();
}

Result<ActionSet> ParseCommit(std::string_view text, const std::string& where) {
  ActionSet out;
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    ++line_no;
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      if (end == text.size()) break;
      continue;
    }
    auto parsed = JsonValue::Parse(line);
    if (!parsed.ok()) {
      return DeltaError("CORRUPT_COMMIT",
                        "commit " + where + " line " + std::to_string(line_no) +
                            " is not valid JSON: " + parsed.status().message(),
                        "\"file\":" + JsonQuote(where) + ",\"line\":" + std::to_string(line_no));
    }
    CA_RETURN_NOT_OK(AddAction(*parsed, where, &out));
    if (end == text.size()) break;
  }
  return out;
}

}  // namespace codeanatomy::delta
