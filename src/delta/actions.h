// Delta log actions (PROTOCOL.md "Actions") parsed from commit JSON lines and checkpoint rows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace codeanatomy::delta {

struct Protocol {
  int32_t min_reader_version = 1;
  int32_t min_writer_version = 2;
  std::vector<std::string> reader_features;  ///< table features (reader version 3)
  std::vector<std::string> writer_features;  ///< table features (writer version 7)
};

struct Metadata {
  std::string id;
  std::string name;
  std::string description;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<int64_t> created_time;
};

/// An add (or the file half of a remove): a data file, keyed by (path, deletion-vector id).
struct FileAction {
  std::string path;  ///< as in the log: relative (URI-encoded) or absolute URI
  std::map<std::string, std::optional<std::string>> partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::string stats;  ///< JSON text; empty when absent
  std::optional<JsonValue> deletion_vector;
  std::optional<int64_t> deletion_timestamp;  ///< removes
  /// The replay key: path + the deletion vector's id (storageType, pathOrInlineDv, offset).
  std::string Key() const;
};

struct Txn {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
};

struct DomainMetadata {
  std::string domain;
  std::string configuration;
  bool removed = false;
};

/// The actions of one commit (or of a checkpoint), in log order per kind.
struct ActionSet {
  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  std::vector<FileAction> adds;
  std::vector<FileAction> removes;
  std::vector<Txn> txns;
  std::vector<DomainMetadata> domains;
  std::optional<JsonValue> commit_info;
  /// v2 checkpoints: sidecar files holding more add/remove actions.
  std::vector<std::string> sidecars;
  /// cdc actions (change data files), kept raw for the change data feed.
  std::vector<JsonValue> cdc;
};

/// Adds one action object ({"add": {...}} etc.) to `out`. Unknown action kinds are ignored, as
/// the protocol requires. `where` names the log file for errors.
Status AddAction(const JsonValue& action, const std::string& where, ActionSet* out);

/// Parses a commit file: one JSON action per line (blank lines allowed). A line that is not
/// valid JSON is an error (code CORRUPT_COMMIT) naming the file and line.
Result<ActionSet> ParseCommit(std::string_view text, const std::string& where);

}  // namespace codeanatomy::delta
