#include "delta/log_files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <arrow/array.h>
#include <arrow/io/interfaces.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>

#include "delta/delta_error.h"

namespace codeanatomy::delta {

namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
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

}  // namespace

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

}  // namespace codeanatomy::delta
