#include "delta/writer.h"

#include <map>
#include <set>

#include <arrow/util/key_value_metadata.h>
#include <arrow/util/string.h>

#include <arrow/filesystem/filesystem.h>

#include "common/json.h"
#include "common/tracing.h"
#include "delta/commit_log.h"
#include "delta/conflict.h"
#include "delta/data_files.h"
#include "delta/delta_error.h"
#include "delta/log_store.h"
#include "delta/rewrite.h"
#include "delta/schema.h"
#include "delta/snapshot.h"
#include "delta/write_policy.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {

namespace {

// The table schema after writing `data` under `mode` (columns matched by name): unchanged,
// extended by the data's new columns (merge; they become nullable), or the data's (overwrite).
Result<std::shared_ptr<arrow::Schema>> TargetSchema(const arrow::Schema& table,
                                                    const arrow::Schema& data, SchemaMode mode,
                                                    const std::string& uri) {
  if (mode == SchemaMode::kOverwrite) return std::make_shared<arrow::Schema>(data.fields());
  auto mismatch = [&](const std::string& why, const std::string& column) {
    return DeltaError("SCHEMA_MISMATCH",
                      "cannot write to '" + uri + "': " + why +
                          " (schema_mode 'merge' adds new columns; 'overwrite' replaces the "
                          "schema)",
                      "\"table_uri\":" + JsonQuote(uri) + ",\"column\":" + JsonQuote(column));
  };
  std::vector<std::shared_ptr<arrow::Field>> fields = table.fields();
  for (const auto& f : data.fields()) {
    auto existing = table.GetFieldByName(f->name());
    if (existing) {
      if (!existing->type()->Equals(*f->type())) {
        return mismatch("column '" + f->name() + "' is " + existing->type()->ToString() +
                            " in the table and " + f->type()->ToString() + " in the data",
                        f->name());
      }
      continue;
    }
    if (mode != SchemaMode::kMerge) {
      return mismatch("column '" + f->name() + "' is not in the table", f->name());
    }
    fields.push_back(f->WithNullable(true));
  }
  if (mode == SchemaMode::kNone) {
    for (const auto& f : table.fields()) {
      if (!data.GetFieldByName(f->name()) && !f->nullable()) {
        return mismatch("non-nullable column '" + f->name() + "' is missing from the data",
                        f->name());
      }
    }
  }
  return arrow::schema(std::move(fields));
}

// A metaData action line: `m` with `schema_string`.
std::string MetadataLine(const Metadata& m, const std::string& schema_string) {
  JsonValue md = JsonValue::MakeObject();
  md.Set("id", m.id);
  if (!m.name.empty()) md.Set("name", m.name);
  if (!m.description.empty()) md.Set("description", m.description);
  JsonValue format = JsonValue::MakeObject();
  format.Set("provider", "parquet");
  format.Set("options", JsonValue::MakeObject());
  md.Set("format", std::move(format));
  md.Set("schemaString", schema_string);
  JsonValue pcs = JsonValue::MakeArray();
  for (const auto& c : m.partition_columns) pcs.Append(c);
  md.Set("partitionColumns", std::move(pcs));
  JsonValue conf = JsonValue::MakeObject();
  for (const auto& [k, v] : m.configuration) conf.Set(k, v);
  md.Set("configuration", std::move(conf));
  if (m.created_time) md.Set("createdTime", *m.created_time);
  JsonValue wrapped = JsonValue::MakeObject();
  wrapped.Set("metaData", std::move(md));
  return wrapped.ToJson() + "\n";
}

Result<std::shared_ptr<const Snapshot>> LoadForRewrite(const std::string& uri,
                                                       std::optional<int64_t> read_version) {
  return Snapshot::Load(uri, read_version ? TableVersion{VersionNumber{*read_version}}
                                          : TableVersion{LatestVersion{}});
}

// `table`'s rows as columns of `schema` (by name; columns it lacks are NULL), plus
// `_change_type` = `change_type`.
Result<std::shared_ptr<arrow::Table>> ChangeRows(const std::shared_ptr<arrow::Table>& table,
                                                 const arrow::Schema& schema,
                                                 const std::string& change_type) {
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const auto& f : schema.fields()) {
    auto column = table->GetColumnByName(f->name());
    if (!column) {
      CA_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(f->type(), table->num_rows()));
      column = std::make_shared<arrow::ChunkedArray>(nulls);
    }
    columns.push_back(std::move(column));
    fields.push_back(f->WithNullable(true));
  }
  CA_ASSIGN_OR_RAISE(
      auto types, arrow::MakeArrayFromScalar(arrow::StringScalar(change_type), table->num_rows()));
  columns.push_back(std::make_shared<arrow::ChunkedArray>(types));
  fields.push_back(arrow::field("_change_type", arrow::utf8()));
  return arrow::Table::Make(arrow::schema(fields), columns, table->num_rows());
}

}  // namespace

