// Delta table schemas (the metaData schemaString) as Arrow schemas, partition values and stats.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/status.h"

namespace codeanatomy::delta {

enum class ColumnMappingMode { kNone, kName, kId };
/// Parses the "delta.columnMapping.mode" property (absent = none).
Result<ColumnMappingMode> ParseColumnMappingMode(const std::string* value);

/// The Arrow schema of a Delta `schemaString`.
Result<std::shared_ptr<arrow::Schema>> SchemaFromDeltaJson(std::string_view schema_string);
/// The Delta schemaString of an Arrow schema.
Result<std::string> SchemaToDeltaJson(const arrow::Schema& schema);
/// The schema as stored in Parquet files (physical names under name/id column mapping).
Result<std::shared_ptr<arrow::Schema>> PhysicalSchema(const arrow::Schema& logical,
                                                      ColumnMappingMode mode);
/// A partition value as stored in `partitionValues` parsed to `type` (nullopt = NULL).
Result<std::shared_ptr<arrow::Scalar>> ParsePartitionValue(
    const std::optional<std::string>& value, const std::shared_ptr<arrow::DataType>& type);
/// The inverse (writes).
Result<std::optional<std::string>> FormatPartitionValue(const arrow::Scalar& value);

struct ColumnStats {
  std::shared_ptr<arrow::Scalar> min, max;
  std::optional<int64_t> null_count;
};
struct FileStats {
  std::optional<int64_t> num_records;
  std::map<std::string, ColumnStats> columns;
};
/// Per-file statistics of an add action's `stats` JSON (missing stats are unknown, not errors).
Result<FileStats> ParseFileStats(std::string_view stats_json, const arrow::Schema& logical);

}  // namespace codeanatomy::delta
