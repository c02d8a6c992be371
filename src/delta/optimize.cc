#include "delta/optimize.h"

#include <algorithm>
#include <memory>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "common/json.h"
#include "common/tracing.h"
#include "delta/commit_log.h"
#include "delta/conflict.h"
#include "delta/data_files.h"
#include "delta/delta_error.h"
#include "delta/log_store.h"
#include "delta/provider.h"
#include "delta/snapshot.h"
#include "delta/write_policy.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {

namespace {

using PartitionValues = std::map<std::string, std::optional<std::string>>;
// Files compacted into one new file (or more, when their rows outgrow the target).
using Bin = std::vector<const FileAction*>;

// The rows of a bin's files, one file read at a time (deletion vectors applied), as batches of
// the table's logical schema.
class BinReader : public arrow::RecordBatchReader {
 public:
  BinReader(std::shared_ptr<DeltaTableProvider> provider, Bin files, int64_t* num_batches)
      : provider_(std::move(provider)),
        files_(std::move(files)),
        schema_(arrow::schema(provider_->snapshot()->schema()->fields())),
        num_batches_(num_batches) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    for (;;) {
      if (current_) {
        std::shared_ptr<arrow::RecordBatch> batch;
        CA_RETURN_NOT_OK(current_->ReadNext(&batch));
        if (batch) {
          if (batch->num_rows() == 0) continue;
          ++*num_batches_;
          *out = arrow::RecordBatch::Make(schema_, batch->num_rows(), batch->columns());
          return Status::OK();
        }
        current_ = nullptr;
      }
      if (next_ == files_.size()) {
        *out = nullptr;
        return Status::OK();
      }
      const FileAction& f = *files_[next_++];
      const Snapshot& snap = *provider_->snapshot();
      CA_ASSIGN_OR_RAISE(auto path, snap.DataFilePath(f.path));
      std::vector<int> columns(schema_->num_fields());
      for (int i = 0; i < schema_->num_fields(); ++i) columns[i] = i;
      CA_ASSIGN_OR_RAISE(auto rows, provider_->ReadFile(f, path, columns));
      for (int i = 0; i < schema_->num_fields(); ++i) {
        if (!rows->field(i)->type()->Equals(*schema_->field(i)->type())) {
          return DeltaError("SCHEMA_MISMATCH",
                            "data file '" + f.path + "' reads column '" +
                                schema_->field(i)->name() + "' as " +
                                rows->field(i)->type()->ToString() + ", not " +
                                schema_->field(i)->type()->ToString(),
                            "\"path\":" + JsonQuote(f.path));
        }
      }
      current_ = std::make_shared<arrow::TableBatchReader>(std::move(rows));
    }
  }

 private:
  std::shared_ptr<DeltaTableProvider> provider_;
  Bin files_;
  std::shared_ptr<arrow::Schema> schema_;
  int64_t* num_batches_;
  size_t next_ = 0;
  std::shared_ptr<arrow::TableBatchReader> current_;  // owns the current file's rows
};

FileSizeStats SizeStats(const std::vector<int64_t>& sizes) {
  FileSizeStats s;
  if (sizes.empty()) return s;
  s.total_files = static_cast<int64_t>(sizes.size());
  s.min = *std::min_element(sizes.begin(), sizes.end());
  s.max = *std::max_element(sizes.begin(), sizes.end());
  for (int64_t size : sizes) s.total_size += size;
  s.avg = static_cast<double>(s.total_size) / static_cast<double>(s.total_files);
  return s;
}

std::string SizeStatsJson(const FileSizeStats& s) {
  JsonValue o = JsonValue::MakeObject();
  o.Set("avg", s.avg);
  o.Set("max", s.max);
  o.Set("min", s.min);
  o.Set("totalFiles", s.total_files);
  o.Set("totalSize", s.total_size);
  return o.ToJson();
}

JsonValue MetricsObject(const OptimizeResult& r) {
  JsonValue m = JsonValue::MakeObject();
  m.Set("numFilesAdded", r.files_added);
  m.Set("numFilesRemoved", r.files_removed);
  m.Set("filesAdded", SizeStatsJson(r.added));
  m.Set("filesRemoved", SizeStatsJson(r.removed));
  m.Set("partitionsOptimized", r.partitions_optimized);
  m.Set("numBatches", r.num_batches);
  m.Set("totalConsideredFiles", r.total_considered_files);
  m.Set("totalFilesSkipped", r.total_files_skipped);
  m.Set("preserveInsertionOrder", true);
  return m;
}

// delta-rs' operationParameters.predicate: the partition filters as a JSON array of SQL text.
std::string FiltersText(const std::vector<std::pair<std::string, std::string>>& filters) {
  JsonValue a = JsonValue::MakeArray();
  for (const auto& [column, value] : filters) a.Append(column + " = '" + value + "'");
  return a.ToJson();
}

