#include "delta/snapshot.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include <arrow/array.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>
#include <arrow/table.h>

#include "common/tracing.h"
#include "delta/delta_error.h"
#include "delta/log_files.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {

namespace {

// Applies one commit's actions (or a checkpoint's) to the replay state.
struct ReplayState {
  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  std::map<std::string, FileAction> files;       // by key
  std::map<std::string, FileAction> tombstones;  // removes not added again, by key
  std::map<std::string, Txn> txns;
  std::map<std::string, DomainMetadata> domains;

  void Apply(ActionSet&& a) {
    if (a.protocol) protocol = std::move(a.protocol);
    if (a.metadata) metadata = std::move(a.metadata);
    // Within a commit a file is either added or removed; removes first so that a commit that
    // re-adds a file under a new deletion vector keeps it.
    for (auto& r : a.removes) {
      std::string key = r.Key();
      files.erase(key);
      tombstones[key] = std::move(r);
    }
    for (auto& f : a.adds) {
      std::string key = f.Key();
      tombstones.erase(key);
      files[key] = std::move(f);
    }
    for (auto& t : a.txns) txns[t.app_id] = std::move(t);
    for (auto& d : a.domains) {
      if (d.removed) {
        domains.erase(d.domain);
      } else {
        domains[d.domain] = std::move(d);
      }
    }
  }
};

int64_t MillisOf(const arrow::fs::FileInfo& info) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(info.mtime().time_since_epoch())
      .count();
}

// A commit file's modification time, fetched when the listing did not carry it.
int64_t CommitMillis(arrow::fs::FileSystem& fs, arrow::fs::FileInfo& info) {
  if (info.mtime() == arrow::fs::kNoTime) {
    auto fresh = fs.GetFileInfo(info.path());
    if (fresh.ok()) info = *fresh;
  }
  return MillisOf(info);
}

