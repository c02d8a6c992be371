#include "delta/writer.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <random>
#include <thread>

#include <arrow/compute/api.h>
#include <arrow/dataset/dataset.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/partition.h>
#include <arrow/dataset/scanner.h>
#include <arrow/filesystem/filesystem.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_writer.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>

#include "common/json.h"
#include "common/tracing.h"
#include "delta/checkpoint.h"
#include "delta/delta_error.h"
#include "delta/log_store.h"
#include "delta/rewrite.h"
#include "delta/schema.h"
#include "delta/snapshot.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {

namespace ds = arrow::dataset;

namespace {

std::string Uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  char out[37];
  std::snprintf(out, sizeof(out), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string CommitPath(const std::string& root, int64_t version) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
  return root + "/_delta_log/" + name;
}

// Percent-encodes a relative path for the log (RFC 2396 path characters stay as they are).
std::string EncodePath(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::strchr("/-_.~!*'()=:@&+$,;", c) != nullptr) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct WrittenFile {
  std::string relative;  // as written on disk, relative to the root
  int64_t size = 0;
  int64_t rows = 0;
  std::map<std::string, std::optional<std::string>> partition_values;
  JsonValue stats = JsonValue::MakeObject();  // numRecords, minValues, maxValues, nullCount
};

// A statistics bound as Delta writes it: numbers as numbers, dates and timestamps as ISO text,
// strings as text (cut to 32 characters; a cut maximum is dropped, never understated).
std::optional<JsonValue> StatJson(const arrow::Scalar& v, bool is_max) {
  if (!v.is_valid) return std::nullopt;
  switch (v.type->id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64: {
      auto cast = v.CastTo(arrow::int64());
      if (!cast.ok()) return std::nullopt;
      return JsonValue(static_cast<const arrow::Int64Scalar&>(**cast).value);
    }
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      auto cast = v.CastTo(arrow::float64());
      if (!cast.ok()) return std::nullopt;
      double d = static_cast<const arrow::DoubleScalar&>(**cast).value;
      if (std::isnan(d) || std::isinf(d)) return std::nullopt;
      return JsonValue(d);
    }
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING: {
      std::string text = v.ToString();
      if (text.size() > 32) {
        if (is_max) return std::nullopt;
        size_t cut = 32;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut);
      }
      return JsonValue(text);
    }
    case arrow::Type::DATE32:
      return JsonValue(v.ToString());
    case arrow::Type::TIMESTAMP: {
      // Stats are kept in milliseconds by writers: widen the maximum by the truncation.
      const auto& ts = static_cast<const arrow::TimestampScalar&>(v);
      const auto& type = static_cast<const arrow::TimestampType&>(*v.type);
      int64_t per_ms = type.unit() == arrow::TimeUnit::MICRO  ? 1000
                       : type.unit() == arrow::TimeUnit::NANO ? 1000000
                                                              : 1;
      if (type.unit() == arrow::TimeUnit::SECOND) return std::nullopt;
      int64_t ms = ts.value / per_ms - (ts.value % per_ms < 0 ? 1 : 0);
      if (is_max && ts.value % per_ms != 0) ms += 1;
      int64_t secs = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
      int64_t millis = ms - secs * 1000;
      std::time_t t = static_cast<std::time_t>(secs);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[128];
      std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<long long>(millis));
      return JsonValue(std::string(buf));
    }
    default:
      return std::nullopt;  // other types: no bound (unknown), which readers accept
  }
}

