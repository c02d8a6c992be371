// A Delta table snapshot: the table's state at one version, reconstructed from its log
// (PROTOCOL.md "Action Reconciliation"): the latest checkpoint at or before the version, then
// every JSON commit after it, in order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/type.h>

#include "common/status.h"
#include "delta/actions.h"
#include "delta/schema.h"

namespace codeanatomy::delta {

/// Which version of a table: the latest, a version number, or the latest commit at or before a
/// time (milliseconds since the epoch).
struct LatestVersion {};
struct VersionNumber {
  int64_t version;
};
struct VersionAtTime {
  int64_t timestamp_ms;
};
using TableVersion = std::variant<LatestVersion, VersionNumber, VersionAtTime>;

/// Reader features this implementation supports (protocol reader version 3).
const std::vector<std::string>& SupportedReaderFeatures();

class Snapshot {
 public:
  /// Loads the table at `uri` (a local path or a URI Arrow's filesystems understand).
  static Result<std::shared_ptr<const Snapshot>> Load(const std::string& uri, TableVersion at);

  const std::string& table_uri() const { return uri_; }
  /// The table root as a path of `filesystem()`.
  const std::string& root() const { return root_; }
  const std::shared_ptr<arrow::fs::FileSystem>& filesystem() const { return fs_; }
  int64_t version() const { return version_; }
  /// The commit's time: the in-commit timestamp when the table records them, else the commit
  /// file's modification time (ms since the epoch).
  int64_t timestamp_ms() const { return timestamp_ms_; }
  const Protocol& protocol() const { return protocol_; }
  const Metadata& metadata() const { return metadata_; }
  /// The logical schema (partition columns included, in schema order).
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }
  ColumnMappingMode column_mapping() const { return column_mapping_; }
  /// Active data files, sorted by path.
  const std::vector<FileAction>& files() const { return files_; }
  /// Removed files not added again (tombstones; VACUUM may delete them once expired), by key.
  const std::vector<FileAction>& tombstones() const { return tombstones_; }
  const std::map<std::string, Txn>& app_transactions() const { return txns_; }
  const std::map<std::string, DomainMetadata>& domains() const { return domains_; }
  /// The absolute filesystem path of a data file named by an add action (percent-decoded once;
  /// a path leaving the table root is an error, PATH_OUTSIDE_TABLE).
  Result<std::string> DataFilePath(const std::string& log_path) const;
  /// snapshot_info as in CONTRACTS §7 (canonical JSON).
  std::string InfoJson() const;

 private:
  Snapshot() = default;
  std::string uri_;
  std::string root_;
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  int64_t version_ = -1;
  int64_t timestamp_ms_ = 0;
  Protocol protocol_;
  Metadata metadata_;
  std::shared_ptr<arrow::Schema> schema_;
  ColumnMappingMode column_mapping_ = ColumnMappingMode::kNone;
  std::vector<FileAction> files_;
  std::vector<FileAction> tombstones_;
  std::map<std::string, Txn> txns_;
  std::map<std::string, DomainMetadata> domains_;
};

/// One entry of a table's history: version, timestamp and the commit's commitInfo.
struct CommitEntry {
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  JsonValue commit_info;
};
/// The commits still in the log, newest first (at most `limit` when > 0).
Result<std::vector<CommitEntry>> History(const std::string& uri, int64_t limit = 0);

/// The actions of one commit and its timestamp (in-commit timestamp, else commitInfo's,
/// else the file's modification time); VERSION_NOT_FOUND when the log has no such commit.
struct CommitActions {
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  ActionSet actions;
};
Result<CommitActions> ReadCommitActions(const std::string& uri, int64_t version);

/// The filesystem of a table URI and the table root as a path of it (no trailing '/');
/// INVALID_TABLE_URI when Arrow has no filesystem for it.
Result<std::shared_ptr<arrow::fs::FileSystem>> OpenTableRoot(const std::string& uri,
                                                             std::string* root);

/// Percent-decodes a log path once ("%20" -> " "); malformed escapes are errors.
Result<std::string> PercentDecode(std::string_view path);

}  // namespace codeanatomy::delta
