#include "delta/checkpoint.h"

#include <chrono>
#include <limits>
#include <sstream>

#include <arrow/builder.h>
#include <arrow/io/interfaces.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include <arrow/util/string.h>

#include "delta/commit_log.h"
#include "delta/deletion_vector.h"
#include "delta/delta_error.h"

namespace codeanatomy::delta {

namespace {

using arrow::field;

std::shared_ptr<arrow::DataType> StringMap() { return arrow::map(arrow::utf8(), arrow::utf8()); }

std::shared_ptr<arrow::Schema> CheckpointSchema() {
  auto dv =
      arrow::struct_({field("storageType", arrow::utf8()), field("pathOrInlineDv", arrow::utf8()),
                      field("offset", arrow::int32()), field("sizeInBytes", arrow::int32()),
                      field("cardinality", arrow::int64())});
  auto txn = arrow::struct_({field("appId", arrow::utf8()), field("version", arrow::int64()),
                             field("lastUpdated", arrow::int64())});
  auto add =
      arrow::struct_({field("path", arrow::utf8()), field("partitionValues", StringMap()),
                      field("size", arrow::int64()), field("modificationTime", arrow::int64()),
                      field("dataChange", arrow::boolean()), field("stats", arrow::utf8()),
                      field("deletionVector", dv)});
  auto format = arrow::struct_({field("provider", arrow::utf8()), field("options", StringMap())});
  auto metadata = arrow::struct_(
      {field("id", arrow::utf8()), field("name", arrow::utf8()),
       field("description", arrow::utf8()), field("format", format),
       field("schemaString", arrow::utf8()), field("partitionColumns", arrow::list(arrow::utf8())),
       field("configuration", StringMap()), field("createdTime", arrow::int64())});
  auto protocol = arrow::struct_({field("minReaderVersion", arrow::int32()),
                                  field("minWriterVersion", arrow::int32()),
                                  field("readerFeatures", arrow::list(arrow::utf8())),
                                  field("writerFeatures", arrow::list(arrow::utf8()))});
  auto remove = arrow::struct_(
      {field("path", arrow::utf8()), field("deletionTimestamp", arrow::int64()),
       field("dataChange", arrow::boolean()), field("extendedFileMetadata", arrow::boolean()),
       field("partitionValues", StringMap()), field("size", arrow::int64()),
       field("deletionVector", dv)});
  return arrow::schema({field("txn", txn), field("add", add), field("remove", remove),
                        field("metaData", metadata), field("protocol", protocol)});
}

// Appends values to the builders of a struct in field order.
struct Row {
  arrow::StructBuilder* builder;
  int index = 0;
  template <typename B>
  B* next() {
    return static_cast<B*>(builder->field_builder(index++));
  }
};

Status AppendStringMap(arrow::MapBuilder* b, const std::map<std::string, std::string>& values) {
  CA_RETURN_NOT_OK(b->Append());
  auto* keys = static_cast<arrow::StringBuilder*>(b->key_builder());
  auto* items = static_cast<arrow::StringBuilder*>(b->item_builder());
  for (const auto& [k, v] : values) {
    CA_RETURN_NOT_OK(keys->Append(k));
    CA_RETURN_NOT_OK(items->Append(v));
  }
  return Status::OK();
}

Status AppendStringList(arrow::ListBuilder* b, const std::vector<std::string>& values) {
  CA_RETURN_NOT_OK(b->Append());
  auto* items = static_cast<arrow::StringBuilder*>(b->value_builder());
  for (const auto& v : values) CA_RETURN_NOT_OK(items->Append(v));
  return Status::OK();
}

Status AppendPartitionValues(arrow::MapBuilder* pv, const FileAction& f) {
  CA_RETURN_NOT_OK(pv->Append());
  for (const auto& [k, v] : f.partition_values) {
    CA_RETURN_NOT_OK(static_cast<arrow::StringBuilder*>(pv->key_builder())->Append(k));
    auto* item = static_cast<arrow::StringBuilder*>(pv->item_builder());
    CA_RETURN_NOT_OK(v ? item->Append(*v) : item->AppendNull());
  }
  return Status::OK();
}

Status AppendDeletionVector(arrow::StructBuilder* dvb, const FileAction& f) {
  if (f.deletion_vector) {
    CA_ASSIGN_OR_RAISE(auto dv, ParseDeletionVector(*f.deletion_vector));
    CA_RETURN_NOT_OK(dvb->Append());
    CA_RETURN_NOT_OK(
        static_cast<arrow::StringBuilder*>(dvb->field_builder(0))->Append(dv.storage_type));
    CA_RETURN_NOT_OK(
        static_cast<arrow::StringBuilder*>(dvb->field_builder(1))->Append(dv.path_or_inline_dv));
    auto* off = static_cast<arrow::Int32Builder*>(dvb->field_builder(2));
    CA_RETURN_NOT_OK(dv.offset ? off->Append(*dv.offset) : off->AppendNull());
    CA_RETURN_NOT_OK(
        static_cast<arrow::Int32Builder*>(dvb->field_builder(3))->Append(dv.size_in_bytes));
    CA_RETURN_NOT_OK(
        static_cast<arrow::Int64Builder*>(dvb->field_builder(4))->Append(dv.cardinality));
  } else {
    CA_RETURN_NOT_OK(dvb->AppendNull());
  }
  return Status::OK();
}

}  // namespace

Result<int64_t> ParseIntervalMs(std::string_view text) {
  std::string t = arrow::internal::AsciiToLower(text);
  auto bad = [&] {
    std::string message(text);
    message += " is not an interval (e.g. 'interval 1 week', 'interval 30 days')";
    return DeltaError("INVALID_TABLE_PROPERTY", std::move(message), "\"value\":" + JsonQuote(text));
  };
  std::istringstream in(t);
  std::string word;
  in >> word;
  if (word == "interval") in >> word;
  int64_t n = 0;
  try {
    size_t used = 0;
    n = std::stoll(word, &used);
    if (used != word.size() || n < 0) return bad();
  } catch (...) {
    return bad();
  }
  std::string unit;
  in >> unit;
  std::string rest;
  if (in >> rest) return bad();
  if (!unit.empty() && unit.back() == 's') unit.pop_back();
  static const std::vector<std::pair<std::string, int64_t>> kUnits = {
      {"millisecond", 1},  {"second", 1000},          {"minute", 60'000},
      {"hour", 3'600'000}, {"day", 24 * 3'600'000LL}, {"week", 7 * 24 * 3'600'000LL}};
  for (const auto& [name, ms] : kUnits) {
    if (unit == name) {
      if (n > std::numeric_limits<int64_t>::max() / ms) return bad();
      return n * ms;
    }
  }
  return bad();
}

Result<int64_t> TombstoneRetentionMs(const Snapshot& snap) {
  const auto& conf = snap.metadata().configuration;
  auto it = conf.find("delta.deletedFileRetentionDuration");
  if (it == conf.end()) return int64_t{7} * 24 * 3600 * 1000;
  CA_ASSIGN_OR_RAISE(auto ms, ParseIntervalMs(it->second));
  return ms;
}

namespace {

Status WriteFileAtomically(
    arrow::fs::FileSystem& fs, const std::string& path,
    const std::function<Status(std::shared_ptr<arrow::io::OutputStream>)>& write) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  CA_ASSIGN_OR_RAISE(auto out, fs.OpenOutputStream(tmp));
  Status st = write(out);
  if (st.ok()) st = out->Close();
  if (!st.ok()) {
    (void)fs.DeleteFile(tmp);
    return st;
  }
  return fs.Move(tmp, path);
}

}  // namespace

int64_t CheckpointInterval(const Snapshot& snapshot) {
  return CheckpointInterval(snapshot.metadata().configuration);
}

int64_t CheckpointInterval(const std::map<std::string, std::string>& conf) {
  if (auto it = conf.find("delta.checkpointInterval"); it != conf.end()) {
    try {
      int64_t v = std::stoll(it->second);
      if (v > 0) return v;
    } catch (...) {
    }
  }
  return 100;
}

Status WriteCheckpoint(const Snapshot& snap) {
  auto schema = CheckpointSchema();
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders(schema->num_fields());
  for (int i = 0; i < schema->num_fields(); ++i) {
    CA_RETURN_NOT_OK(
        arrow::MakeBuilder(arrow::default_memory_pool(), schema->field(i)->type(), &builders[i]));
  }
  auto* txn = static_cast<arrow::StructBuilder*>(builders[0].get());
  auto* add = static_cast<arrow::StructBuilder*>(builders[1].get());
  auto* remove = static_cast<arrow::StructBuilder*>(builders[2].get());
  auto* md = static_cast<arrow::StructBuilder*>(builders[3].get());
  auto* proto = static_cast<arrow::StructBuilder*>(builders[4].get());
  int64_t rows = 0;
  // Exactly one column is set per row; the others are null.
  auto null_except = [&](int keep) -> Status {
    for (int i = 0; i < static_cast<int>(builders.size()); ++i) {
      if (i != keep) CA_RETURN_NOT_OK(builders[i]->AppendNull());
    }
    ++rows;
    return Status::OK();
  };
  {  // protocol
    const Protocol& p = snap.protocol();
    CA_RETURN_NOT_OK(proto->Append());
    Row r{proto};
    CA_RETURN_NOT_OK(r.next<arrow::Int32Builder>()->Append(p.min_reader_version));
    CA_RETURN_NOT_OK(r.next<arrow::Int32Builder>()->Append(p.min_writer_version));
    auto* rf = r.next<arrow::ListBuilder>();
    auto* wf = r.next<arrow::ListBuilder>();
    if (p.min_reader_version >= 3) {
      CA_RETURN_NOT_OK(AppendStringList(rf, p.reader_features));
    } else {
      CA_RETURN_NOT_OK(rf->AppendNull());
    }
    if (p.min_writer_version >= 7) {
      CA_RETURN_NOT_OK(AppendStringList(wf, p.writer_features));
    } else {
      CA_RETURN_NOT_OK(wf->AppendNull());
    }
    CA_RETURN_NOT_OK(null_except(4));
  }
  {  // metaData
    const Metadata& m = snap.metadata();
    CA_RETURN_NOT_OK(md->Append());
    Row r{md};
    CA_RETURN_NOT_OK(r.next<arrow::StringBuilder>()->Append(m.id));
    CA_RETURN_NOT_OK(r.next<arrow::StringBuilder>()->Append(m.name));
    CA_RETURN_NOT_OK(r.next<arrow::StringBuilder>()->Append(m.description));
    auto* format = r.next<arrow::StructBuilder>();
    CA_RETURN_NOT_OK(format->Append());
    CA_RETURN_NOT_OK(
        static_cast<arrow::StringBuilder*>(format->field_builder(0))->Append("parquet"));
    CA_RETURN_NOT_OK(
        AppendStringMap(static_cast<arrow::MapBuilder*>(format->field_builder(1)), {}));
    CA_RETURN_NOT_OK(r.next<arrow::StringBuilder>()->Append(m.schema_string));
    CA_RETURN_NOT_OK(AppendStringList(r.next<arrow::ListBuilder>(), m.partition_columns));
    CA_RETURN_NOT_OK(AppendStringMap(r.next<arrow::MapBuilder>(), m.configuration));
    auto* created = r.next<arrow::Int64Builder>();
    CA_RETURN_NOT_OK(m.created_time ? created->Append(*m.created_time) : created->AppendNull());
    CA_RETURN_NOT_OK(null_except(3));
  }
  for (const auto& [app, t] : snap.app_transactions()) {
    CA_RETURN_NOT_OK(txn->Append());
    Row r{txn};
    CA_RETURN_NOT_OK(r.next<arrow::StringBuilder>()->Append(t.app_id));
    CA_RETURN_NOT_OK(r.next<arrow::Int64Builder>()->Append(t.version));
    auto* lu = r.next<arrow::Int64Builder>();
    CA_RETURN_NOT_OK(t.last_updated ? lu->Append(*t.last_updated) : lu->AppendNull());
    CA_RETURN_NOT_OK(null_except(0));
  }
  for (const auto& f : snap.files()) {
    CA_RETURN_NOT_OK(add->Append());
    Row r{add};
    CA_RETURN_NOT_OK(r.next<arrow::StringBuilder>()->Append(f.path));
    CA_RETURN_NOT_OK(AppendPartitionValues(r.next<arrow::MapBuilder>(), f));
    CA_RETURN_NOT_OK(r.next<arrow::Int64Builder>()->Append(f.size));
    CA_RETURN_NOT_OK(r.next<arrow::Int64Builder>()->Append(f.modification_time));
    CA_RETURN_NOT_OK(r.next<arrow::BooleanBuilder>()->Append(false));
    auto* stats = r.next<arrow::StringBuilder>();
    CA_RETURN_NOT_OK(f.stats.empty() ? stats->AppendNull() : stats->Append(f.stats));
    CA_RETURN_NOT_OK(AppendDeletionVector(r.next<arrow::StructBuilder>(), f));
    CA_RETURN_NOT_OK(null_except(1));
  }
  // Tombstones younger than delta.deletedFileRetentionDuration: VACUUM keeps their files.
  CA_ASSIGN_OR_RAISE(int64_t retention, TombstoneRetentionMs(snap));
  const int64_t cutoff = NowMs() - retention;
  for (const auto& f : snap.tombstones()) {
    if (f.deletion_timestamp && *f.deletion_timestamp < cutoff) continue;
    CA_RETURN_NOT_OK(remove->Append());
    Row r{remove};
    CA_RETURN_NOT_OK(r.next<arrow::StringBuilder>()->Append(f.path));
    auto* ts = r.next<arrow::Int64Builder>();
    CA_RETURN_NOT_OK(f.deletion_timestamp ? ts->Append(*f.deletion_timestamp) : ts->AppendNull());
    CA_RETURN_NOT_OK(r.next<arrow::BooleanBuilder>()->Append(false));
    CA_RETURN_NOT_OK(r.next<arrow::BooleanBuilder>()->Append(true));
    CA_RETURN_NOT_OK(AppendPartitionValues(r.next<arrow::MapBuilder>(), f));
    CA_RETURN_NOT_OK(r.next<arrow::Int64Builder>()->Append(f.size));
    CA_RETURN_NOT_OK(AppendDeletionVector(r.next<arrow::StructBuilder>(), f));
    CA_RETURN_NOT_OK(null_except(2));
  }
  std::vector<std::shared_ptr<arrow::Array>> arrays(builders.size());
  for (size_t i = 0; i < builders.size(); ++i) CA_RETURN_NOT_OK(builders[i]->Finish(&arrays[i]));
  auto table = arrow::Table::Make(schema, arrays, rows);

  char name[48];
  std::snprintf(name, sizeof(name), "%020lld.checkpoint.parquet",
                static_cast<long long>(snap.version()));
  std::string log = snap.root() + "/_delta_log/";
  auto& fs = *snap.filesystem();
  CA_RETURN_NOT_OK(WriteFileAtomically(fs, log + name, [&](auto out) {
    return parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 1 << 20);
  }));
  JsonValue hint = JsonValue::MakeObject();
  hint.Set("version", snap.version());
  hint.Set("size", rows);
  std::string text = hint.ToJson();
  return WriteFileAtomically(fs, log + "_last_checkpoint", [&](auto out) {
    return out->Write(text.data(), static_cast<int64_t>(text.size()));
  });
}

}  // namespace codeanatomy::delta
