// The Delta table schema and its values: schemaString <-> Arrow schema, column mapping to the
// physical (Parquet) schema, partition values and per-file statistics parsed to Arrow scalars.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <arrow/type_fwd.h>

#include "common/status.h"

namespace codeanatomy::delta {

/// Field metadata key of a column's physical name (column mapping).
inline constexpr std::string_view kPhysicalNameKey = "delta.columnMapping.physicalName";
/// Field metadata key of a column's id (column mapping); its value is the JSON integer text.
inline constexpr std::string_view kColumnIdKey = "delta.columnMapping.id";
/// Field metadata key of the ids of a column's list elements and map keys/values (IcebergCompatV2):
/// a JSON object keyed by physical path, e.g. {"col-x.element": 7}.
inline constexpr std::string_view kNestedIdsKey = "delta.columnMapping.nested.ids";
/// Arrow field metadata key the Parquet reader and writer use for the Parquet field id.
inline constexpr std::string_view kParquetFieldIdKey = "PARQUET:field_id";
/// Table property that selects the column mapping mode.
inline constexpr std::string_view kColumnMappingModeProperty = "delta.columnMapping.mode";

/// How data files name their columns.
enum class ColumnMappingMode { kNone, kName, kId };

/// Parses the table property value of "delta.columnMapping.mode" ("none"/"name"/"id", any case;
/// absent = none). Other values: INVALID_COLUMN_MAPPING_MODE.
Result<ColumnMappingMode> ParseColumnMappingMode(const std::string* value);

/// The Arrow schema of a Delta `schemaString` (metaData action). Types: string, long, integer,
/// short, byte, float, double, boolean, binary, date, timestamp (-> timestamp[us, tz=UTC]),
/// timestamp_ntz (-> timestamp[us]), decimal(p,s) (-> decimal128), struct, array (-> list with
/// field "element", nullable = containsNull), map (-> map with "key"/"value", value nullable =
/// valueContainsNull); field nullability; field metadata as Arrow field metadata (keys as in
/// Delta; string values as is, other values as their JSON text), e.g. kPhysicalNameKey,
/// kColumnIdKey, "delta.invariants", "delta.generationExpression".
/// Unknown types (also void, variant): UNSUPPORTED_TYPE naming the type and field path.
/// Malformed JSON or structure: INVALID_SCHEMA.
Result<std::shared_ptr<arrow::Schema>> SchemaFromDeltaJson(std::string_view schema_string);

/// The Delta schemaString of an Arrow schema (writes): the inverse of SchemaFromDeltaJson
/// (timestamp[us] with a time zone -> "timestamp", without -> "timestamp_ntz"; other units and
/// other Arrow types: UNSUPPORTED_TYPE). Metadata values are written as JSON strings except for
/// the keys Delta types otherwise (column mapping and nested ids, identity columns, type changes),
/// whose JSON text is written as is. Canonical: compact, object keys sorted, so the same input
/// gives byte-identical output.
Result<std::string> SchemaToDeltaJson(const arrow::Schema& schema);

/// The schema as stored in Parquet files. kNone: `logical` unchanged. kName/kId: every struct
/// field at any depth (top level, inside structs, list elements and map keys/values) takes its
/// kPhysicalNameKey name; list elements and map keys/values keep their names. kId also sets
/// kParquetFieldIdKey from kColumnIdKey on every struct field, and on list elements and map
/// keys/values from the nearest struct field's kNestedIdsKey when it names them. Other metadata
/// is kept. Missing physical names: MISSING_PHYSICAL_NAME; missing or invalid ids under kId:
/// MISSING_FIELD_ID; both name the field path.
Result<std::shared_ptr<arrow::Schema>> PhysicalSchema(const arrow::Schema& logical,
                                                      ColumnMappingMode mode);

/// A partition value as stored in `partitionValues`, parsed to `type`. Absent (JSON null) and,
/// per the protocol, the empty string are SQL NULL (a null scalar of `type`). Strings as is;
/// integers, floats (also NaN/Infinity), booleans, decimals (also negative, exponent forms);
/// dates "YYYY-MM-DD"; timestamps "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC for timestamp, wall clock
/// for timestamp_ntz) and ISO-8601 forms with "T" and, for timestamp, "Z" or a "+HH:MM" offset;
/// binary as the raw string bytes. Malformed: INVALID_PARTITION_VALUE naming value and type; a
/// type outside the Delta types: UNSUPPORTED_TYPE.
Result<std::shared_ptr<arrow::Scalar>> ParsePartitionValue(
    const std::optional<std::string>& value, const std::shared_ptr<arrow::DataType>& type);

/// The inverse (writes): null -> std::nullopt; numbers as their shortest round-trip text (floats
/// in Java's spelling: "1.0", "NaN", "Infinity"), decimals in plain notation, dates "YYYY-MM-DD",
/// timestamp_ntz "YYYY-MM-DD HH:MM:SS.ffffff", timestamp as the protocol's recommended UTC
/// ISO-8601 "YYYY-MM-DDTHH:MM:SS.ffffffZ". Other types: UNSUPPORTED_TYPE.
Result<std::optional<std::string>> FormatPartitionValue(const arrow::Scalar& value);

/// The statistics of one leaf column of a data file; null/nullopt = unknown.
struct ColumnStats {
  std::shared_ptr<arrow::Scalar> min, max;
  std::optional<int64_t> null_count;
};

/// The statistics of one data file.
struct FileStats {
  std::optional<int64_t> num_records;
  /// By logical dotted path ("a.b.c"); only columns with at least one known statistic.
  std::map<std::string, ColumnStats> columns;
};

/// Per-file statistics of an add action's `stats` JSON: numRecords, and for the leaf (non-struct)
/// columns of `logical`, found by physical name when the field has one and else by name,
/// minValues/maxValues parsed to the column's type (JSON numbers, kept exact also for wide
/// decimals, booleans, and strings as for partition values) and nullCount. A statistic that is
/// missing or unparsable is absent (unknown), never an
/// error; only text that is not a JSON object fails (INVALID_STATS).
/// Writers truncate timestamp bounds to milliseconds and string bounds to a prefix: a max is then
/// below the true maximum, which skipping must allow for. `tightBounds` is not read.
Result<FileStats> ParseFileStats(std::string_view stats_json, const arrow::Schema& logical);

}  // namespace codeanatomy::delta