Result<SchemaMode> ParseSchemaMode(const std::string& mode) {
  if (mode.empty() || mode == "none") return SchemaMode::kNone;
  if (mode == "merge") return SchemaMode::kMerge;
  if (mode == "overwrite") return SchemaMode::kOverwrite;
  return ArgumentError("schema_mode must be 'merge' or 'overwrite', not '" + mode + "'");
}

Result<WriteResult> DeleteRows(const std::string& uri, const std::string& predicate,
                               std::optional<int64_t> read_version) {
  CA_ASSIGN_OR_RAISE(auto snapshot, LoadForRewrite(uri, read_version));
  // An overwrite by the predicate with no new rows: exactly the rows to keep are written back.
  CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(snapshot->schema()));
  WriteOptions options;
  options.mode = WriteMode::kOverwrite;
  options.predicate = predicate.empty() ? "true" : predicate;
  options.operation = "DELETE";
  options.read_version = snapshot->version();
  return WriteDelta(uri, std::make_shared<arrow::TableBatchReader>(empty), options);
}

Result<WriteResult> UpdateRows(const std::string& uri, const std::string& predicate,
                               const std::map<std::string, std::string>& updates,
                               std::optional<int64_t> read_version) {
  if (updates.empty()) return ArgumentError("an update needs at least one column to set");
  CA_ASSIGN_OR_RAISE(auto snapshot, LoadForRewrite(uri, read_version));
  CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(snapshot->schema()));
  WriteOptions options;
  options.mode = WriteMode::kOverwrite;
  options.predicate = predicate.empty() ? "true" : predicate;
  options.updates = updates;
  options.operation = "UPDATE";
  options.read_version = snapshot->version();
  return WriteDelta(uri, std::make_shared<arrow::TableBatchReader>(empty), options);
}

Result<arrow::Compression::type> ParseCompression(const std::string& name) {
  std::string lower = arrow::internal::AsciiToLower(name);
  if (lower == "snappy") return arrow::Compression::SNAPPY;
  if (lower == "zstd") return arrow::Compression::ZSTD;
  if (lower == "uncompressed" || lower == "none") return arrow::Compression::UNCOMPRESSED;
  return ArgumentError("compression must be 'snappy', 'zstd' or 'uncompressed', not '" + name +
                       "'");
}

Result<WriteMode> ParseWriteMode(const std::string& mode) {
  if (mode == "error" || mode == "errorifexists") return WriteMode::kErrorIfExists;
  if (mode == "append") return WriteMode::kAppend;
  if (mode == "overwrite") return WriteMode::kOverwrite;
  return ArgumentError("write mode must be 'error', 'append' or 'overwrite', not '" + mode + "'");
}