// numRecords and per-column (top-level primitive columns) min/max/nullCount from the file's
// row-group statistics.
JsonValue FileStatsOf(const parquet::FileMetaData& md, const arrow::Schema& schema,
                      const std::vector<std::string>& partition_by) {
  JsonValue stats = JsonValue::MakeObject();
  stats.Set("numRecords", md.num_rows());
  JsonValue mins = JsonValue::MakeObject(), maxs = JsonValue::MakeObject(),
            nulls = JsonValue::MakeObject();
  const auto* pschema = md.schema();
  for (int c = 0; c < pschema->num_columns(); ++c) {
    const auto* col = pschema->Column(c);
    if (col->path()->ToDotVector().size() != 1) continue;  // nested leaves: no stats
    std::string name = col->name();
    if (std::find(partition_by.begin(), partition_by.end(), name) != partition_by.end()) continue;
    auto field = schema.GetFieldByName(name);
    if (!field) continue;
    std::shared_ptr<arrow::Scalar> lo, hi;
    int64_t null_count = 0;
    bool complete = true;
    for (int rg = 0; rg < md.num_row_groups(); ++rg) {
      auto chunk = md.RowGroup(rg)->ColumnChunk(c);
      auto st = chunk->statistics();
      if (!st) {
        complete = false;
        break;
      }
      null_count += st->null_count();
      if (!st->HasMinMax()) continue;
      std::shared_ptr<arrow::Scalar> mn, mx;
      if (!parquet::arrow::StatisticsAsScalars(*st, &mn, &mx).ok()) {
        complete = false;
        break;
      }
      auto cast_mn = mn->CastTo(field->type());
      auto cast_mx = mx->CastTo(field->type());
      if (cast_mn.ok()) mn = *cast_mn;
      if (cast_mx.ok()) mx = *cast_mx;
      auto less = [](const std::shared_ptr<arrow::Scalar>& a,
                     const std::shared_ptr<arrow::Scalar>& b) {
        auto r = arrow::compute::CallFunction("less", {a, b});
        return r.ok() && r->scalar()->is_valid &&
               static_cast<const arrow::BooleanScalar&>(*r->scalar()).value;
      };
      if (!lo || less(mn, lo)) lo = mn;
      if (!hi || less(hi, mx)) hi = mx;
    }
    if (!complete) continue;
    nulls.Set(name, null_count);
    if (lo) {
      if (auto j = StatJson(*lo, false)) mins.Set(name, *j);
    }
    if (hi) {
      if (auto j = StatJson(*hi, true)) maxs.Set(name, *j);
    }
  }
  stats.Set("minValues", std::move(mins));
  stats.Set("maxValues", std::move(maxs));
  stats.Set("nullCount", std::move(nulls));
  return stats;
}

std::string NullFallback() { return "__HIVE_DEFAULT_PARTITION__"; }

// Hive directory segments "col=value" of a relative path (values percent-decoded once).
Result<std::map<std::string, std::optional<std::string>>> PartitionValuesOf(
    const std::string& relative, const std::vector<std::string>& columns) {
  std::map<std::string, std::optional<std::string>> out;
  size_t start = 0;
  while (true) {
    size_t end = relative.find('/', start);
    if (end == std::string::npos) break;
    std::string seg = relative.substr(start, end - start);
    size_t eq = seg.find('=');
    if (eq != std::string::npos) {
      std::string col = seg.substr(0, eq);
      CA_ASSIGN_OR_RAISE(auto value, PercentDecode(seg.substr(eq + 1)));
      if (value == NullFallback()) {
        out[col] = std::nullopt;
      } else {
        out[col] = value;
      }
    }
    start = end + 1;
  }
  for (const auto& c : columns) {
    if (!out.count(c)) out[c] = std::nullopt;
  }
  return out;
}

