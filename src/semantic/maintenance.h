// The spec's `maintenance` block, run after every output is written:
//
//   {"checkpoint": true | {"tables": ["cpg_nodes", ...]},
//    "vacuum": true | {"retention_hours": 168, "enforce_retention_duration": true,
//                      "full": false, "dry_run": false, "tables": [...]},
//    "compact": true | {"target_size": 104857600, "tables": [...]},
//    "metadata_cleanup": true | {"tables": [...]}, "constraints": ...}
//
// An operation is on unless its value is false or null; an object may name the output tables it
// applies to (`tables`; default: every output). `checkpoint` writes a Delta checkpoint of each
// output's new version; `vacuum` runs delta/vacuum.h on each output (the table's retention by
// default); `compact` runs delta/optimize.h's Compact (bin-packing small files);
// `metadata_cleanup` runs delta/log_cleanup.h (expired log files). `constraints` is not available
// in this engine yet: it is reported as a run warning (MAINTENANCE_OPERATION_UNAVAILABLE), never
// ignored silently. A maintenance failure (the outputs are committed by then) is the warning
// MAINTENANCE_OPERATION_FAILED with the cause; it does not fail the run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "delta/optimize.h"
#include "delta/vacuum.h"
#include "semantic/compiler.h"
#include "semantic/run_build.h"
#include "semantic/spec.h"

namespace codeanatomy::semantic {

struct MaintenanceOperation {
  std::string operation;  ///< checkpoint | compact | vacuum | metadata_cleanup | constraints
  std::vector<std::string> tables;  ///< output table names; empty: every output
  bool available = false;
  delta::VacuumOptions vacuum;         ///< vacuum only (dry_run false by default here)
  std::optional<int64_t> target_size;  ///< compact only
};

/// The operations of `spec.maintenance` (none when absent). Unknown operations or fields,
/// wrong types and tables that are not output targets are INVALID_SPEC_JSON with the path.
Result<std::vector<MaintenanceOperation>> ParseMaintenance(const SemanticSpec& spec);

/// What one operation did on one table.
struct MaintenanceReport {
  std::string table_name;
  std::string operation;
  std::string status;  ///< done | unavailable | failed
  int64_t version = -1;
  std::string reason;
  int64_t files = -1;  ///< vacuum: files deleted (or listed); compact: files removed
};

/// Runs the operations over the written outputs; adds the warnings to `warnings`.
std::vector<MaintenanceReport> RunMaintenance(const std::vector<MaintenanceOperation>& operations,
                                              const std::vector<OutputResult>& outputs,
                                              std::vector<RunWarning>& warnings);

/// [{table_name, operation, status, version?, reason?}].
JsonValue MaintenanceJson(const std::vector<MaintenanceReport>& reports);

}  // namespace codeanatomy::semantic
