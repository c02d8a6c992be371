// Writing a table's data files: Parquet through Arrow's dataset writer, Hive-style partition
// directories (NULL as __HIVE_DEFAULT_PARTITION__), and each file's statistics for the log.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>

#include "common/json.h"
#include "common/status.h"
#include "delta/writer.h"

namespace codeanatomy::delta {

/// One written data file, as the add action will describe it.
struct WrittenFile {
  std::string relative;  ///< path relative to the table root, as on disk
  int64_t size = 0;
  int64_t rows = 0;
  std::map<std::string, std::optional<std::string>> partition_values;
  JsonValue stats = JsonValue::MakeObject();  ///< numRecords, minValues, maxValues, nullCount
};

/// A random (version 4) UUID.
std::string NewUuid();

/// Data files (`part-*.parquet` under the root) or change data files (`cdc-*.parquet` under
/// `_change_data/`, PROTOCOL.md "Change Data Files").
enum class DataFileKind { kData, kChange };

/// Writes `data` under `root` as Parquet files partitioned by `options.partition_by`, at most
/// `options.max_rows_per_file` rows each, and describes them.
Result<std::vector<WrittenFile>> WriteDataFiles(std::shared_ptr<arrow::fs::FileSystem> fs,
                                                const std::string& root,
                                                std::shared_ptr<arrow::RecordBatchReader> data,
                                                const arrow::Schema& schema,
                                                const WriteOptions& options,
                                                DataFileKind kind = DataFileKind::kData);

}  // namespace codeanatomy::delta
