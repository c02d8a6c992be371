#include "semantic/maintenance.h"

#include <set>

#include "delta/checkpoint.h"
#include "delta/log_cleanup.h"
#include "delta/snapshot.h"
#include "semantic/spec_internal.h"

namespace codeanatomy::semantic {

namespace {

constexpr std::string_view kPath = "$.maintenance";
const std::set<std::string> kOperations = {"checkpoint", "compact", "vacuum", "metadata_cleanup",
                                           "constraints"};

Status Checkpoint(const std::string& location, int64_t version) {
  CA_ASSIGN_OR_RAISE(
      auto snapshot,
      delta::Snapshot::Load(location, delta::TableVersion{delta::VersionNumber{version}}));
  return delta::WriteCheckpoint(*snapshot);
}

Status ReadVacuumOption(const std::string& field, const JsonValue& v, const std::string& path,
                        delta::VacuumOptions& out) {
  if (field == "retention_hours") {
    if (!v.is_number() || v.number_value() < 0) {
      return internal::SpecError(path, "must be a non-negative number of hours");
    }
    out.retention_hours = v.number_value();
    return Status::OK();
  }
  bool* flag = field == "enforce_retention_duration" ? &out.enforce_retention_duration
               : field == "full"                     ? &out.full
               : field == "dry_run"                  ? &out.dry_run
                                                     : nullptr;
  if (flag == nullptr) {
    return internal::SpecError(path,
                               "unknown field (retention_hours, enforce_retention_duration, "
                               "full, dry_run, tables)");
  }
  if (!v.is_bool()) return internal::SpecError(path, "must be true or false");
  *flag = v.bool_value();
  return Status::OK();
}

// Runs an available operation on one output; fills the report's status and numbers.
Status RunOn(const MaintenanceOperation& op, const OutputResult& o, MaintenanceReport& r) {
  if (op.operation == "checkpoint") {
    CA_RETURN_NOT_OK(Checkpoint(o.delta_location, o.delta_version));
    r.version = o.delta_version;
  } else if (op.operation == "metadata_cleanup") {
    CA_ASSIGN_OR_RAISE(auto cleaned, delta::CleanupMetadata(o.delta_location));
    r.version = o.delta_version;
    r.files = static_cast<int64_t>(cleaned.files.size());
  } else if (op.operation == "compact") {
    delta::OptimizeOptions options;
    options.target_size = op.target_size;
    CA_ASSIGN_OR_RAISE(auto compacted, delta::Compact(o.delta_location, options));
    r.version = compacted.version;
    r.files = compacted.files_removed;
  } else {
    CA_ASSIGN_OR_RAISE(auto vacuumed, delta::Vacuum(o.delta_location, op.vacuum));
    r.version = vacuumed.version;
    r.files = static_cast<int64_t>(vacuumed.files.size());
  }
  r.status = "done";
  return Status::OK();
}

}  // namespace

Result<std::vector<MaintenanceOperation>> ParseMaintenance(const SemanticSpec& spec) {
  std::vector<MaintenanceOperation> out;
  if (!spec.maintenance) return out;
  std::set<std::string> outputs;
  for (const auto& o : spec.output_targets) outputs.insert(o.table_name);
  for (const auto& [key, value] : spec.maintenance->object_value()) {
    std::string path = JsonPathAppendKey(kPath, key);
    if (kOperations.count(key) == 0) {
      return internal::SpecError(path,
                                 "unknown maintenance operation (checkpoint, compact, "
                                 "vacuum, metadata_cleanup, constraints)");
    }
    if (value.is_null() || (value.is_bool() && !value.bool_value())) continue;
    MaintenanceOperation op{key, {}, key != "constraints", {}, std::nullopt};
    op.vacuum.dry_run = false;
    if (value.is_object()) {
      for (const auto& [field, v] : value.object_value()) {
        std::string field_path = JsonPathAppendKey(path, field);
        if (key == "vacuum" && field != "tables") {
          CA_RETURN_NOT_OK(ReadVacuumOption(field, v, field_path, op.vacuum));
          continue;
        }
        if (key == "compact" && field == "target_size") {
          if (!v.is_int() || v.int_value() <= 0) {
            return internal::SpecError(field_path, "must be a positive number of bytes");
          }
          op.target_size = v.int_value();
          continue;
        }
        if (field != "tables") {
          if (op.available) {
            return internal::SpecError(field_path, key == "compact"
                                                       ? "unknown field (target_size, tables)"
                                                       : "unknown field (tables)");
          }
          continue;  // options of operations this engine does not run: kept for the warning
        }
        if (!v.is_array()) return internal::SpecError(field_path, "must be an array of tables");
        for (size_t i = 0; i < v.array_value().size(); ++i) {
          const JsonValue& t = v.array_value()[i];
          std::string item = JsonPathAppendIndex(field_path, i);
          if (!t.is_string() || outputs.count(t.string_value()) == 0) {
            return internal::SpecError(item, "must name an output target's table_name");
          }
          op.tables.push_back(t.string_value());
        }
      }
    } else if (op.available && !value.is_bool()) {
      return internal::SpecError(path, "must be true, false or an object {tables}");
    }
    out.push_back(std::move(op));
  }
  return out;
}

std::vector<MaintenanceReport> RunMaintenance(const std::vector<MaintenanceOperation>& operations,
                                              const std::vector<OutputResult>& outputs,
                                              std::vector<RunWarning>& warnings) {
  std::vector<MaintenanceReport> reports;
  for (const auto& op : operations) {
    std::set<std::string> only(op.tables.begin(), op.tables.end());
    JsonValue tables = JsonValue::MakeArray();
    for (const auto& o : outputs) {
      if (!only.empty() && only.count(o.table_name) == 0) continue;
      tables.Append(o.table_name);
      MaintenanceReport r{o.table_name, op.operation, "unavailable", -1, "", -1};
      if (!op.available) {
        r.reason = op.operation + " is not available in this engine yet";
      } else if (Status st = RunOn(op, o, r); !st.ok()) {
        r.status = "failed";
        r.version = -1;
        r.reason = st.ToString();
        JsonValue context = JsonValue::MakeObject();
        context.Set("operation", op.operation).Set("table_name", o.table_name);
        warnings.push_back({"MAINTENANCE_OPERATION_FAILED", std::string(stage::kRuntime),
                            op.operation + " of '" + o.table_name + "' failed: " + r.reason,
                            std::move(context)});
      }
      reports.push_back(std::move(r));
    }
    if (!op.available) {
      JsonValue context = JsonValue::MakeObject();
      context.Set("operation", op.operation).Set("tables", std::move(tables));
      warnings.push_back({"MAINTENANCE_OPERATION_UNAVAILABLE", std::string(stage::kRuntime),
                          "maintenance." + op.operation +
                              " is not available in this engine yet; the outputs were written "
                              "without it",
                          std::move(context)});
    }
  }
  return reports;
}

JsonValue MaintenanceJson(const std::vector<MaintenanceReport>& reports) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& r : reports) {
    JsonValue entry = JsonValue::MakeObject();
    entry.Set("table_name", r.table_name).Set("operation", r.operation).Set("status", r.status);
    if (r.version >= 0) entry.Set("version", r.version);
    if (r.files >= 0) entry.Set("files", r.files);
    if (!r.reason.empty()) entry.Set("reason", r.reason);
    out.Append(std::move(entry));
  }
  return out;
}

}  // namespace codeanatomy::semantic
