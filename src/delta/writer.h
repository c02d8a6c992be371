// Writing Delta tables: create, append and overwrite, partitioned (Hive-style directories) or
// not, committed with put-if-absent and retried when a blind append loses a race.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/util/type_fwd.h>

#include "common/status.h"

namespace codeanatomy::delta {

enum class WriteMode { kErrorIfExists, kAppend, kOverwrite };
/// How a write may change the table's schema: not at all, by adding the data's new columns
/// (merge), or by replacing it (overwrite; with mode overwrite only).
enum class SchemaMode { kNone, kMerge, kOverwrite };
/// Parses "merge" / "overwrite" (an empty string is kNone).
Result<SchemaMode> ParseSchemaMode(const std::string& mode);

/// Parses "snappy", "zstd", "uncompressed" (ArgumentError otherwise).
Result<arrow::Compression::type> ParseCompression(const std::string& name);

/// Parses "error", "append", "overwrite" (ValueError-style ArgumentError otherwise).
Result<WriteMode> ParseWriteMode(const std::string& mode);

struct WriteOptions {
  WriteMode mode = WriteMode::kErrorIfExists;
  SchemaMode schema_mode = SchemaMode::kNone;
  /// With mode overwrite: replace only the rows matching this SQL predicate (replaceWhere);
  /// the data written must satisfy it.
  std::string predicate;
  /// With `predicate`: instead of replacing matching rows, set these columns (SQL over the
  /// row) in them (an update; `data` is then empty).
  std::map<std::string, std::string> updates;
  /// commitInfo's operation (default: WRITE, or CREATE TABLE for a new table).
  std::string operation;
  std::vector<std::string> partition_by;  ///< new tables only; must match an existing table's
  int64_t max_rows_per_file = 1 << 22;
  /// Data files of about this many bytes (0: the table property delta.targetFileSize, when
  /// set; else only max_rows_per_file bounds them). Rows per file come from the Parquet size of
  /// the first batch.
  int64_t target_file_size = 0;
  /// Parquet compression of data files: SNAPPY (default), ZSTD or UNCOMPRESSED.
  arrow::Compression::type compression = arrow::Compression::SNAPPY;
  /// Statistics for the first this many leaf columns (-1: all); the table properties
  /// delta.dataSkippingNumIndexedCols / delta.dataSkippingStatsColumns set them for a table.
  int64_t num_indexed_cols = 32;
  std::optional<std::vector<std::string>> stats_columns;
  std::map<std::string, std::string> configuration;  ///< table properties of a new table
  /// Retries after losing a commit race (each time the commits that landed are checked for
  /// conflicts with what this write read and removes).
  int max_retries = 10;
  /// The version this write reads (what an overwrite replaces, what a predicate is evaluated
  /// on); default the latest. Commits after it are checked for conflicts.
  std::optional<int64_t> read_version;
  /// An application transaction (idempotent writes): the commit records txn {app_id, version};
  /// a write whose app_id already has a version >= this one is skipped (nothing is written).
  std::optional<std::pair<std::string, int64_t>> app_transaction;
  /// Extra members of the commit's commitInfo (delta-rs' commit properties), e.g. the semantic
  /// engine's `codeanatomy.spec_hash`; they never replace the writer's own members.
  std::map<std::string, std::string> commit_properties;
};

struct WriteResult {
  int64_t version = 0;
  int64_t files_added = 0;
  int64_t files_removed = 0;
  int64_t rows_written = 0;
  int64_t bytes_written = 0;       ///< the sizes of the data files added
  int64_t partitions_written = 0;  ///< distinct partition values among them (1: unpartitioned)
  int64_t read_version = -1;       ///< the version the write read (-1: it created the table)
  int attempts = 1;
  bool checkpointed = false;  ///< a checkpoint was written at `version`
  bool skipped = false;       ///< the app transaction was already committed: nothing written
};

/// Deletes the rows matching `predicate` (SQL; empty: every row) from the table at `uri`:
/// files holding matching rows are removed and their other rows written again.
Result<WriteResult> DeleteRows(const std::string& uri, const std::string& predicate,
                               std::optional<int64_t> read_version = std::nullopt);

/// Sets `updates` (column -> SQL expression over the row) in the rows matching `predicate`
/// (SQL; empty: every row); the files holding them are rewritten. Both read `read_version`
/// (default the latest) and commit after the commits since it when none conflicts.
Result<WriteResult> UpdateRows(const std::string& uri, const std::string& predicate,
                               const std::map<std::string, std::string>& updates,
                               std::optional<int64_t> read_version = std::nullopt);

/// Writes `data` to the table at `uri` (created when absent). Errors: TABLE_EXISTS (mode error),
/// SCHEMA_MISMATCH, PARTITION_MISMATCH, UNSUPPORTED_WRITER_FEATURE, the conflicts of
/// delta/conflict.h, COMMIT_CONFLICT (commit races lost more than max_retries times).
Result<WriteResult> WriteDelta(const std::string& uri,
                               std::shared_ptr<arrow::RecordBatchReader> data,
                               const WriteOptions& options);

}  // namespace codeanatomy::delta
