#include "delta/table_functions.h"

#include <optional>
#include <string>
#include <vector>

#include <arrow/builder.h>

#include "common/json.h"
#include "delta/change_feed.h"
#include "delta/provider.h"

namespace codeanatomy::delta {

namespace {

using engine::TableFunction;
using engine::TableFunctionArgs;

std::shared_ptr<arrow::DataType> TimestampMs() {
  return arrow::timestamp(arrow::TimeUnit::MILLI, "UTC");
}
std::shared_ptr<arrow::DataType> ListOfStrings() { return arrow::list(arrow::utf8()); }
std::shared_ptr<arrow::DataType> StringMap() { return arrow::map(arrow::utf8(), arrow::utf8()); }

/// Argument `i` as a string / an optional integer or boolean (absent or null: not given).
std::string StringArg(const TableFunctionArgs& args, size_t i) {
  return std::string(static_cast<const arrow::StringScalar&>(*args[i]).view());
}
std::optional<int64_t> IntArg(const TableFunctionArgs& args, size_t i) {
  if (i >= args.size() || !args[i]->is_valid) return std::nullopt;
  return std::static_pointer_cast<arrow::Int64Scalar>(args[i])->value;
}
std::optional<bool> BoolArg(const TableFunctionArgs& args, size_t i) {
  if (i >= args.size() || !args[i]->is_valid) return std::nullopt;
  return std::static_pointer_cast<arrow::BooleanScalar>(args[i])->value;
}

TableVersion VersionArg(const TableFunctionArgs& args, size_t i) {
  if (auto v = IntArg(args, i)) return VersionNumber{*v};
  return LatestVersion{};
}

engine::TableFunctionParameter Uri() { return {"uri", arrow::utf8(), false}; }
engine::TableFunctionParameter OptionalVersion() { return {"version", arrow::int64(), true}; }

Result<std::shared_ptr<engine::TableProvider>> InMemory(Result<std::shared_ptr<arrow::Table>> t) {
  CA_ASSIGN_OR_RAISE(auto table, std::move(t));
  CA_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(std::move(table)));
  return std::static_pointer_cast<engine::TableProvider>(provider);
}

Status AppendStrings(arrow::ListBuilder* b, const std::vector<std::string>& values) {
  CA_RETURN_NOT_OK(b->Append());
  auto* items = static_cast<arrow::StringBuilder*>(b->value_builder());
  for (const auto& v : values) CA_RETURN_NOT_OK(items->Append(v));
  return Status::OK();
}

template <typename Value>
Status AppendMap(arrow::MapBuilder* b, const std::map<std::string, Value>& values) {
  CA_RETURN_NOT_OK(b->Append());
  auto* keys = static_cast<arrow::StringBuilder*>(b->key_builder());
  auto* items = static_cast<arrow::StringBuilder*>(b->item_builder());
  for (const auto& [k, v] : values) {
    CA_RETURN_NOT_OK(keys->Append(k));
    if constexpr (std::is_same_v<Value, std::string>) {
      CA_RETURN_NOT_OK(items->Append(v));
    } else {
      CA_RETURN_NOT_OK(v ? items->Append(*v) : items->AppendNull());
    }
  }
  return Status::OK();
}

Status AppendOptionalString(arrow::StringBuilder* b, const std::string& v) {
  return v.empty() ? b->AppendNull() : b->Append(v);
}

/// numRecords of an add's statistics JSON; nullopt when absent or unreadable (statistics are
/// advisory: a bad one never fails a listing).
std::optional<int64_t> NumRecords(const std::string& stats) {
  if (stats.empty()) return std::nullopt;
  auto json = JsonValue::Parse(stats);
  if (!json.ok() || !json->is_object()) return std::nullopt;
  const JsonValue* n = json->Get("numRecords");
  if (n == nullptr || !n->is_int()) return std::nullopt;
  return n->int_value();
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> SnapshotTable(const Snapshot& snap) {
  auto* pool = arrow::default_memory_pool();
  const Metadata& meta = snap.metadata();
  const Protocol& protocol = snap.protocol();
  arrow::StringBuilder uri, id, name, description, schema_string;
  arrow::Int64Builder version, num_files, size_bytes;
  arrow::TimestampBuilder snapshot_ts(TimestampMs(), pool), created(TimestampMs(), pool);
  arrow::Int32Builder min_reader, min_writer;
  arrow::ListBuilder partitions(pool, std::make_shared<arrow::StringBuilder>(pool));
  arrow::ListBuilder reader_features(pool, std::make_shared<arrow::StringBuilder>(pool));
  arrow::ListBuilder writer_features(pool, std::make_shared<arrow::StringBuilder>(pool));
  arrow::MapBuilder configuration(pool, std::make_shared<arrow::StringBuilder>(pool),
                                  std::make_shared<arrow::StringBuilder>(pool));

  CA_RETURN_NOT_OK(uri.Append(snap.table_uri()));
  CA_RETURN_NOT_OK(version.Append(snap.version()));
  CA_RETURN_NOT_OK(snapshot_ts.Append(snap.timestamp_ms()));
  CA_RETURN_NOT_OK(id.Append(meta.id));
  CA_RETURN_NOT_OK(AppendOptionalString(&name, meta.name));
  CA_RETURN_NOT_OK(AppendOptionalString(&description, meta.description));
  CA_RETURN_NOT_OK(AppendStrings(&partitions, meta.partition_columns));
  CA_RETURN_NOT_OK(AppendMap(&configuration, meta.configuration));
  CA_RETURN_NOT_OK(min_reader.Append(protocol.min_reader_version));
  CA_RETURN_NOT_OK(min_writer.Append(protocol.min_writer_version));
  // Feature lists exist from reader version 3 and writer version 7 on (table features).
  CA_RETURN_NOT_OK(protocol.min_reader_version >= 3
                       ? AppendStrings(&reader_features, protocol.reader_features)
                       : reader_features.AppendNull());
  CA_RETURN_NOT_OK(protocol.min_writer_version >= 7
                       ? AppendStrings(&writer_features, protocol.writer_features)
                       : writer_features.AppendNull());
  CA_RETURN_NOT_OK(schema_string.Append(meta.schema_string));
  CA_RETURN_NOT_OK(meta.created_time ? created.Append(*meta.created_time) : created.AppendNull());
  int64_t total = 0;
  for (const auto& f : snap.files()) total += f.size;
  CA_RETURN_NOT_OK(num_files.Append(static_cast<int64_t>(snap.files().size())));
  CA_RETURN_NOT_OK(size_bytes.Append(total));

  auto schema = arrow::schema({
      arrow::field("table_uri", arrow::utf8(), false),
      arrow::field("version", arrow::int64(), false),
      arrow::field("snapshot_timestamp", TimestampMs(), false),
      arrow::field("id", arrow::utf8(), false),
      arrow::field("name", arrow::utf8()),
      arrow::field("description", arrow::utf8()),
      arrow::field("partition_columns", ListOfStrings(), false),
      arrow::field("configuration", StringMap(), false),
      arrow::field("min_reader_version", arrow::int32(), false),
      arrow::field("min_writer_version", arrow::int32(), false),
      arrow::field("reader_features", ListOfStrings()),
      arrow::field("writer_features", ListOfStrings()),
      arrow::field("schema_string", arrow::utf8(), false),
      arrow::field("created_time", TimestampMs()),
      arrow::field("num_files", arrow::int64(), false),
      arrow::field("size_bytes", arrow::int64(), false),
  });
  std::vector<arrow::ArrayBuilder*> builders = {
      &uri,           &version,     &snapshot_ts,     &id,
      &name,          &description, &partitions,      &configuration,
      &min_reader,    &min_writer,  &reader_features, &writer_features,
      &schema_string, &created,     &num_files,       &size_bytes};
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (auto* b : builders) {
    std::shared_ptr<arrow::Array> a;
    CA_RETURN_NOT_OK(b->Finish(&a));
    arrays.push_back(std::move(a));
  }
  return arrow::Table::Make(std::move(schema), std::move(arrays), 1);
}

Result<std::shared_ptr<arrow::Table>> AddActionRowsTable(const Snapshot& snap) {
  auto* pool = arrow::default_memory_pool();
  arrow::StringBuilder path, stats;
  arrow::Int64Builder size, num_records;
  arrow::TimestampBuilder mtime(TimestampMs(), pool);
  arrow::BooleanBuilder data_change, has_dv;
  arrow::MapBuilder partition_values(pool, std::make_shared<arrow::StringBuilder>(pool),
                                     std::make_shared<arrow::StringBuilder>(pool));
  for (const auto& f : snap.files()) {
    CA_RETURN_NOT_OK(path.Append(f.path));
    CA_RETURN_NOT_OK(size.Append(f.size));
    CA_RETURN_NOT_OK(mtime.Append(f.modification_time));
    CA_RETURN_NOT_OK(data_change.Append(f.data_change));
    CA_RETURN_NOT_OK(AppendMap(&partition_values, f.partition_values));
    auto n = NumRecords(f.stats);
    CA_RETURN_NOT_OK(n ? num_records.Append(*n) : num_records.AppendNull());
    CA_RETURN_NOT_OK(AppendOptionalString(&stats, f.stats));
    CA_RETURN_NOT_OK(has_dv.Append(f.deletion_vector.has_value()));
  }
  auto schema = arrow::schema({
      arrow::field("path", arrow::utf8(), false),
      arrow::field("size_bytes", arrow::int64(), false),
      arrow::field("modification_time", TimestampMs(), false),
      arrow::field("data_change", arrow::boolean(), false),
      arrow::field("partition_values", StringMap(), false),
      arrow::field("num_records", arrow::int64()),
      arrow::field("stats", arrow::utf8()),
      arrow::field("has_deletion_vector", arrow::boolean(), false),
  });
  std::vector<arrow::ArrayBuilder*> builders = {
      &path, &size, &mtime, &data_change, &partition_values, &num_records, &stats, &has_dv};
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (auto* b : builders) {
    std::shared_ptr<arrow::Array> a;
    CA_RETURN_NOT_OK(b->Finish(&a));
    arrays.push_back(std::move(a));
  }
  return arrow::Table::Make(std::move(schema), std::move(arrays),
                            static_cast<int64_t>(snap.files().size()));
}

std::vector<engine::TableFunction> DeltaTableFunctions() {
  std::vector<TableFunction> functions;
  functions.push_back(
      {"read_delta",
       {Uri(), OptionalVersion()},
       "The Delta table at `uri`, at its latest version or at `version`; scans prune files by "
       "partition values and statistics and apply deletion vectors.",
       [](const TableFunctionArgs& args) -> Result<std::shared_ptr<engine::TableProvider>> {
         CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(StringArg(args, 0), VersionArg(args, 1)));
         CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(std::move(snapshot)));
         return std::static_pointer_cast<engine::TableProvider>(provider);
       }});
  functions.push_back(
      {"read_delta_cdf",
       {Uri(),
        {"starting_version", arrow::int64(), false},
        {"ending_version", arrow::int64(), true},
        {"allow_out_of_range", arrow::boolean(), true}},
       "The change data feed of the Delta table at `uri` from `starting_version` to "
       "`ending_version` (the latest when not given), both inclusive: the table's columns plus "
       "_change_type, _commit_version and _commit_timestamp, in commit order.",
       [](const TableFunctionArgs& args) -> Result<std::shared_ptr<engine::TableProvider>> {
         ChangeFeedOptions options;
         options.starting_version = IntArg(args, 1);
         options.ending_version = IntArg(args, 2);
         options.allow_out_of_range = BoolArg(args, 3).value_or(false);
         return InMemory(ReadChangeFeed(StringArg(args, 0), options));
       }});
  functions.push_back(
      {"delta_snapshot",
       {Uri(), OptionalVersion()},
       "One row describing the snapshot of the Delta table at `uri` (latest or `version`): "
       "version, id, name, description, partition columns, configuration, protocol versions and "
       "features, schema string, creation time, number and total size of the active files.",
       [](const TableFunctionArgs& args) -> Result<std::shared_ptr<engine::TableProvider>> {
         CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(StringArg(args, 0), VersionArg(args, 1)));
         return InMemory(SnapshotTable(*snapshot));
       }});
  functions.push_back(
      {"delta_add_actions",
       {Uri(), OptionalVersion()},
       "One row per active data file of the Delta table at `uri` (latest or `version`): path, "
       "size_bytes, modification_time, data_change, partition_values, num_records, stats (JSON) "
       "and has_deletion_vector.",
       [](const TableFunctionArgs& args) -> Result<std::shared_ptr<engine::TableProvider>> {
         CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(StringArg(args, 0), VersionArg(args, 1)));
         return InMemory(AddActionRowsTable(*snapshot));
       }});
  return functions;
}

Status RegisterDeltaTableFunctions(engine::SessionState* state) {
  for (auto& fn : DeltaTableFunctions())
    CA_RETURN_NOT_OK(state->RegisterTableFunction(std::move(fn)));
  return Status::OK();
}

}  // namespace codeanatomy::delta
