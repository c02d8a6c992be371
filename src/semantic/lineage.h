// Lineage of a query: which tables it scans, with which columns and pushed filters, which
// columns of each table it needs, and which functions it calls. Computed from an optimized
// logical plan (scans carry the projection and filters pushed into them) or from a Substrait
// plan; for a plan exported by PlanToSubstrait both give the same report.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <arrow/buffer.h>

#include "common/json.h"
#include "common/status.h"
#include "engine/dataframe.h"
#include "engine/logical_plan.h"

namespace codeanatomy::semantic {

/// The layout version of LineageReport::ToJson.
inline constexpr int kLineageVersion = 1;

/// One scan of a table.
struct ScanLineage {
  std::string table_name;
  std::vector<std::string> projected_columns;  ///< in the order the scan produces them
  /// SQL-like text of each filter conjunct pushed into the scan, sorted, without duplicates
  std::vector<std::string> pushed_filters;

  bool operator==(const ScanLineage& o) const = default;
};

/// What a query reads and calls. Every list is sorted and free of duplicates (scans are
/// sorted by table, then columns, then filters), so equal queries give equal reports.
struct LineageReport {
  std::vector<ScanLineage> scans;
  /// table -> the columns the query reads from it (projected or filtered on), sorted
  std::map<std::string, std::vector<std::string>> required_columns;
  std::vector<std::string> referenced_tables;
  /// The functions called, by the name the function registry knows them ("add_checked" for
  /// `+`, "mean" for avg, "count_all" for count(*)); the structure of filters and joins (the
  /// conjunctions of filter conditions, join key equalities) is not a call.
  std::vector<std::string> referenced_functions;

  bool operator==(const LineageReport& o) const = default;

  /// {"version", "scans": [{"table_name", "projected_columns", "pushed_filters"}],
  ///  "required_columns": {table: [...]}, "referenced_tables", "referenced_functions"} as
  /// canonical JSON (JsonValue::ToJson gives the bytes).
  JsonValue ToJson() const;
};

/// The lineage of a logical plan (pass the optimized plan to see pushdowns).
Result<LineageReport> LineageFromPlan(const engine::PlanNode& plan);

/// The lineage of the DataFrame's optimized plan.
Result<LineageReport> LineageOfDataFrame(const engine::DataFrame& df);

/// The lineage of a binary Substrait plan (no session needed: names come from the plan).
Result<LineageReport> LineageFromSubstrait(const arrow::Buffer& plan);

}  // namespace codeanatomy::semantic