bool PassesFilters(const FileAction& f,
                   const std::vector<std::pair<std::string, std::string>>& filters) {
  for (const auto& [column, value] : filters) {
    auto it = f.partition_values.find(column);
    if (it == f.partition_values.end() || !it->second || *it->second != value) return false;
  }
  return true;
}

// Per partition: files larger than the target are skipped; the rest are packed largest first
// into the first bin they fit (delta-rs' plan), and bins of one file dropped (nothing to gain).
std::vector<Bin> PlanBins(const Snapshot& snap, const OptimizeOptions& options, int64_t target,
                          OptimizeResult* result) {
  std::map<PartitionValues, std::vector<const FileAction*>> partitions;
  for (const FileAction& f : snap.files()) {
    if (!PassesFilters(f, options.partition_filters)) continue;
    ++result->total_considered_files;
    if (f.size > target) {
      ++result->total_files_skipped;
      continue;
    }
    partitions[f.partition_values].push_back(&f);
  }
  std::vector<Bin> plan;
  for (auto& [values, files] : partitions) {
    std::stable_sort(files.begin(), files.end(),
                     [](const FileAction* a, const FileAction* b) { return a->size > b->size; });
    std::vector<Bin> bins;
    std::vector<int64_t> bin_sizes;
    for (const FileAction* f : files) {
      size_t i = 0;
      while (i < bins.size() && bin_sizes[i] + f->size > target) ++i;
      if (i == bins.size()) {
        bins.emplace_back();
        bin_sizes.push_back(0);
      }
      bins[i].push_back(f);
      bin_sizes[i] += f->size;
    }
    bool optimized = false;
    for (auto& bin : bins) {
      if (bin.size() == 1) {
        ++result->total_files_skipped;
        continue;
      }
      optimized = true;
      plan.push_back(std::move(bin));
    }
    result->partitions_optimized += optimized ? 1 : 0;
  }
  return plan;
}

Status CheckOptions(const std::string& uri, const OptimizeOptions& options) {
  if (!options.z_order_columns.empty()) {
    JsonValue columns = JsonValue::MakeArray();
    for (const auto& c : options.z_order_columns) columns.Append(c);
    return DeltaError("NOT_SUPPORTED",
                      "optimize of '" + uri + "': z-order (columns " + columns.ToJson() +
                          ") is not supported; compact bin-packs files without reordering rows",
                      "\"table_uri\":" + JsonQuote(uri) + ",\"operation\":\"z_order\"");
  }
  if (options.target_size && *options.target_size <= 0) {
    return ArgumentError("target_size must be positive, not " +
                         std::to_string(*options.target_size));
  }
  if (options.max_retries < 0) return ArgumentError("max_retries must not be negative");
  return Status::OK();
}

Status CheckPartitionFilters(const Snapshot& snap, const OptimizeOptions& options) {
  const auto& pcs = snap.metadata().partition_columns;
  for (const auto& [column, value] : options.partition_filters) {
    if (std::find(pcs.begin(), pcs.end(), column) == pcs.end()) {
      JsonValue names = JsonValue::MakeArray();
      for (const auto& c : pcs) names.Append(c);
      return DeltaError(
          "INVALID_PARTITION_FILTER",
          "partition filter on '" + column + "': not a partition column of '" + snap.table_uri() +
              "' (partition columns: " + names.ToJson() + ")",
          "\"table_uri\":" + JsonQuote(snap.table_uri()) + ",\"column\":" + JsonQuote(column));
    }
  }
  return Status::OK();
}

// The commitInfo line of the compaction (delta-rs' OPTIMIZE operation).
std::string CommitInfoLine(const Snapshot& read, const OptimizeOptions& options,
                           const OptimizeResult& result, int64_t now) {
  JsonValue info = JsonValue::MakeObject();
  info.Set("timestamp", now);
  info.Set("operation", "OPTIMIZE");
  JsonValue params = JsonValue::MakeObject();
  params.Set("targetSize", std::to_string(result.target_size));
  params.Set("predicate", FiltersText(options.partition_filters));
  info.Set("operationParameters", std::move(params));
  info.Set("readVersion", read.version());
  // As Delta's own OPTIMIZE: no data changes, so no reader can see a non-serial order.
  info.Set("isolationLevel", "SnapshotIsolation");
  info.Set("engineInfo", "codeanatomy/0.1.0");
  info.Set("isBlindAppend", false);
  info.Set("operationMetrics", MetricsObject(result));
  for (const auto& [key, value] : options.commit_properties) {
    if (info.Get(key) == nullptr) info.Set(key, value);
  }
  JsonValue line = JsonValue::MakeObject();
  line.Set("commitInfo", std::move(info));
  return line.ToJson() + "\n";
}