Result<std::vector<WrittenFile>> WriteDataFiles(std::shared_ptr<arrow::fs::FileSystem> fs,
                                                const std::string& root,
                                                std::shared_ptr<arrow::RecordBatchReader> data,
                                                const arrow::Schema& schema,
                                                const WriteOptions& options) {
  auto format = std::make_shared<ds::ParquetFileFormat>();
  auto write_options = format->DefaultWriteOptions();
  auto pq_options = std::static_pointer_cast<ds::ParquetFileWriteOptions>(write_options);
  pq_options->writer_properties =
      parquet::WriterProperties::Builder().compression(arrow::Compression::SNAPPY)->build();
  pq_options->arrow_writer_properties = parquet::ArrowWriterProperties::Builder()
                                            .coerce_timestamps(arrow::TimeUnit::MICRO)
                                            ->allow_truncated_timestamps()
                                            ->store_schema()
                                            ->build();
  ds::FileSystemDatasetWriteOptions w;
  w.file_write_options = write_options;
  w.filesystem = fs;
  w.base_dir = root;
  std::vector<std::shared_ptr<arrow::Field>> part_fields;
  for (const auto& c : options.partition_by) part_fields.push_back(schema.GetFieldByName(c));
  w.partitioning = std::make_shared<ds::HivePartitioning>(
      arrow::schema(part_fields), arrow::ArrayVector{},
      ds::HivePartitioningOptions::DefaultsWithNullFallback(NullFallback()));
  std::string prefix = "part-" + Uuid() + "-";
  w.basename_template = prefix + "{i}.snappy.parquet";
  w.max_rows_per_file = static_cast<uint64_t>(options.max_rows_per_file);
  w.max_rows_per_group = std::min<uint64_t>(w.max_rows_per_file, 1 << 20);
  // Batches arrive in 32k-row pieces: without a minimum each becomes its own row group
  // (larger files, slower writes).
  w.min_rows_per_group = w.max_rows_per_group;
  w.existing_data_behavior = ds::ExistingDataBehavior::kOverwriteOrIgnore;
  std::mutex mu;
  std::vector<WrittenFile> files;
  w.writer_post_finish = [&](ds::FileWriter* writer) -> Status {
    WrittenFile f;
    std::string path = writer->destination().path;
    f.relative = path.substr(root.size() + 1);
    CA_ASSIGN_OR_RAISE(f.size, writer->GetBytesWritten());
    auto* pw = static_cast<ds::ParquetFileWriter*>(writer);
    f.rows = pw->parquet_writer()->metadata()->num_rows();
    f.stats = FileStatsOf(*pw->parquet_writer()->metadata(), schema, options.partition_by);
    CA_ASSIGN_OR_RAISE(f.partition_values, PartitionValuesOf(f.relative, options.partition_by));
    std::lock_guard<std::mutex> lock(mu);
    files.push_back(std::move(f));
    return Status::OK();
  };
  auto builder = ds::ScannerBuilder::FromRecordBatchReader(std::move(data));
  CA_RETURN_NOT_OK(builder->UseThreads(false));
  CA_ASSIGN_OR_RAISE(auto scanner, builder->Finish());
  CA_RETURN_NOT_OK(ds::FileSystemDataset::Write(w, scanner));
  std::sort(files.begin(), files.end(),
            [](const WrittenFile& a, const WrittenFile& b) { return a.relative < b.relative; });
  return files;
}

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

}  // namespace

Result<SchemaMode> ParseSchemaMode(const std::string& mode) {
  if (mode.empty() || mode == "none") return SchemaMode::kNone;
  if (mode == "merge") return SchemaMode::kMerge;
  if (mode == "overwrite") return SchemaMode::kOverwrite;
  return ArgumentError("schema_mode must be 'merge' or 'overwrite', not '" + mode + "'");
}

Result<WriteResult> DeleteRows(const std::string& uri, const std::string& predicate) {
  CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(uri, LatestVersion{}));
  // An overwrite by the predicate with no new rows: exactly the rows to keep are written back.
  CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(snapshot->schema()));
  WriteOptions options;
  options.mode = WriteMode::kOverwrite;
  options.predicate = predicate.empty() ? "true" : predicate;
  options.operation = "DELETE";
  return WriteDelta(uri, std::make_shared<arrow::TableBatchReader>(empty), options);
}