Result<WriteResult> WriteDelta(const std::string& uri,
                               std::shared_ptr<arrow::RecordBatchReader> data,
                               const WriteOptions& options) {
  tracing::Span span("delta.write");
  CA_RETURN_NOT_OK(engine::InitializeArrow());
  span.SetAttribute("table_uri", uri);
  std::string root;
  CA_ASSIGN_OR_RAISE(auto fs, OpenTableRoot(uri, &root));
  CA_ASSIGN_OR_RAISE(auto store, LogStoreFor(fs));

  auto existing =
      Snapshot::Load(uri, options.read_version ? TableVersion{VersionNumber{*options.read_version}}
                                               : TableVersion{LatestVersion{}});
  bool exists = existing.ok();
  if (!exists) {
    auto info = DescribeError(existing.status());
    if (info.code != "NOT_A_DELTA_TABLE") return existing.status();
  }
  if (exists && options.mode == WriteMode::kErrorIfExists) {
    return DeltaError(
        "TABLE_EXISTS",
        "table '" + uri + "' already exists (mode 'error'; use 'append' or 'overwrite')",
        "\"table_uri\":" + JsonQuote(uri));
  }
  // Writer versions 2 to 4 and table features this writer enforces; anything else is refused
  // by name.
  if (exists) {
    CA_RETURN_NOT_OK(CheckWriterFeatures(**existing));
  }
  if (exists) {
    const auto& conf = (*existing)->metadata().configuration;
    auto append_only = conf.find("delta.appendOnly");
    bool rewrites = options.mode == WriteMode::kOverwrite || !options.predicate.empty();
    if (append_only != conf.end() && append_only->second == "true" && rewrites) {
      return DeltaError("APPEND_ONLY_TABLE",
                        "table '" + uri +
                            "' is append-only (delta.appendOnly): it accepts appends "
                            "only",
                        "\"table_uri\":" + JsonQuote(uri));
    }
  }
  auto already_done = [&](const Snapshot& snap) {
    if (!options.app_transaction) return false;
    auto it = snap.app_transactions().find(options.app_transaction->first);
    return it != snap.app_transactions().end() &&
           it->second.version >= options.app_transaction->second;
  };
  if (exists && already_done(**existing)) {
    WriteResult skipped;
    skipped.version = (*existing)->version();
    skipped.skipped = true;
    return skipped;
  }
  auto schema = data->schema();
  std::shared_ptr<arrow::Schema> new_schema;  // set when the write changes an existing schema
  std::vector<std::string> partition_by = options.partition_by;
  if (exists) {
    const auto& table_schema = *(*existing)->schema();
    if (options.schema_mode == SchemaMode::kOverwrite && options.mode != WriteMode::kOverwrite) {
      return ArgumentError("schema_mode 'overwrite' needs mode 'overwrite'");
    }
    CA_ASSIGN_OR_RAISE(auto target, TargetSchema(table_schema, *schema, options.schema_mode, uri));
    if (!target->Equals(table_schema, /*check_metadata=*/false)) new_schema = target;
    const auto& pcs = (*existing)->metadata().partition_columns;
    if (!partition_by.empty() && partition_by != pcs) {
      return DeltaError("PARTITION_MISMATCH", "table '" + uri + "' is partitioned differently",
                        "\"table_uri\":" + JsonQuote(uri));
    }
    partition_by = pcs;
  }
  for (const auto& c : partition_by) {
    if (!schema->GetFieldByName(c)) {
      return DeltaError("INVALID_PARTITION_COLUMN",
                        "partition column '" + c + "' is not in the data",
                        "\"column\":" + JsonQuote(c));
    }
  }
  WriteOptions effective = options;
  effective.partition_by = partition_by;
  CA_RETURN_NOT_OK(ApplyDataFileProperties(
      exists ? (*existing)->metadata().configuration : options.configuration, &effective));
  // Overwrite by predicate: check the data, find the files holding matching rows, and write
  // their other rows again.
  std::optional<PredicateRewrite> rewrite;
  std::shared_ptr<arrow::Table> inserted;  // the data of an overwrite by predicate
  // Tables with the change data feed on get change data files for rewrites (PROTOCOL.md
  // "Change Data Files"): readers take a commit's changes from them instead of its adds.
  const bool cdf = exists && ChangeDataFeedEnabled((*existing)->metadata());
  if (!options.predicate.empty()) {
    if (options.mode != WriteMode::kOverwrite) {
      return ArgumentError("a predicate needs mode 'overwrite'");
    }
    CA_ASSIGN_OR_RAISE(auto table, data->ToTable());
    inserted = table;
    if (options.updates.empty()) {
      CA_RETURN_NOT_OK(CheckRowsSatisfy(table, options.predicate));
    }
    data = std::make_shared<arrow::TableBatchReader>(table);
    if (exists && options.updates.empty()) {
      CA_ASSIGN_OR_RAISE(rewrite, RewriteForPredicate(*existing, options.predicate, cdf));
    } else if (exists) {
      CA_ASSIGN_OR_RAISE(rewrite,
                         RewriteForUpdate(*existing, options.predicate, options.updates, cdf));
    }
  }
  // The data checker: not-null columns and check constraints of the table being written.
  {
    const Metadata* md = exists ? &(*existing)->metadata() : nullptr;
    bool has_constraints = false;
    const auto& props = md ? md->configuration : options.configuration;
    for (const auto& [k, v] : props) has_constraints |= k.rfind("delta.constraints.", 0) == 0;
    const arrow::Schema& target = exists ? *(*existing)->schema() : *schema;
    bool has_not_null = false;
    for (const auto& f : target.fields()) has_not_null |= !f->nullable();
    if (has_constraints || has_not_null || HasInvariants(target.fields())) {
      CA_ASSIGN_OR_RAISE(auto table, data->ToTable());
      CA_RETURN_NOT_OK(CheckWriteConstraints(table, target, props));
      data = std::make_shared<arrow::TableBatchReader>(table);
    }
  }
  if (rewrite && rewrite->kept && !options.updates.empty()) {  // updated rows are new rows too
    CA_RETURN_NOT_OK(CheckWriteConstraints(rewrite->kept, *(*existing)->schema(),
                                           (*existing)->metadata().configuration));
  }
  CA_ASSIGN_OR_RAISE(auto files, WriteDataFiles(fs, root, std::move(data), *schema, effective));
  if (rewrite && rewrite->kept && rewrite->kept->num_rows() > 0) {
    auto kept_reader = std::make_shared<arrow::TableBatchReader>(rewrite->kept);
    CA_ASSIGN_OR_RAISE(auto kept_files,
                       WriteDataFiles(fs, root, kept_reader, *rewrite->kept->schema(), effective));
    for (auto& f : kept_files) files.push_back(std::move(f));
  }
  std::vector<WrittenFile> change_files;
  if (cdf && rewrite) {
    const arrow::Schema& table_schema = *(*existing)->schema();
    std::vector<std::shared_ptr<arrow::Table>> changes;
    bool update = !options.updates.empty();
    if (rewrite->deleted && rewrite->deleted->num_rows() > 0) {
      CA_ASSIGN_OR_RAISE(auto t, ChangeRows(rewrite->deleted, table_schema,
                                            update ? "update_preimage" : "delete"));
      changes.push_back(std::move(t));
    }
    if (update && rewrite->updated && rewrite->updated->num_rows() > 0) {
      CA_ASSIGN_OR_RAISE(auto t, ChangeRows(rewrite->updated, table_schema, "update_postimage"));
      changes.push_back(std::move(t));
    }
    if (!update && inserted && inserted->num_rows() > 0) {
      CA_ASSIGN_OR_RAISE(auto t, ChangeRows(inserted, table_schema, "insert"));
      changes.push_back(std::move(t));
    }
    if (!changes.empty()) {
      CA_ASSIGN_OR_RAISE(auto all, arrow::ConcatenateTables(changes));
      CA_ASSIGN_OR_RAISE(change_files,
                         WriteDataFiles(fs, root, std::make_shared<arrow::TableBatchReader>(all),
                                        *all->schema(), effective, DataFileKind::kChange));
    }
  }

  CA_RETURN_NOT_OK(fs->CreateDir(root + "/_delta_log", /*recursive=*/true));
  WriteResult result;
  for (const auto& f : files) result.rows_written += f.rows;
  result.files_added = static_cast<int64_t>(files.size());
  std::set<std::map<std::string, std::optional<std::string>>> partitions;
  for (const auto& f : files) {
    result.bytes_written += f.size;
    partitions.insert(f.partition_values);
  }
  result.partitions_written = static_cast<int64_t>(partitions.size());
  std::string schema_json;
  if (!exists) {
    CA_ASSIGN_OR_RAISE(schema_json, SchemaToDeltaJson(*schema));
  } else if (new_schema) {
    CA_ASSIGN_OR_RAISE(schema_json, SchemaToDeltaJson(*new_schema));
  }

  // What this write read and removes: a commit landing first is checked against it.
  std::shared_ptr<const Snapshot> read = exists ? *existing : nullptr;
  TransactionFootprint footprint;
  std::vector<const FileAction*> removed;
  if (read && options.mode == WriteMode::kOverwrite) {
    if (rewrite) {
      removed = rewrite->removed;
      footprint.read_filter = rewrite->read_filter;
      for (const FileAction* f : rewrite->read) footprint.read_files.insert(f->path);
    } else {
      for (const auto& f : read->files()) removed.push_back(&f);
      footprint.read_whole_table = true;
    }
    for (const FileAction* f : removed) footprint.removed_files.insert(f->path);
  }
  if (options.app_transaction) footprint.app_id = options.app_transaction->first;
  result.files_removed = static_cast<int64_t>(removed.size());
  result.read_version = read ? read->version() : -1;

  const int64_t now = NowMs();
  std::string commit;
  {
    JsonValue info = JsonValue::MakeObject();
    info.Set("timestamp", now);
    info.Set("operation", !options.operation.empty() ? options.operation
                          : read                     ? "WRITE"
                                                     : "CREATE TABLE");
    JsonValue params = JsonValue::MakeObject();
    params.Set("mode", options.mode == WriteMode::kAppend      ? "Append"
                       : options.mode == WriteMode::kOverwrite ? "Overwrite"
                                                               : "ErrorIfExists");
    JsonValue pb = JsonValue::MakeArray();
    for (const auto& c : partition_by) pb.Append(c);
    params.Set("partitionBy", pb.ToJson());
    if (!options.predicate.empty()) params.Set("predicate", options.predicate);
    info.Set("operationParameters", std::move(params));
    if (read) info.Set("readVersion", read->version());
    info.Set("isolationLevel",
             read && TableIsolationLevel(read->metadata()) == IsolationLevel::kSerializable
                 ? "Serializable"
                 : "WriteSerializable");
    info.Set("engineInfo", "codeanatomy/0.1.0");
    info.Set("isBlindAppend", options.mode != WriteMode::kOverwrite);
    JsonValue metrics = JsonValue::MakeObject();
    metrics.Set("numFiles", std::to_string(files.size()));
    metrics.Set("numOutputRows", std::to_string(result.rows_written));
    metrics.Set("numRemovedFiles", std::to_string(removed.size()));
    info.Set("operationMetrics", std::move(metrics));
    for (const auto& [key, value] : options.commit_properties) {
      if (info.Get(key) == nullptr) info.Set(key, value);
    }
    JsonValue ci = JsonValue::MakeObject();
    ci.Set("commitInfo", std::move(info));
    commit += ci.ToJson() + "\n";
  }
  if (!read) {
    JsonValue protocol = JsonValue::MakeObject();
    JsonValue p = JsonValue::MakeObject();
    p.Set("minReaderVersion", int64_t{1});
    p.Set("minWriterVersion", MinWriterVersion(options.configuration));
    protocol.Set("protocol", std::move(p));
    commit += protocol.ToJson() + "\n";
    Metadata m;
    m.id = NewUuid();
    m.partition_columns = partition_by;
    m.configuration = options.configuration;
    m.created_time = now;
    commit += MetadataLine(m, schema_json);
  } else if (new_schema) {  // the same table with a new schema
    commit += MetadataLine(read->metadata(), schema_json);
  }
  if (options.app_transaction) {
    JsonValue t = JsonValue::MakeObject();
    t.Set("appId", options.app_transaction->first);
    t.Set("version", options.app_transaction->second);
    t.Set("lastUpdated", now);
    JsonValue txn = JsonValue::MakeObject();
    txn.Set("txn", std::move(t));
    commit += txn.ToJson() + "\n";
  }
  for (const FileAction* f : removed) commit += RemoveActionLine(*f, now, /*data_change=*/true);
  for (const auto& f : files) commit += AddActionLine(f, now, /*data_change=*/true);

  for (const auto& f : change_files) {
    JsonValue c = JsonValue::MakeObject();
    c.Set("path", EncodePath(f.relative));
    JsonValue pv = JsonValue::MakeObject();
    for (const auto& [k, v] : f.partition_values) pv.Set(k, v ? JsonValue(*v) : JsonValue());
    c.Set("partitionValues", std::move(pv));
    c.Set("size", f.size);
    c.Set("dataChange", false);
    JsonValue cdc = JsonValue::MakeObject();
    cdc.Set("cdc", std::move(c));
    commit += cdc.ToJson() + "\n";
  }

  CA_ASSIGN_OR_RAISE(auto outcome,
                     CommitWithRetries(*store, uri, root, read.get(), footprint, commit,
                                       options.max_retries, options.app_transaction));
  if (outcome.superseded) {  // a concurrent retry of the same write committed it
    WriteResult skipped;
    skipped.version = outcome.version;
    skipped.read_version = result.read_version;
    skipped.skipped = true;
    return skipped;
  }
  result.version = outcome.version;
  result.attempts = outcome.attempts;
  // Every N commits (delta.checkpointInterval, default 100) a checkpoint.
  result.checkpointed = CheckpointIfDue(
      uri, outcome.version, read ? read->metadata().configuration : options.configuration);
  return result;
}

}  // namespace codeanatomy::delta
