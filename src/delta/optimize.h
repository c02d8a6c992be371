// OPTIMIZE compact: bin-packing a table's small data files into files of about a target size,
// as delta-rs' `DeltaTable.optimize.compact()` does. Rows are only moved (dataChange false);
// the commit removes the packed files and adds the new ones under optimistic concurrency.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace codeanatomy::delta {

/// delta-rs' default target size of compacted files (100 MiB).
inline constexpr int64_t kDefaultOptimizeTargetSize = 104857600;

struct OptimizeOptions {
  /// Files are packed into bins of at most this many bytes (files larger than it are left as
  /// they are). Default: the table property delta.targetFileSize, else 100 MiB.
  std::optional<int64_t> target_size;
  /// Only partitions whose column equals the value (all pairs hold) are compacted. Columns
  /// must be partition columns (INVALID_PARTITION_FILTER otherwise).
  std::vector<std::pair<std::string, std::string>> partition_filters;
  /// Z-order columns: not implemented (NOT_SUPPORTED when non-empty).
  std::vector<std::string> z_order_columns;
  /// The version compacted (default the latest). Commits after it are checked for conflicts.
  std::optional<int64_t> read_version;
  /// Extra members of the commit's commitInfo; they never replace the operation's own.
  std::map<std::string, std::string> commit_properties;
  /// Retries after losing a commit race.
  int max_retries = 10;
};

/// Sizes of a set of files (delta-rs' MetricDetails; all zero for no files).
struct FileSizeStats {
  int64_t total_files = 0;
  int64_t total_size = 0;
  int64_t min = 0;
  int64_t max = 0;
  double avg = 0.0;
};

struct OptimizeResult {
  /// The version committed; the version read when there was nothing to compact.
  int64_t version = 0;
  int64_t read_version = 0;
  bool committed = false;
  int64_t target_size = 0;
  int64_t files_added = 0;
  int64_t files_removed = 0;
  int64_t partitions_optimized = 0;
  int64_t num_batches = 0;  ///< record batches read from the packed files
  int64_t total_considered_files = 0;
  int64_t total_files_skipped = 0;  ///< larger than the target, or alone in their bin
  int64_t bytes_added = 0;
  int64_t bytes_removed = 0;
  int64_t rows = 0;  ///< rows written (deletion-vector rows excluded)
  FileSizeStats added;
  FileSizeStats removed;
  int attempts = 0;
};

/// delta-rs' metrics object of a compaction (numFilesAdded, numFilesRemoved, filesAdded and
/// filesRemoved as JSON text, partitionsOptimized, numBatches, totalConsideredFiles,
/// totalFilesSkipped, preserveInsertionOrder) as canonical JSON: the commit's
/// operationMetrics.
std::string OptimizeMetricsJson(const OptimizeResult& result);

/// The result as canonical JSON: OptimizeMetricsJson's members plus version, read_version,
/// committed, target_size, bytes_added, bytes_removed and num_rows.
std::string OptimizeResultJson(const OptimizeResult& result);

/// Compacts the table at `uri`: per partition, files smaller than the target size are packed
/// (largest first, first fit) into bins of at most the target size; each bin of two or more
/// files is read (rows deleted by a deletion vector stay deleted) and written again as one
/// file (more when larger than the target). One commit (operation OPTIMIZE) removes the packed
/// files and adds the new ones, all with dataChange false; nothing to pack commits nothing.
/// A concurrent append does not conflict; a concurrent commit that removed a packed file does
/// (CONCURRENT_DELETE_READ / CONCURRENT_DELETE_DELETE, delta/conflict.h).
Result<OptimizeResult> Compact(const std::string& uri, const OptimizeOptions& options);

}  // namespace codeanatomy::delta
