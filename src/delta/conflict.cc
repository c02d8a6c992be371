#include "delta/conflict.h"

#include <arrow/util/string.h>

#include "delta/delta_error.h"
#include "delta/provider.h"

namespace codeanatomy::delta {

namespace {

std::string Operation(const CommitActions& winner) {
  if (winner.actions.commit_info) {
    if (const JsonValue* op = winner.actions.commit_info->Get("operation");
        op != nullptr && op->is_string()) {
      return op->string_value();
    }
  }
  return "an unknown operation";
}

bool IsBlindAppend(const CommitActions& winner) {
  if (!winner.actions.commit_info) return false;
  const JsonValue* blind = winner.actions.commit_info->Get("isBlindAppend");
  return blind != nullptr && blind->is_bool() && blind->bool_value();
}

Status Conflict(std::string_view code, const Snapshot& read, const CommitActions& winner,
                const std::string& what, const std::string& path = "") {
  std::string details = "\"table_uri\":" + JsonQuote(read.table_uri()) +
                        ",\"read_version\":" + std::to_string(read.version()) +
                        ",\"winning_version\":" + std::to_string(winner.version) +
                        ",\"winning_operation\":" + JsonQuote(Operation(winner));
  if (!path.empty()) details += ",\"path\":" + JsonQuote(path);
  return DeltaError(code,
                    "commit conflict: version " + std::to_string(winner.version) + " (" +
                        Operation(winner) + ") " + what + " since this write read version " +
                        std::to_string(read.version()) + "; run it again on the latest version",
                    std::move(details));
}

}  // namespace

IsolationLevel TableIsolationLevel(const Metadata& metadata) {
  auto it = metadata.configuration.find("delta.isolationLevel");
  if (it != metadata.configuration.end() &&
      arrow::internal::AsciiEqualsCaseInsensitive(it->second, "Serializable")) {
    return IsolationLevel::kSerializable;
  }
  return IsolationLevel::kWriteSerializable;
}

Status CheckConflict(const Snapshot& read, const TransactionFootprint& txn,
                     const CommitActions& winner) {
  const ActionSet& won = winner.actions;
  if (won.protocol) return Conflict("PROTOCOL_CHANGED", read, winner, "changed the protocol");
  if (won.metadata) return Conflict("METADATA_CHANGED", read, winner, "changed the metadata");
  // Added files the transaction should have read. Under WriteSerializable a blind append
  // commutes with the transaction (it is ordered after it).
  bool check_adds = TableIsolationLevel(read.metadata()) == IsolationLevel::kSerializable ||
                    !IsBlindAppend(winner);
  if (check_adds && (txn.read_whole_table || txn.read_filter)) {
    for (const FileAction& add : won.adds) {
      if (!add.data_change) continue;
      bool matches = txn.read_whole_table;
      if (!matches) {
        // A file whose statistics cannot be judged may match.
        auto may = FileMayMatch(add, read, *txn.read_filter);
        matches = !may.ok() || *may;
      }
      if (matches) {
        return Conflict("CONCURRENT_APPEND", read, winner,
                        "added data this write should have read (file '" + add.path + "')",
                        add.path);
      }
    }
  }
  for (const FileAction& removed : won.removes) {
    if (txn.removed_files.count(removed.path) > 0) {
      return Conflict("CONCURRENT_DELETE_DELETE", read, winner,
                      "removed file '" + removed.path + "', which this write removes too",
                      removed.path);
    }
  }
  // Any remove counts, compactions (dataChange false) included: the file is gone either way.
  for (const FileAction& removed : won.removes) {
    if (txn.read_whole_table || txn.read_files.count(removed.path) > 0) {
      return Conflict("CONCURRENT_DELETE_READ", read, winner,
                      "removed file '" + removed.path + "', which this write read", removed.path);
    }
  }
  if (txn.app_id) {
    for (const Txn& t : won.txns) {
      if (t.app_id == *txn.app_id) {
        return Conflict("CONCURRENT_TRANSACTION", read, winner,
                        "committed application transaction '" + t.app_id + "'");
      }
    }
  }
  return Status::OK();
}

}  // namespace codeanatomy::delta
