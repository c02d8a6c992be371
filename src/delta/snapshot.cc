#include "delta/snapshot.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <arrow/array.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>

#include "common/tracing.h"
#include "delta/delta_error.h"
#include "engine/session_state.h"

namespace codeanatomy::delta {

namespace {

constexpr std::string_view kLogDir = "_delta_log";

struct CheckpointFile {
  std::string path;
  int part = 1;
  int parts = 1;
  bool v2 = false;
  bool json = false;
};

struct LogListing {
  std::map<int64_t, arrow::fs::FileInfo> commits;
  std::map<int64_t, std::vector<CheckpointFile>> checkpoints;
  bool log_dir_exists = false;
};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<LogListing> ListLog(arrow::fs::FileSystem& fs, const std::string& root,
                           const std::string& uri) {
  LogListing out;
  std::string dir = root + "/" + std::string(kLogDir);
  auto info = fs.GetFileInfo(dir);
  if (!info.ok() || !info->IsDirectory()) {
    return DeltaError("NOT_A_DELTA_TABLE",
                      "'" + uri + "' is not a Delta table: it has no _delta_log directory",
                      "\"table_uri\":" + JsonQuote(uri));
  }
  out.log_dir_exists = true;
  std::vector<arrow::fs::FileInfo> entries;
  if (fs.type_name() == "local") {
    // Names only: a generic listing stats every file, which dominates opening a long log.
    // Commit times are fetched for the few commits that need them (CommitMillis).
    // (readdir, not std::filesystem: its per-entry path objects cost more than the listing.)
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
      return DeltaError("LOG_UNREADABLE", "cannot list '" + dir + "': " + std::strerror(errno),
                        "\"table_uri\":" + JsonQuote(uri));
    }
    while (const dirent* e = readdir(d)) {
      std::string_view name(e->d_name);
      // Only log entries (20 digits, '.') matter; the type is checked for those alone.
      if (name.size() < 21 || name[20] != '.' || !AllDigits(name.substr(0, 20))) continue;
      std::string path = dir + "/" + std::string(name);
      bool file = e->d_type == DT_REG;
      if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
        struct stat st;
        file = ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
      }
      if (file) entries.emplace_back(std::move(path), arrow::fs::FileType::File);
    }
    closedir(d);
  } else {
    arrow::fs::FileSelector selector;
    selector.base_dir = dir;
    CA_ASSIGN_OR_RAISE(entries, fs.GetFileInfo(selector));
  }
  for (auto& e : entries) {
    if (!e.IsFile()) continue;
    const std::string& full = e.path();
    std::string_view name = std::string_view(full).substr(full.rfind('/') + 1);
    if (name.size() < 21 || !AllDigits(name.substr(0, 20)) || name[20] != '.') continue;
    int64_t version = 0;
    for (char c : name.substr(0, 20)) version = version * 10 + (c - '0');
    std::string rest(name.substr(21));
    if (rest == "json") {
      out.commits.emplace(version, std::move(e));
    } else if (rest == "checkpoint.parquet") {
      out.checkpoints[version].push_back({e.path(), 1, 1, false, false});
    } else if (rest.rfind("checkpoint.", 0) == 0) {
      std::string tail = rest.substr(11);
      // multi-part: PPPPPPPPPP.TTTTTTTTTT.parquet; v2: <uuid>.json|parquet
      if (tail.size() == 10 + 1 + 10 + 8 && AllDigits(tail.substr(0, 10)) &&
          AllDigits(tail.substr(11, 10)) && tail.substr(21) == ".parquet") {
        out.checkpoints[version].push_back({e.path(), std::stoi(tail.substr(0, 10)),
                                            std::stoi(tail.substr(11, 10)), false, false});
      } else if (tail.size() > 5 && tail.substr(tail.size() - 5) == ".json") {
        out.checkpoints[version].push_back({e.path(), 1, 1, true, true});
      } else if (tail.size() > 8 && tail.substr(tail.size() - 8) == ".parquet") {
        out.checkpoints[version].push_back({e.path(), 1, 1, true, false});
      }
    }
  }
  return out;
}