Result<WriteResult> UpdateRows(const std::string& uri, const std::string& predicate,
                               const std::map<std::string, std::string>& updates) {
  if (updates.empty()) return ArgumentError("an update needs at least one column to set");
  CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(uri, LatestVersion{}));
  CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(snapshot->schema()));
  WriteOptions options;
  options.mode = WriteMode::kOverwrite;
  options.predicate = predicate.empty() ? "true" : predicate;
  options.updates = updates;
  options.operation = "UPDATE";
  return WriteDelta(uri, std::make_shared<arrow::TableBatchReader>(empty), options);
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

  auto existing = Snapshot::Load(uri, LatestVersion{});
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
  // Writes are plain Parquet (writer version 2): a table asking writers for more is refused.
  if (exists) {
    const Protocol& p = (*existing)->protocol();
    if (p.min_writer_version > 2 && p.min_writer_version != 7) {
      return DeltaError(
          "UNSUPPORTED_WRITER_FEATURE",
          "table '" + uri + "' needs writer version " + std::to_string(p.min_writer_version),
          "\"table_uri\":" + JsonQuote(uri));
    }
    for (const auto& f : p.writer_features) {
      static const std::vector<std::string> kOk = {"appendOnly", "invariants", "timestampNtz"};
      if (std::find(kOk.begin(), kOk.end(), f) == kOk.end()) {
        return DeltaError("UNSUPPORTED_WRITER_FEATURE",
                          "table '" + uri + "' requires writer feature '" + f +
                              "', which this writer does not implement",
                          "\"table_uri\":" + JsonQuote(uri) + ",\"feature\":" + JsonQuote(f));
      }
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
  // Overwrite by predicate: check the data, find the files holding matching rows, and write
  // their other rows again.
  std::optional<PredicateRewrite> rewrite;
  if (!options.predicate.empty()) {
    if (options.mode != WriteMode::kOverwrite) {
      return ArgumentError("a predicate needs mode 'overwrite'");
    }
    CA_ASSIGN_OR_RAISE(auto table, data->ToTable());
    if (options.updates.empty()) {
      CA_RETURN_NOT_OK(CheckRowsSatisfy(table, options.predicate));
    }
    data = std::make_shared<arrow::TableBatchReader>(table);
    if (exists && options.updates.empty()) {
      CA_ASSIGN_OR_RAISE(rewrite, RewriteForPredicate(*existing, options.predicate));
    } else if (exists) {
      CA_ASSIGN_OR_RAISE(rewrite, RewriteForUpdate(*existing, options.predicate, options.updates));
    }
  }
  CA_ASSIGN_OR_RAISE(auto files, WriteDataFiles(fs, root, std::move(data), *schema, effective));
  if (rewrite && rewrite->kept && rewrite->kept->num_rows() > 0) {
    auto kept_reader = std::make_shared<arrow::TableBatchReader>(rewrite->kept);
    CA_ASSIGN_OR_RAISE(auto kept_files,
                       WriteDataFiles(fs, root, kept_reader, *rewrite->kept->schema(), effective));
    for (auto& f : kept_files) files.push_back(std::move(f));
  }

  CA_RETURN_NOT_OK(fs->CreateDir(root + "/_delta_log", /*recursive=*/true));
  WriteResult result;
  for (const auto& f : files) result.rows_written += f.rows;
  result.files_added = static_cast<int64_t>(files.size());
  std::string schema_json;
  if (!exists) {
    CA_ASSIGN_OR_RAISE(schema_json, SchemaToDeltaJson(*schema));
  } else if (new_schema) {
    CA_ASSIGN_OR_RAISE(schema_json, SchemaToDeltaJson(*new_schema));
  }

  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<const Snapshot> base;
    if (exists && (attempt == 0 || options.mode == WriteMode::kOverwrite || new_schema)) {
      base = *existing;  // what was read is what is replaced: commit right after it or conflict
    } else if (attempt > 0 || exists) {
      auto reloaded = Snapshot::Load(uri, LatestVersion{});
      if (reloaded.ok()) base = *reloaded;
    }
    int64_t version = base ? base->version() + 1 : 0;
    int64_t now = NowMs();
    std::string commit;
    JsonValue info = JsonValue::MakeObject();
    info.Set("timestamp", now);
    info.Set("operation", !options.operation.empty() ? options.operation
                          : base                     ? "WRITE"
                                                     : "CREATE TABLE");
    JsonValue params = JsonValue::MakeObject();
    params.Set("mode", options.mode == WriteMode::kAppend      ? "Append"
                       : options.mode == WriteMode::kOverwrite ? "Overwrite"
                                                               : "ErrorIfExists");
    JsonValue pb = JsonValue::MakeArray();
    for (const auto& c : partition_by) pb.Append(c);
    params.Set("partitionBy", pb.ToJson());
    info.Set("operationParameters", std::move(params));
    info.Set("engineInfo", "codeanatomy/0.1.0");
    info.Set("isBlindAppend", options.mode != WriteMode::kOverwrite);
    JsonValue metrics = JsonValue::MakeObject();
    metrics.Set("numFiles", std::to_string(files.size()));
    metrics.Set("numOutputRows", std::to_string(result.rows_written));
    info.Set("operationMetrics", std::move(metrics));
    JsonValue ci = JsonValue::MakeObject();
    ci.Set("commitInfo", std::move(info));
    commit += ci.ToJson() + "\n";
    if (!base) {
      JsonValue protocol = JsonValue::MakeObject();
      JsonValue p = JsonValue::MakeObject();
      p.Set("minReaderVersion", int64_t{1});
      p.Set("minWriterVersion", int64_t{2});
      protocol.Set("protocol", std::move(p));
      commit += protocol.ToJson() + "\n";
      JsonValue md = JsonValue::MakeObject();
      md.Set("id", Uuid());
      JsonValue format = JsonValue::MakeObject();
      format.Set("provider", "parquet");
      format.Set("options", JsonValue::MakeObject());
      md.Set("format", std::move(format));
      md.Set("schemaString", schema_json);
      md.Set("partitionColumns", pb);
      JsonValue conf = JsonValue::MakeObject();
      for (const auto& [k, v] : options.configuration) conf.Set(k, v);
      md.Set("configuration", std::move(conf));
      md.Set("createdTime", now);
      JsonValue m = JsonValue::MakeObject();
      m.Set("metaData", std::move(md));
      commit += m.ToJson() + "\n";
    }
    if (base && new_schema) {  // the same table with a new schema
      Metadata m = base->metadata();
      JsonValue md = JsonValue::MakeObject();
      md.Set("id", m.id);
      if (!m.name.empty()) md.Set("name", m.name);
      if (!m.description.empty()) md.Set("description", m.description);
      JsonValue format = JsonValue::MakeObject();
      format.Set("provider", "parquet");
      format.Set("options", JsonValue::MakeObject());
      md.Set("format", std::move(format));
      md.Set("schemaString", schema_json);
      md.Set("partitionColumns", pb);
      JsonValue conf = JsonValue::MakeObject();
      for (const auto& [k, v] : m.configuration) conf.Set(k, v);
      md.Set("configuration", std::move(conf));
      if (m.created_time) md.Set("createdTime", *m.created_time);
      JsonValue wrapped = JsonValue::MakeObject();
      wrapped.Set("metaData", std::move(md));
      commit += wrapped.ToJson() + "\n";
    }
    if (base && already_done(*base)) {  // committed by a concurrent retry of the same write
      result.version = base->version();
      result.skipped = true;
      return result;
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
    result.files_removed = 0;
    if (base && options.mode == WriteMode::kOverwrite) {
      std::vector<const FileAction*> removed;
      if (rewrite) {
        removed = rewrite->removed;
      } else {
        for (const auto& f : base->files()) removed.push_back(&f);
      }
      for (const FileAction* fp : removed) {
        const FileAction& f = *fp;
        JsonValue r = JsonValue::MakeObject();
        r.Set("path", f.path);
        r.Set("deletionTimestamp", now);
        r.Set("dataChange", true);
        r.Set("extendedFileMetadata", true);
        JsonValue pv = JsonValue::MakeObject();
        for (const auto& [k, v] : f.partition_values) pv.Set(k, v ? JsonValue(*v) : JsonValue());
        r.Set("partitionValues", std::move(pv));
        r.Set("size", f.size);
        if (f.deletion_vector) r.Set("deletionVector", *f.deletion_vector);
        JsonValue rm = JsonValue::MakeObject();
        rm.Set("remove", std::move(r));
        commit += rm.ToJson() + "\n";
        ++result.files_removed;
      }
    }
    for (const auto& f : files) {
      JsonValue a = JsonValue::MakeObject();
      a.Set("path", EncodePath(f.relative));
      JsonValue pv = JsonValue::MakeObject();
      for (const auto& [k, v] : f.partition_values) pv.Set(k, v ? JsonValue(*v) : JsonValue());
      a.Set("partitionValues", std::move(pv));
      a.Set("size", f.size);
      a.Set("modificationTime", now);
      a.Set("dataChange", true);
      a.Set("stats", f.stats.ToJson());
      JsonValue add = JsonValue::MakeObject();
      add.Set("add", std::move(a));
      commit += add.ToJson() + "\n";
    }
    Status st = store->PutIfAbsent(CommitPath(root, version), commit);
    if (st.ok()) {
      result.version = version;
      result.attempts = attempt + 1;
      // Every N commits (delta.checkpointInterval, default 100) a checkpoint. The commit has
      // landed either way: a failed checkpoint leaves nothing behind and readers replay JSON.
      auto committed = Snapshot::Load(uri, VersionNumber{version});
      if (committed.ok() && version > 0 && version % CheckpointInterval(**committed) == 0) {
        result.checkpointed = WriteCheckpoint(**committed).ok();
      }
      return result;
    }
    bool conflict = DescribeError(st).code == "COMMIT_CONFLICT";
    // A blind append commutes with anything committed meanwhile: rebase and retry. An
    // overwrite read the files it removes, so a concurrent commit is a real conflict.
    if (!conflict || options.mode == WriteMode::kOverwrite || new_schema || !base ||
        attempt >= options.max_retries) {
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1 << std::min(attempt, 6)));
  }
}

}  // namespace codeanatomy::delta