Status CheckProtocol(const Protocol& p, const std::string& uri) {
  if (p.min_reader_version > 3 || p.min_reader_version < 1) {
    return DeltaError("UNSUPPORTED_PROTOCOL",
                      "table '" + uri + "' needs reader version " +
                          std::to_string(p.min_reader_version) + "; this reader supports 1 to 3",
                      "\"table_uri\":" + JsonQuote(uri) +
                          ",\"min_reader_version\":" + std::to_string(p.min_reader_version));
  }
  if (p.min_reader_version == 3) {
    const auto& known = SupportedReaderFeatures();
    for (const auto& f : p.reader_features) {
      if (std::find(known.begin(), known.end(), f) == known.end()) {
        return DeltaError("UNSUPPORTED_READER_FEATURE",
                          "table '" + uri + "' requires reader feature '" + f +
                              "', which this reader does not support",
                          "\"table_uri\":" + JsonQuote(uri) + ",\"feature\":" + JsonQuote(f));
      }
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<arrow::fs::FileSystem>> OpenTableRoot(const std::string& uri,
                                                             std::string* root) {
  auto fs = arrow::fs::FileSystemFromUriOrPath(uri, root);
  if (!fs.ok()) {
    return DeltaError("INVALID_TABLE_URI", "cannot open '" + uri + "': " + fs.status().message(),
                      "\"table_uri\":" + JsonQuote(uri));
  }
  while (root->size() > 1 && root->back() == '/') root->pop_back();
  return *fs;
}

const std::vector<std::string>& SupportedReaderFeatures() {
  static const std::vector<std::string> kFeatures = {"columnMapping",       "deletionVectors",
                                                     "timestampNtz",        "v2Checkpoint",
                                                     "vacuumProtocolCheck", "variantType"};
  return kFeatures;
}

Result<std::string> PercentDecode(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    if (i + 2 >= path.size() || !std::isxdigit(static_cast<unsigned char>(path[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      return DeltaError("INVALID_PATH",
                        "malformed percent-escape in path '" + std::string(path) + "'",
                        "\"path\":" + JsonQuote(path));
    }
    out += static_cast<char>(std::stoi(std::string(path.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

Result<std::string> Snapshot::DataFilePath(const std::string& log_path) const {
  std::string path = log_path;
  bool absolute = false;
  if (path.rfind("file:", 0) == 0) {
    path = path.substr(5);
    while (path.size() > 1 && path[0] == '/' && path[1] == '/') path = path.substr(1);
    absolute = true;
  } else if (path.find("://") != std::string::npos) {
    return DeltaError("NOT_SUPPORTED", "not supported: data file URI '" + log_path + "'",
                      "\"path\":" + JsonQuote(log_path));
  } else if (!path.empty() && path[0] == '/') {
    absolute = true;
  }
  CA_ASSIGN_OR_RAISE(auto decoded, PercentDecode(path));
  // Normalize and refuse anything that leaves the table root.
  std::vector<std::string> parts;
  std::string base = absolute ? "" : root_;
  std::string full = absolute ? decoded : root_ + "/" + decoded;
  size_t root_depth = 0;
  {
    size_t start = 0;
    while (start <= root_.size()) {
      size_t end = root_.find('/', start);
      if (end == std::string::npos) end = root_.size();
      if (end > start) ++root_depth;
      start = end + 1;
    }
  }
  size_t start = 0;
  bool escaped = false;
  while (start <= full.size()) {
    size_t end = full.find('/', start);
    if (end == std::string::npos) end = full.size();
    std::string part = full.substr(start, end - start);
    if (part == "..") {
      if (parts.empty()) {
        escaped = true;
      } else {
        parts.pop_back();
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string normalized = (full[0] == '/' ? "/" : "");
  for (size_t i = 0; i < parts.size(); ++i) normalized += (i ? "/" : "") + parts[i];
  std::string root_prefix = root_ + "/";
  // Absolute paths too must stay inside the table: nothing outside its root is ever opened.
  if (escaped || normalized.rfind(root_prefix, 0) != 0) {
    return DeltaError("PATH_OUTSIDE_TABLE",
                      "data file path '" + log_path + "' leaves the table root '" + root_ + "'",
                      "\"path\":" + JsonQuote(log_path) + ",\"table_root\":" + JsonQuote(root_));
  }
  (void)root_depth;
  (void)base;
  return normalized;
}

Result<std::shared_ptr<const Snapshot>> Snapshot::Load(const std::string& uri, TableVersion at) {
  tracing::Span span("delta.Snapshot.load");
  CA_RETURN_NOT_OK(engine::InitializeArrow());  // compute kernels for values and stats
  span.SetAttribute("table_uri", uri);
  std::shared_ptr<Snapshot> snap(new Snapshot());
  snap->uri_ = uri;
  std::string root;
  CA_ASSIGN_OR_RAISE(auto fs, OpenTableRoot(uri, &root));
  snap->fs_ = fs;
  snap->root_ = root;
  CA_ASSIGN_OR_RAISE(auto listing, ListLog(*fs, root, uri));
  if (listing.commits.empty() && listing.checkpoints.empty()) {
    return DeltaError("NOT_A_DELTA_TABLE", "'" + uri + "' has an empty _delta_log",
                      "\"table_uri\":" + JsonQuote(uri));
  }
  int64_t latest = -1;
  if (!listing.commits.empty()) latest = listing.commits.rbegin()->first;
  if (!listing.checkpoints.empty()) latest = std::max(latest, listing.checkpoints.rbegin()->first);

  int64_t target = latest;
  if (std::holds_alternative<VersionNumber>(at)) {
    target = std::get<VersionNumber>(at).version;
    if (target < 0 || target > latest) {
      return DeltaError("VERSION_NOT_FOUND",
                        "table '" + uri + "' has no version " + std::to_string(target) +
                            " (latest is " + std::to_string(latest) + ")",
                        "\"table_uri\":" + JsonQuote(uri) + ",\"version\":" +
                            std::to_string(target) + ",\"latest\":" + std::to_string(latest));
    }
  } else if (std::holds_alternative<VersionAtTime>(at)) {
    int64_t t = std::get<VersionAtTime>(at).timestamp_ms;
    int64_t found = -1;
    for (auto& [v, info] : listing.commits) {
      if (CommitMillis(*fs, info) <= t) found = v;
    }
    if (found < 0) {
      return DeltaError(
          "TIMESTAMP_BEFORE_FIRST_COMMIT",
          "table '" + uri + "' has no commit at or before timestamp " + std::to_string(t) + " ms",
          "\"table_uri\":" + JsonQuote(uri) + ",\"timestamp_ms\":" + std::to_string(t));
    }
    target = found;
  }

  // The newest complete checkpoint at or before the target.
  int64_t cp_version = -1;
  std::vector<CheckpointFile> cp_files;
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (it->first > target) continue;
    std::vector<CheckpointFile> classic, v2;
    std::map<int, std::map<int, CheckpointFile>> multipart;  // parts -> part -> file
    for (const auto& f : it->second) {
      if (f.v2) {
        v2 = {f};
      } else if (f.parts == 1) {
        classic = {f};
      } else {
        multipart[f.parts][f.part] = f;
      }
    }
    if (!v2.empty()) {
      cp_files = v2;
    } else if (!classic.empty()) {
      cp_files = classic;
    } else {
      for (auto& [parts, by_part] : multipart) {
        if (static_cast<int>(by_part.size()) == parts) {
          for (auto& [p, f] : by_part) cp_files.push_back(f);
          break;
        }
      }
    }
    if (!cp_files.empty()) {
      cp_version = it->first;
      break;
    }
  }

  ReplayState state;
  if (cp_version >= 0) {
    ActionSet cp;
    for (const auto& f : cp_files) {
      if (f.json) {
        CA_ASSIGN_OR_RAISE(auto text, ReadText(*fs, f.path));
        CA_ASSIGN_OR_RAISE(auto parsed, ParseCommit(text, f.path));
        for (auto& a : parsed.adds) cp.adds.push_back(std::move(a));
        for (auto& r : parsed.removes) cp.removes.push_back(std::move(r));
        for (auto& t : parsed.txns) cp.txns.push_back(std::move(t));
        for (auto& d : parsed.domains) cp.domains.push_back(std::move(d));
        for (auto& s : parsed.sidecars) cp.sidecars.push_back(std::move(s));
        if (parsed.protocol) cp.protocol = parsed.protocol;
        if (parsed.metadata) cp.metadata = parsed.metadata;
      } else {
        CA_RETURN_NOT_OK(ReadParquetActions(*fs, f.path, &cp));
      }
    }
    for (const auto& sidecar : cp.sidecars) {
      std::string path = root + "/" + std::string(kLogDir) + "/_sidecars/" + sidecar;
      if (sidecar.find('/') != std::string::npos) path = sidecar;
      CA_RETURN_NOT_OK(ReadParquetActions(*fs, path, &cp));
    }
    state.Apply(std::move(cp));
  }
  // Every commit after the checkpoint, contiguous.
  int64_t first = cp_version + 1;
  if (cp_version < 0 && !listing.commits.empty() && listing.commits.begin()->first != 0) {
    return DeltaError("VERSION_GAP",
                      "table '" + uri + "' has no checkpoint and its log starts at version " +
                          std::to_string(listing.commits.begin()->first),
                      "\"table_uri\":" + JsonQuote(uri));
  }
  int64_t ts = 0;
  for (int64_t v = first; v <= target; ++v) {
    auto it = listing.commits.find(v);
    if (it == listing.commits.end()) {
      return DeltaError(
          "VERSION_GAP",
          "table '" + uri + "' is missing commit " + std::to_string(v) +
              " in its log (versions are not contiguous)",
          "\"table_uri\":" + JsonQuote(uri) + ",\"missing_version\":" + std::to_string(v));
    }
    CA_ASSIGN_OR_RAISE(auto text, ReadText(*fs, it->second.path()));
    CA_ASSIGN_OR_RAISE(auto actions, ParseCommit(text, it->second.path()));
    if (v == target) ts = CommitMillis(*fs, it->second);
    if (v == target && actions.commit_info) {
      if (const JsonValue* ict = actions.commit_info->Get("inCommitTimestamp");
          ict && ict->is_int()) {
        ts = ict->int_value();
      }
    }
    state.Apply(std::move(actions));
  }
  if (ts == 0) {
    if (auto it = listing.commits.find(target); it != listing.commits.end()) {
      ts = CommitMillis(*fs, it->second);
    }
  }
  if (!state.protocol) {
    return DeltaError(
        "MISSING_PROTOCOL",
        "table '" + uri + "' has no protocol action at version " + std::to_string(target),
        "\"table_uri\":" + JsonQuote(uri));
  }
  if (!state.metadata) {
    return DeltaError(
        "MISSING_METADATA",
        "table '" + uri + "' has no metaData action at version " + std::to_string(target),
        "\"table_uri\":" + JsonQuote(uri));
  }
  CA_RETURN_NOT_OK(CheckProtocol(*state.protocol, uri));
  snap->version_ = target;
  snap->timestamp_ms_ = ts;
  snap->protocol_ = std::move(*state.protocol);
  snap->metadata_ = std::move(*state.metadata);
  CA_ASSIGN_OR_RAISE(snap->schema_, SchemaFromDeltaJson(snap->metadata_.schema_string));
  auto mode_it = snap->metadata_.configuration.find("delta.columnMapping.mode");
  CA_ASSIGN_OR_RAISE(
      snap->column_mapping_,
      ParseColumnMappingMode(mode_it == snap->metadata_.configuration.end() ? nullptr
                                                                            : &mode_it->second));
  for (auto& [key, f] : state.files) snap->files_.push_back(std::move(f));
  for (auto& [key, f] : state.tombstones) snap->tombstones_.push_back(std::move(f));
  std::sort(snap->files_.begin(), snap->files_.end(),
            [](const FileAction& a, const FileAction& b) { return a.path < b.path; });
  snap->txns_ = std::move(state.txns);
  snap->domains_ = std::move(state.domains);
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

std::string Snapshot::InfoJson() const {
  JsonValue info = JsonValue::MakeObject();
  info.Set("table_uri", uri_);
  info.Set("version", version_);
  info.Set("snapshot_timestamp", timestamp_ms_);
  info.Set("min_reader_version", static_cast<int64_t>(protocol_.min_reader_version));
  info.Set("min_writer_version", static_cast<int64_t>(protocol_.min_writer_version));
  JsonValue rf = JsonValue::MakeArray(), wf = JsonValue::MakeArray();
  for (const auto& f : protocol_.reader_features) rf.Append(f);
  for (const auto& f : protocol_.writer_features) wf.Append(f);
  info.Set("reader_features", std::move(rf));
  info.Set("writer_features", std::move(wf));
  JsonValue props = JsonValue::MakeObject();
  for (const auto& [k, v] : metadata_.configuration) props.Set(k, v);
  info.Set("table_properties", std::move(props));
  info.Set("schema_json", metadata_.schema_string);
  JsonValue pcs = JsonValue::MakeArray();
  for (const auto& c : metadata_.partition_columns) pcs.Append(c);
  info.Set("partition_columns", std::move(pcs));
  return info.ToJson();
}

Result<CommitActions> ReadCommitActions(const std::string& uri, int64_t version) {
  std::string root;
  CA_ASSIGN_OR_RAISE(auto fs, OpenTableRoot(uri, &root));
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
  std::string path = root + "/" + std::string(kLogDir) + "/" + name;
  auto info = fs->GetFileInfo(path);
  if (!info.ok() || !info->IsFile()) {
    return DeltaError(
        "VERSION_NOT_FOUND",
        "table '" + uri + "' has no commit " + std::to_string(version) + " in its log",
        "\"table_uri\":" + JsonQuote(uri) + ",\"version\":" + std::to_string(version));
  }
  CA_ASSIGN_OR_RAISE(auto text, ReadText(*fs, path));
  CommitActions out;
  out.version = version;
  CA_ASSIGN_OR_RAISE(out.actions, ParseCommit(text, path));
  out.timestamp_ms = MillisOf(*info);
  if (out.actions.commit_info) {
    if (const JsonValue* ict = out.actions.commit_info->Get("inCommitTimestamp");
        ict && ict->is_int()) {
      out.timestamp_ms = ict->int_value();
    } else if (const JsonValue* ts = out.actions.commit_info->Get("timestamp");
               ts && ts->is_int()) {
      out.timestamp_ms = ts->int_value();
    }
  }
  return out;
}

Result<std::vector<CommitEntry>> History(const std::string& uri, int64_t limit) {
  std::string root;
  CA_ASSIGN_OR_RAISE(auto fs, OpenTableRoot(uri, &root));
  CA_ASSIGN_OR_RAISE(auto listing, ListLog(*fs, root, uri));
  std::vector<CommitEntry> out;
  for (auto it = listing.commits.rbegin(); it != listing.commits.rend(); ++it) {
    if (limit > 0 && static_cast<int64_t>(out.size()) >= limit) break;
    CA_ASSIGN_OR_RAISE(auto text, ReadText(*fs, it->second.path()));
    CA_ASSIGN_OR_RAISE(auto actions, ParseCommit(text, it->second.path()));
    CommitEntry e;
    e.version = it->first;
    e.timestamp_ms = CommitMillis(*fs, it->second);
    if (actions.commit_info) {
      e.commit_info = *actions.commit_info;
      if (const JsonValue* ts = actions.commit_info->Get("timestamp"); ts && ts->is_int()) {
        e.timestamp_ms = ts->int_value();
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace codeanatomy::delta