Result<std::string> ReadText(arrow::fs::FileSystem& fs, const std::string& path) {
  CA_ASSIGN_OR_RAISE(auto file, fs.OpenInputStream(path));
  std::string out;
  while (true) {
    CA_ASSIGN_OR_RAISE(auto chunk, file->Read(1 << 20));
    if (chunk->size() == 0) break;
    out.append(reinterpret_cast<const char*>(chunk->data()), chunk->size());
  }
  return out;
}

// One value of an Arrow array as JSON (checkpoint rows become the actions they hold).
JsonValue ValueToJson(const arrow::Array& a, int64_t i) {
  if (a.IsNull(i)) return JsonValue();
  switch (a.type_id()) {
    case arrow::Type::BOOL:
      return JsonValue(static_cast<const arrow::BooleanArray&>(a).Value(i));
    case arrow::Type::INT8:
      return JsonValue(static_cast<int64_t>(static_cast<const arrow::Int8Array&>(a).Value(i)));
    case arrow::Type::INT16:
      return JsonValue(static_cast<int64_t>(static_cast<const arrow::Int16Array&>(a).Value(i)));
    case arrow::Type::INT32:
      return JsonValue(static_cast<int64_t>(static_cast<const arrow::Int32Array&>(a).Value(i)));
    case arrow::Type::INT64:
      return JsonValue(static_cast<const arrow::Int64Array&>(a).Value(i));
    case arrow::Type::FLOAT:
      return JsonValue(static_cast<double>(static_cast<const arrow::FloatArray&>(a).Value(i)));
    case arrow::Type::DOUBLE:
      return JsonValue(static_cast<const arrow::DoubleArray&>(a).Value(i));
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return JsonValue(std::string(static_cast<const arrow::BinaryArray&>(a).GetView(i)));
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return JsonValue(std::string(static_cast<const arrow::LargeBinaryArray&>(a).GetView(i)));
    case arrow::Type::STRUCT: {
      const auto& s = static_cast<const arrow::StructArray&>(a);
      JsonValue obj = JsonValue::MakeObject();
      for (int f = 0; f < s.num_fields(); ++f) {
        obj.Set(s.type()->field(f)->name(), ValueToJson(*s.field(f), i));
      }
      return obj;
    }
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapArray&>(a);
      JsonValue obj = JsonValue::MakeObject();
      for (int64_t j = m.value_offset(i); j < m.value_offset(i) + m.value_length(i); ++j) {
        JsonValue k = ValueToJson(*m.keys(), j);
        obj.Set(k.is_string() ? k.string_value() : k.ToJson(), ValueToJson(*m.items(), j));
      }
      return obj;
    }
    case arrow::Type::LIST: {
      const auto& l = static_cast<const arrow::ListArray&>(a);
      JsonValue arr = JsonValue::MakeArray();
      for (int64_t j = l.value_offset(i); j < l.value_offset(i) + l.value_length(i); ++j) {
        arr.Append(ValueToJson(*l.values(), j));
      }
      return arr;
    }
    default: {
      auto scalar = a.GetScalar(i);
      return scalar.ok() ? JsonValue((*scalar)->ToString()) : JsonValue();
    }
  }
}

