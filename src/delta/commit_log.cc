#include "delta/commit_log.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/json.h"
#include "delta/checkpoint.h"

namespace codeanatomy::delta {

namespace {

JsonValue PartitionValuesJson(const std::map<std::string, std::optional<std::string>>& values) {
  JsonValue pv = JsonValue::MakeObject();
  for (const auto& [k, v] : values) pv.Set(k, v ? JsonValue(*v) : JsonValue());
  return pv;
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string CommitPath(const std::string& root, int64_t version) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
  return root + "/_delta_log/" + name;
}

std::string EncodePath(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::strchr("/-_.~!*'()=:@&+$,;", c) != nullptr) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string AddActionLine(const WrittenFile& f, int64_t now, bool data_change) {
  JsonValue a = JsonValue::MakeObject();
  a.Set("path", EncodePath(f.relative));
  a.Set("partitionValues", PartitionValuesJson(f.partition_values));
  a.Set("size", f.size);
  a.Set("modificationTime", now);
  a.Set("dataChange", data_change);
  a.Set("stats", f.stats.ToJson());
  JsonValue add = JsonValue::MakeObject();
  add.Set("add", std::move(a));
  return add.ToJson() + "\n";
}

std::string RemoveActionLine(const FileAction& f, int64_t now, bool data_change) {
  JsonValue r = JsonValue::MakeObject();
  r.Set("path", f.path);
  r.Set("deletionTimestamp", now);
  r.Set("dataChange", data_change);
  r.Set("extendedFileMetadata", true);
  r.Set("partitionValues", PartitionValuesJson(f.partition_values));
  r.Set("size", f.size);
  if (f.deletion_vector) r.Set("deletionVector", *f.deletion_vector);
  JsonValue rm = JsonValue::MakeObject();
  rm.Set("remove", std::move(r));
  return rm.ToJson() + "\n";
}

Result<CommitOutcome> CommitWithRetries(
    LogStore& store, const std::string& uri, const std::string& root, const Snapshot* read,
    const TransactionFootprint& footprint, const std::string& commit, int max_retries,
    const std::optional<std::pair<std::string, int64_t>>& app_transaction) {
  int64_t version = read ? read->version() + 1 : 0;
  for (int attempt = 0;; ++attempt) {
    Status st = store.PutIfAbsent(CommitPath(root, version), commit);
    if (st.ok()) return CommitOutcome{version, attempt + 1, false};
    // Another writer took the version. A table created meanwhile is a conflict; otherwise each
    // commit that landed since the read is checked against what this transaction read and
    // removes (PROTOCOL.md's rules; blind appends pass), and the commit moves after them.
    if (DescribeError(st).code != "COMMIT_CONFLICT" || !read || attempt >= max_retries) {
      return st;
    }
    for (;; ++version) {
      auto winner = ReadCommitActions(uri, version);
      if (!winner.ok()) {
        if (DescribeError(winner.status()).code == "VERSION_NOT_FOUND") break;
        return winner.status();
      }
      if (app_transaction) {  // committed by a concurrent retry of the same transaction
        for (const Txn& t : winner->actions.txns) {
          if (t.app_id == app_transaction->first && t.version >= app_transaction->second) {
            return CommitOutcome{winner->version, attempt + 1, true};
          }
        }
      }
      CA_RETURN_NOT_OK(CheckConflict(*read, footprint, *winner));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1 << std::min(attempt, 6)));
  }
}

bool CheckpointIfDue(const std::string& uri, int64_t version,
                     const std::map<std::string, std::string>& configuration) {
  // The interval is a table property; only the commit due for one loads its snapshot.
  if (version <= 0 || version % CheckpointInterval(configuration) != 0) return false;
  auto committed = Snapshot::Load(uri, VersionNumber{version});
  return committed.ok() && WriteCheckpoint(**committed).ok();
}

}  // namespace codeanatomy::delta