// Best effort: files written for a compaction that did not commit are nobody's.
void DeleteUncommitted(arrow::fs::FileSystem& fs, const std::string& root,
                       const std::vector<WrittenFile>& files) {
  for (const auto& f : files) (void)fs.DeleteFile(root + "/" + f.relative);
}

}  // namespace

std::string OptimizeMetricsJson(const OptimizeResult& result) {
  return MetricsObject(result).ToJson();
}

std::string OptimizeResultJson(const OptimizeResult& result) {
  JsonValue o = MetricsObject(result);
  o.Set("version", result.version);
  o.Set("read_version", result.read_version);
  o.Set("committed", result.committed);
  o.Set("target_size", result.target_size);
  o.Set("bytes_added", result.bytes_added);
  o.Set("bytes_removed", result.bytes_removed);
  o.Set("num_rows", result.rows);
  return o.ToJson();
}

Result<OptimizeResult> Compact(const std::string& uri, const OptimizeOptions& options) {
  tracing::Span span("delta.optimize_compact");
  span.SetAttribute("table_uri", uri);
  CA_RETURN_NOT_OK(engine::InitializeArrow());
  CA_RETURN_NOT_OK(CheckOptions(uri, options));
  CA_ASSIGN_OR_RAISE(
      auto snapshot,
      Snapshot::Load(uri, options.read_version ? TableVersion{VersionNumber{*options.read_version}}
                                               : TableVersion{LatestVersion{}}));
  CA_RETURN_NOT_OK(CheckWriterFeatures(*snapshot));
  CA_RETURN_NOT_OK(CheckPartitionFilters(*snapshot, options));
  const Metadata& metadata = snapshot->metadata();

  // New files are written as the table's writes write them (statistics columns, target size).
  WriteOptions write;
  write.partition_by = metadata.partition_columns;
  CA_RETURN_NOT_OK(ApplyDataFileProperties(metadata.configuration, &write));
  OptimizeResult result;
  result.target_size = options.target_size          ? *options.target_size
                       : write.target_file_size > 0 ? write.target_file_size
                                                    : kDefaultOptimizeTargetSize;
  write.target_file_size = result.target_size;
  result.read_version = snapshot->version();
  result.version = snapshot->version();

  std::vector<Bin> bins = PlanBins(*snapshot, options, result.target_size, &result);
  span.SetAttribute("bins", static_cast<int64_t>(bins.size()));
  if (bins.empty()) return result;  // nothing to gain: no commit

  CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(snapshot));
  const auto& fs = snapshot->filesystem();
  std::vector<WrittenFile> added;
  std::vector<const FileAction*> removed;
  for (const Bin& bin : bins) {
    auto reader = std::make_shared<BinReader>(provider, bin, &result.num_batches);
    auto files = WriteDataFiles(fs, snapshot->root(), reader, *reader->schema(), write);
    if (!files.ok()) {
      DeleteUncommitted(*fs, snapshot->root(), added);
      return files.status();
    }
    for (auto& f : *files) added.push_back(std::move(f));
    removed.insert(removed.end(), bin.begin(), bin.end());
  }

  std::vector<int64_t> added_sizes, removed_sizes;
  for (const auto& f : added) {
    added_sizes.push_back(f.size);
    result.rows += f.rows;
  }
  for (const FileAction* f : removed) removed_sizes.push_back(f->size);
  result.added = SizeStats(added_sizes);
  result.removed = SizeStats(removed_sizes);
  result.files_added = result.added.total_files;
  result.files_removed = result.removed.total_files;
  result.bytes_added = result.added.total_size;
  result.bytes_removed = result.removed.total_size;

  // The compaction read exactly the files it removes: a concurrent append commutes with it,
  // a concurrent commit removing one of them (a delete, an overwrite, another compaction) not.
  TransactionFootprint footprint;
  for (const FileAction* f : removed) {
    footprint.read_files.insert(f->path);
    footprint.removed_files.insert(f->path);
  }
  const int64_t now = NowMs();
  std::string commit = CommitInfoLine(*snapshot, options, result, now);
  for (const FileAction* f : removed) commit += RemoveActionLine(*f, now, /*data_change=*/false);
  for (const auto& f : added) commit += AddActionLine(f, now, /*data_change=*/false);

  std::string root;
  CA_ASSIGN_OR_RAISE(auto table_fs, OpenTableRoot(uri, &root));
  CA_ASSIGN_OR_RAISE(auto store, LogStoreFor(table_fs));
  auto outcome =
      CommitWithRetries(*store, uri, root, snapshot.get(), footprint, commit, options.max_retries);
  if (!outcome.ok()) {
    DeleteUncommitted(*fs, snapshot->root(), added);
    return outcome.status();
  }
  result.version = outcome->version;
  result.attempts = outcome->attempts;
  result.committed = true;
  CheckpointIfDue(uri, result.version, metadata.configuration);
  span.SetAttribute("version", result.version);
  return result;
}

}  // namespace codeanatomy::delta