// Adds (or removes) from a checkpoint's add (remove) column read directly, when its fields
// have the protocol's types; false (nothing read) otherwise.
Result<bool> ReadFileColumn(const arrow::StructArray& col, bool remove, const std::string& path,
                            ActionSet* out) {
  const auto& type = static_cast<const arrow::StructType&>(*col.type());
  bool usual = true;  // every field present has the protocol's type
  auto field = [&](const char* name, arrow::Type::type id) -> const arrow::Array* {
    int i = type.GetFieldIndex(name);
    if (i < 0) return nullptr;
    const arrow::Array* a = col.field(i).get();
    usual &= a->type_id() == id;
    return a;
  };
  const auto* paths = field("path", arrow::Type::STRING);
  const auto* pvs = field("partitionValues", arrow::Type::MAP);
  const auto* sizes = field("size", arrow::Type::INT64);
  const auto* mtimes = field("modificationTime", arrow::Type::INT64);
  const auto* changes = field("dataChange", arrow::Type::BOOL);
  const auto* stats = field("stats", arrow::Type::STRING);
  const auto* deleted = field("deletionTimestamp", arrow::Type::INT64);
  const auto* dvs = field("deletionVector", arrow::Type::STRUCT);
  if (!usual || paths == nullptr) return false;
  const arrow::MapArray* map = static_cast<const arrow::MapArray*>(pvs);
  if (map != nullptr && (map->keys()->type_id() != arrow::Type::STRING ||
                         map->items()->type_id() != arrow::Type::STRING)) {
    return false;
  }
  auto str = [](const arrow::Array* a, int64_t row) {
    return std::string(static_cast<const arrow::StringArray*>(a)->GetView(row));
  };
  auto i64 = [](const arrow::Array* a, int64_t row) {
    return static_cast<const arrow::Int64Array*>(a)->Value(row);
  };
  auto& target = remove ? out->removes : out->adds;
  for (int64_t row = 0; row < col.length(); ++row) {
    if (col.IsNull(row)) continue;
    if (paths->IsNull(row)) {
      return DeltaError("MALFORMED_ACTION",
                        std::string("malformed action in ") + path + ": " +
                            (remove ? "remove" : "add") + " without a string 'path'",
                        "\"file\":" + JsonQuote(path));
    }
    FileAction f;
    f.path = str(paths, row);
    if (map != nullptr && map->IsValid(row)) {
      const auto& keys = static_cast<const arrow::StringArray&>(*map->keys());
      const auto& items = static_cast<const arrow::StringArray&>(*map->items());
      for (int64_t i = map->value_offset(row); i < map->value_offset(row + 1); ++i) {
        f.partition_values[std::string(keys.GetView(i))] =
            items.IsNull(i) ? std::nullopt : std::optional<std::string>(items.GetView(i));
      }
    }
    if (sizes != nullptr && sizes->IsValid(row)) f.size = i64(sizes, row);
    if (mtimes != nullptr && mtimes->IsValid(row)) f.modification_time = i64(mtimes, row);
    if (changes != nullptr && changes->IsValid(row)) {
      f.data_change = static_cast<const arrow::BooleanArray*>(changes)->Value(row);
    }
    if (stats != nullptr && stats->IsValid(row)) f.stats = str(stats, row);
    if (deleted != nullptr && deleted->IsValid(row)) f.deletion_timestamp = i64(deleted, row);
    if (dvs != nullptr && dvs->IsValid(row)) f.deletion_vector = ValueToJson(*dvs, row);
    target.push_back(std::move(f));
  }
  return true;
}

Status ReadParquetActions(arrow::fs::FileSystem& fs, const std::string& path, ActionSet* out) {
  auto corrupt = [&](const Status& st) {
    return DeltaError("CORRUPT_CHECKPOINT",
                      "cannot read checkpoint '" + path + "': " + st.message(),
                      "\"file\":" + JsonQuote(path));
  };
  auto input = fs.OpenInputFile(path);
  if (!input.ok()) return corrupt(input.status());
  auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
  if (!reader.ok()) return corrupt(reader.status());
  auto table = (*reader)->ReadTable();
  if (!table.ok()) return corrupt(table.status());
  auto combined = (*table)->CombineChunksToBatch();
  if (!combined.ok()) return corrupt(combined.status());
  const auto& batch = **combined;
  // add and remove rows (nearly all of a checkpoint) are read straight from their columns;
  // other actions, and file columns of an unusual layout, go through JSON.
  std::vector<bool> done(batch.num_columns(), false);
  for (int c = 0; c < batch.num_columns(); ++c) {
    const std::string& name = batch.schema()->field(c)->name();
    if ((name == "add" || name == "remove") && batch.column(c)->type_id() == arrow::Type::STRUCT) {
      CA_ASSIGN_OR_RAISE(done[c],
                         ReadFileColumn(static_cast<const arrow::StructArray&>(*batch.column(c)),
                                        name == "remove", path, out));
    }
  }
  for (int64_t row = 0; row < batch.num_rows(); ++row) {
    for (int c = 0; c < batch.num_columns(); ++c) {
      const auto& col = *batch.column(c);
      if (done[c] || col.IsNull(row)) continue;
      JsonValue action = JsonValue::MakeObject();
      action.Set(batch.schema()->field(c)->name(), ValueToJson(col, row));
      CA_RETURN_NOT_OK(AddAction(action, path, out));
    }
  }
  return Status::OK();
}

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
