#include "delta/provider.h"

#include <map>
#include <set>

#include <arrow/acero/options.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/dataset/dataset.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/scanner.h>
#include <parquet/arrow/reader.h>

#include "delta/column_mapping.h"
#include "delta/deletion_vector.h"
#include "delta/delta_error.h"
#include "engine/session_state.h"
#include "sql/statement.h"

namespace codeanatomy::delta {

namespace cp = arrow::compute;
namespace ds = arrow::dataset;
namespace ac = arrow::acero;

namespace {

// What is known of a file's rows: its partition values, and min/max/null counts from stats.
Result<cp::Expression> FileGuarantee(const FileAction& f, const Snapshot& snap,
                                     const arrow::Schema& logical) {
  std::vector<cp::Expression> terms;
  for (const auto& name : snap.metadata().partition_columns) {
    auto field = logical.GetFieldByName(name);
    if (!field) {
      return DeltaError("INVALID_PARTITION_COLUMN",
                        "partition column '" + name + "' is not in the table schema",
                        "\"column\":" + JsonQuote(name));
    }
    std::optional<std::string> raw;
    if (auto it = f.partition_values.find(name); it != f.partition_values.end()) raw = it->second;
    CA_ASSIGN_OR_RAISE(auto value, ParsePartitionValue(raw, field->type()));
    if (value->is_valid) {
      terms.push_back(cp::equal(cp::field_ref(name), cp::literal(value)));
    } else {
      terms.push_back(cp::is_null(cp::field_ref(name)));
    }
  }
  if (!f.stats.empty()) {
    auto stats = ParseFileStats(f.stats, logical);
    if (stats.ok()) {
      for (const auto& [column, s] : stats->columns) {
        if (!logical.GetFieldByName(column)) continue;  // nested paths: not used for pruning
        if (s.min && s.min->is_valid) {
          terms.push_back(cp::greater_equal(cp::field_ref(column), cp::literal(s.min)));
        }
        if (s.max && s.max->is_valid) {
          terms.push_back(cp::less_equal(cp::field_ref(column), cp::literal(s.max)));
        }
      }
    }
  }
  return terms.empty() ? cp::literal(true) : cp::and_(terms);
}

// The partition-value part only: the dataset fills partition columns from it.
Result<cp::Expression> PartitionExpression(const FileAction& f, const Snapshot& snap,
                                           const arrow::Schema& physical_partitions) {
  std::vector<cp::Expression> terms;
  for (const auto& field : physical_partitions.fields()) {
    std::optional<std::string> raw;
    if (auto it = f.partition_values.find(field->name()); it != f.partition_values.end()) {
      raw = it->second;
    }
    CA_ASSIGN_OR_RAISE(auto value, ParsePartitionValue(raw, field->type()));
    terms.push_back(value->is_valid ? cp::equal(cp::field_ref(field->name()), cp::literal(value))
                                    : cp::is_null(cp::field_ref(field->name())));
  }
  return terms.empty() ? cp::literal(true) : cp::and_(terms);
}

}  // namespace

Result<bool> FileMayMatch(const FileAction& f, const Snapshot& snapshot,
                          const cp::Expression& filter) {
  const auto& logical = *snapshot.schema();
  CA_ASSIGN_OR_RAISE(auto bound, engine::PortableFilter(filter, logical).Bind(logical));
  CA_ASSIGN_OR_RAISE(auto guarantee, FileGuarantee(f, snapshot, logical));
  CA_ASSIGN_OR_RAISE(guarantee, guarantee.Bind(logical));
  CA_ASSIGN_OR_RAISE(auto simplified, cp::SimplifyWithGuarantee(bound, guarantee));
  return simplified.IsSatisfiable();
}

Result<std::shared_ptr<DeltaTableProvider>> DeltaTableProvider::Make(
    std::shared_ptr<const Snapshot> snapshot, ScanConfig config,
    std::optional<std::vector<std::string>> files) {
  CA_RETURN_NOT_OK(engine::InitializeArrow());
  auto refuse = [](const std::string& field, const std::string& why) {
    return InvalidError(stage::kDelta, "NOT_SUPPORTED",
                        "not supported: " + field + " (" + why + ")",
                        "{\"field\":" + JsonQuote(field) + "}");
  };
  if (config.schema_force_view_types) {
    return refuse("scan_config.schema_force_view_types = true",
                  "the engine computes on classic string/binary layouts");
  }
  if (config.wrap_partition_values) {
    return refuse("scan_config.wrap_partition_values = true",
                  "partition values come out in their own types, not dictionary-encoded");
  }
  std::shared_ptr<DeltaTableProvider> p(new DeltaTableProvider(std::move(snapshot)));
  const Snapshot& snap = *p->snapshot_;
  p->config_ = config;
  p->schema_ = snap.schema();
  if (config.file_column_name) {
    if (snap.schema()->GetFieldByName(*config.file_column_name)) {
      return InvalidError(stage::kValidation, "INVALID_PROVIDER_OPTIONS",
                          "scan_config.file_column_name: '" + *config.file_column_name +
                              "' is a column of the table",
                          "{\"field\":\"scan_config.file_column_name\"}");
    }
    CA_ASSIGN_OR_RAISE(p->schema_,
                       p->schema_->AddField(p->schema_->num_fields(),
                                            arrow::field(*config.file_column_name, arrow::utf8())));
  }
  CA_ASSIGN_OR_RAISE(p->physical_, PhysicalSchema(*snap.schema(), snap.column_mapping()));
  if (files) {
    std::map<std::string_view, const FileAction*> by_path;
    for (const auto& f : snap.files()) by_path.emplace(f.path, &f);
    std::set<std::string_view> seen;
    for (const auto& path : *files) {
      auto it = by_path.find(path);
      if (it == by_path.end()) {
        return DeltaError(
            "FILE_NOT_IN_SNAPSHOT",
            "file '" + path + "' is not an active file of table '" + snap.table_uri() +
                "' at version " + std::to_string(snap.version()),
            "\"path\":" + JsonQuote(path) + ",\"table_uri\":" + JsonQuote(snap.table_uri()));
      }
      if (seen.insert(it->first).second) p->files_.push_back(it->second);
    }
  } else {
    for (const auto& f : snap.files()) p->files_.push_back(&f);
  }
  int64_t rows = 0;
  bool known = true;
  for (const FileAction* f : p->files_) {
    CA_ASSIGN_OR_RAISE(auto g, FileGuarantee(*f, snap, *snap.schema()));
    if (config.file_column_name) {
      g = cp::and_(g, cp::equal(cp::field_ref(*config.file_column_name), cp::literal(f->path)));
    }
    p->guarantees_.push_back(std::move(g));
    auto stats = f->stats.empty() ? Result<FileStats>(FileStats{})
                                  : ParseFileStats(f->stats, *snap.schema());
    if (stats.ok() && stats->num_records) {
      rows += *stats->num_records;
    } else {
      known = false;
    }
  }
  p->estimated_rows_ = known ? rows : -1;
  return p;
}

Result<std::vector<const FileAction*>> DeltaTableProvider::PrunedFiles(
    const cp::Expression& filter) const {
  CA_ASSIGN_OR_RAISE(auto bound, engine::PortableFilter(filter, *schema_).Bind(*schema_));
  std::vector<const FileAction*> out;
  for (size_t i = 0; i < files_.size(); ++i) {
    CA_ASSIGN_OR_RAISE(auto guarantee, guarantees_[i].Bind(*schema_));
    CA_ASSIGN_OR_RAISE(auto simplified, cp::SimplifyWithGuarantee(bound, guarantee));
    if (simplified.IsSatisfiable()) out.push_back(files_[i]);
  }
  return out;
}

Result<ac::Declaration> DeltaTableProvider::Scan(const engine::ScanRequest& request) {
  const Snapshot& snap = *snapshot_;
  const auto& logical = snap.schema();
  CA_ASSIGN_OR_RAISE(auto files, PrunedFiles(request.filter));
  std::vector<std::shared_ptr<arrow::Field>> partition_fields;
  for (int i = 0; i < logical->num_fields(); ++i) {
    const auto& pcs = snap.metadata().partition_columns;
    if (std::find(pcs.begin(), pcs.end(), logical->field(i)->name()) != pcs.end()) {
      partition_fields.push_back(physical_->field(i));
    }
  }
  auto partition_schema = arrow::schema(partition_fields);
  // The dataset's schema: the files' columns, plus the file column filled in per fragment.
  const int table_columns = logical->num_fields();
  std::shared_ptr<arrow::Schema> dataset_schema = physical_;
  if (config_.file_column_name) {
    CA_ASSIGN_OR_RAISE(dataset_schema,
                       physical_->AddField(table_columns, schema_->field(table_columns)));
  }
  auto format = std::make_shared<ds::ParquetFileFormat>();
  // Every data file must exist (checked in one listing call), so a missing file is a Delta
  // error naming it rather than an I/O failure in the middle of the scan.
  std::vector<std::string> paths;
  for (const FileAction* f : files) {
    CA_ASSIGN_OR_RAISE(auto path, snap.DataFilePath(f->path));
    paths.push_back(std::move(path));
  }
  if (!request.explain_only) {
    CA_ASSIGN_OR_RAISE(auto infos, snap.filesystem()->GetFileInfo(paths));
    for (size_t i = 0; i < infos.size(); ++i) {
      if (!infos[i].IsFile()) {
        return DeltaError("DATA_FILE_NOT_FOUND",
                          "data file '" + files[i]->path + "' of table '" + snap.table_uri() +
                              "' (version " + std::to_string(snap.version()) + ") does not exist",
                          "\"path\":" + JsonQuote(files[i]->path) +
                              ",\"table_uri\":" + JsonQuote(snap.table_uri()));
      }
    }
  }
  std::vector<std::shared_ptr<ds::FileFragment>> fragments;
  std::vector<std::pair<const FileAction*, std::string>> dv_files;
  for (size_t i = 0; i < files.size(); ++i) {
    const FileAction* f = files[i];
    if (f->deletion_vector) {
      dv_files.emplace_back(f, paths[i]);
      continue;
    }
    const std::string& path = paths[i];
    CA_ASSIGN_OR_RAISE(auto partition, PartitionExpression(*f, snap, *partition_schema));
    if (config_.file_column_name) {
      partition = cp::and_(
          partition, cp::equal(cp::field_ref(*config_.file_column_name), cp::literal(f->path)));
    }
    // The file's own schema is read lazily: it holds the non-partition columns.
    auto fragment = format->MakeFragment(ds::FileSource(path, snap.filesystem()), partition);
    if (!fragment.ok()) {
      return DeltaError("DATA_FILE_UNREADABLE",
                        "cannot open data file '" + f->path + "': " + fragment.status().message(),
                        "\"path\":" + JsonQuote(f->path));
    }
    fragments.push_back(*fragment);
  }
  CA_ASSIGN_OR_RAISE(std::shared_ptr<ds::Dataset> dataset,
                     ds::FileSystemDataset::Make(dataset_schema, cp::literal(true), format,
                                                 snap.filesystem(), std::move(fragments)));
  auto scan_options = std::make_shared<ds::ScanOptions>();
  scan_options->dataset_schema = dataset_schema;
  scan_options->batch_size = request.batch_size;
  scan_options->use_threads = true;
  // The pruning filter is over logical names; with column mapping it does not apply to files.
  if (snap.column_mapping() == ColumnMappingMode::kNone && config_.enable_parquet_pushdown) {
    CA_ASSIGN_OR_RAISE(
        scan_options->filter,
        engine::PortableFilter(request.filter, *dataset_schema).Bind(*dataset_schema));
  }
  std::vector<std::string> names;
  for (int c : request.columns) names.push_back(dataset_schema->field(c)->name());
  CA_ASSIGN_OR_RAISE(auto projection, ds::ProjectionDescr::FromNames(names, *dataset_schema));
  ds::SetProjection(scan_options.get(), std::move(projection));
  ac::Declaration scan("scan", ds::ScanNodeOptions(dataset, scan_options));
  // Keep the requested columns, renamed to their logical names.
  std::vector<cp::Expression> exprs;
  std::vector<std::string> out_names;
  for (int c : request.columns) {
    if (c >= table_columns) {  // the file column
      exprs.push_back(cp::field_ref(schema_->field(c)->name()));
      out_names.push_back(schema_->field(c)->name());
      continue;
    }
    CA_ASSIGN_OR_RAISE(auto expr,
                       ToLogical(cp::field_ref(physical_->field(c)->name()),
                                 *physical_->field(c)->type(), logical->field(c)->type()));
    exprs.push_back(std::move(expr));
    out_names.push_back(logical->field(c)->name());
  }
  auto scanned = ac::Declaration::Sequence(
      {std::move(scan),
       {"project", ac::ProjectNodeOptions(std::move(exprs), std::move(out_names))}});
  if (dv_files.empty()) return scanned;
  // Files with deletion vectors: read, drop the deleted rows, and union with the scan.
  std::vector<ac::Declaration::Input> inputs{std::move(scanned)};
  for (const auto& [f, path] : dv_files) {
    std::shared_ptr<arrow::Table> rows;
    if (request.explain_only) {
      std::vector<std::shared_ptr<arrow::Field>> fields;
      for (int c : request.columns) fields.push_back(schema_->field(c));
      CA_ASSIGN_OR_RAISE(rows, arrow::Table::MakeEmpty(arrow::schema(fields)));
    } else {
      CA_ASSIGN_OR_RAISE(rows, ReadFile(*f, path, request.columns));
    }
    inputs.emplace_back(
        ac::Declaration("table_source", ac::TableSourceNodeOptions(rows, request.batch_size)));
  }
  return ac::Declaration("union", std::move(inputs), ac::ExecNodeOptions{});
}

Result<std::shared_ptr<arrow::Table>> DeltaTableProvider::ReadFile(
    const FileAction& f, const std::string& path, const std::vector<int>& columns) const {
  const Snapshot& snap = *snapshot_;
  auto failed = [&](const Status& st) {
    return DeltaError("DATA_FILE_UNREADABLE",
                      "cannot read data file '" + f.path + "': " + st.message(),
                      "\"path\":" + JsonQuote(f.path));
  };
  auto input = snap.filesystem()->OpenInputFile(path);
  if (!input.ok()) return failed(input.status());
  auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
  if (!reader.ok()) return failed(reader.status());
  auto table = (*reader)->ReadTable();
  if (!table.ok()) return failed(table.status());
  // Files written with view types (string_view, ...) read back as such: the compute kernels
  // used below have no view kernels, so convert first.
  {
    auto plain = engine::WithoutViewTypes((*table)->schema());
    if (!plain->Equals(*(*table)->schema())) {
      std::vector<std::shared_ptr<arrow::ChunkedArray>> cols;
      for (int i = 0; i < (*table)->num_columns(); ++i) {
        auto col = (*table)->column(i);
        if (!col->type()->Equals(*plain->field(i)->type())) {
          CA_ASSIGN_OR_RAISE(auto cast, cp::Cast(col, plain->field(i)->type()));
          col = cast.chunked_array();
        }
        cols.push_back(std::move(col));
      }
      table = arrow::Table::Make(plain, std::move(cols), (*table)->num_rows());
    }
  }
  std::vector<uint64_t> deleted;
  if (f.deletion_vector) {
    CA_ASSIGN_OR_RAISE(auto dv, ParseDeletionVector(*f.deletion_vector));
    CA_ASSIGN_OR_RAISE(deleted, ReadDeletionVector(dv, snap.root(), snap.filesystem().get()));
  }
  int64_t n = (*table)->num_rows();
  arrow::BooleanBuilder keep;
  CA_RETURN_NOT_OK(keep.Reserve(n));
  size_t d = 0;
  for (int64_t i = 0; i < n; ++i) {
    while (d < deleted.size() && deleted[d] < static_cast<uint64_t>(i)) ++d;
    keep.UnsafeAppend(!(d < deleted.size() && deleted[d] == static_cast<uint64_t>(i)));
  }
  std::shared_ptr<arrow::Array> mask;
  CA_RETURN_NOT_OK(keep.Finish(&mask));
  CA_ASSIGN_OR_RAISE(auto filtered, cp::Filter(*table, mask));
  auto kept = filtered.table();
  const auto& logical = snap.schema();
  const auto& pcs = snap.metadata().partition_columns;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> out;
  for (int c : columns) {
    if (c >= logical->num_fields()) {  // the file column
      fields.push_back(schema_->field(c));
      CA_ASSIGN_OR_RAISE(auto array,
                         arrow::MakeArrayFromScalar(arrow::StringScalar(f.path), kept->num_rows()));
      out.push_back(std::make_shared<arrow::ChunkedArray>(array));
      continue;
    }
    const auto& phys = physical_->field(c);
    fields.push_back(logical->field(c));
    std::shared_ptr<arrow::ChunkedArray> column;
    if (std::find(pcs.begin(), pcs.end(), logical->field(c)->name()) != pcs.end()) {
      std::optional<std::string> raw;
      if (auto it = f.partition_values.find(phys->name()); it != f.partition_values.end()) {
        raw = it->second;
      }
      CA_ASSIGN_OR_RAISE(auto value, ParsePartitionValue(raw, phys->type()));
      CA_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayFromScalar(*value, kept->num_rows()));
      column = std::make_shared<arrow::ChunkedArray>(array);
    } else if (auto found = kept->GetColumnByName(phys->name())) {
      column = found;
      if (!column->type()->Equals(*phys->type())) {
        CA_ASSIGN_OR_RAISE(auto cast, cp::Cast(column, phys->type()));
        column = cast.chunked_array();
      }
    } else {  // a column the file predates: NULL
      CA_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayOfNull(phys->type(), kept->num_rows()));
      column = std::make_shared<arrow::ChunkedArray>(array);
    }
    // Column mapping: nested fields under their logical names too.
    const auto& want = logical->field(c)->type();
    if (!column->type()->Equals(*want)) {
      if (!DiffersOnlyInNames(*column->type(), *want))
        return RenameMismatch(*column->type(), *want);
      arrow::ArrayVector chunks;
      for (const auto& chunk : column->chunks()) {
        chunks.push_back(arrow::MakeArray(Relabel(chunk->data(), want)));
      }
      column = std::make_shared<arrow::ChunkedArray>(std::move(chunks), want);
    }
    out.push_back(std::move(column));
  }
  return arrow::Table::Make(arrow::schema(fields), std::move(out), kept->num_rows());
}

void RegisterDeltaSqlFormat() {
  sql::RegisterExternalTableFormat(
      "DELTA", [](const std::string& location) -> Result<std::shared_ptr<engine::TableProvider>> {
        CA_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Load(location, LatestVersion{}));
        CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(std::move(snapshot)));
        return std::shared_ptr<engine::TableProvider>(std::move(provider));
      });
}

Result<std::shared_ptr<arrow::Table>> AddActionsTable(const Snapshot& snap) {
  arrow::StringBuilder path;
  arrow::Int64Builder size, num_records;
  arrow::TimestampBuilder mtime(arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"),
                                arrow::default_memory_pool());
  arrow::BooleanBuilder data_change;
  const auto& logical = *snap.schema();
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> partitions;
  std::vector<std::shared_ptr<arrow::Field>> partition_fields;
  for (const auto& name : snap.metadata().partition_columns) {
    auto field = logical.GetFieldByName(name);
    if (!field) continue;
    std::unique_ptr<arrow::ArrayBuilder> b;
    CA_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), field->type(), &b));
    partitions.push_back(std::move(b));
    partition_fields.push_back(arrow::field("partition." + name, field->type()));
  }
  for (const auto& f : snap.files()) {
    CA_RETURN_NOT_OK(path.Append(f.path));
    CA_RETURN_NOT_OK(size.Append(f.size));
    CA_RETURN_NOT_OK(mtime.Append(f.modification_time));
    CA_RETURN_NOT_OK(data_change.Append(f.data_change));
    auto stats =
        f.stats.empty() ? Result<FileStats>(FileStats{}) : ParseFileStats(f.stats, logical);
    if (stats.ok() && stats->num_records) {
      CA_RETURN_NOT_OK(num_records.Append(*stats->num_records));
    } else {
      CA_RETURN_NOT_OK(num_records.AppendNull());
    }
    for (size_t i = 0; i < partitions.size(); ++i) {
      std::string name = partition_fields[i]->name().substr(10);
      std::optional<std::string> raw;
      if (auto it = f.partition_values.find(name); it != f.partition_values.end()) raw = it->second;
      CA_ASSIGN_OR_RAISE(auto value, ParsePartitionValue(raw, partition_fields[i]->type()));
      CA_RETURN_NOT_OK(partitions[i]->AppendScalar(*value));
    }
  }
  std::vector<std::shared_ptr<arrow::Field>> fields = {
      arrow::field("path", arrow::utf8(), false), arrow::field("size_bytes", arrow::int64(), false),
      arrow::field("modification_time", arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), false),
      arrow::field("data_change", arrow::boolean(), false),
      arrow::field("num_records", arrow::int64())};
  std::vector<std::shared_ptr<arrow::Array>> arrays(5);
  CA_RETURN_NOT_OK(path.Finish(&arrays[0]));
  CA_RETURN_NOT_OK(size.Finish(&arrays[1]));
  CA_RETURN_NOT_OK(mtime.Finish(&arrays[2]));
  CA_RETURN_NOT_OK(data_change.Finish(&arrays[3]));
  CA_RETURN_NOT_OK(num_records.Finish(&arrays[4]));
  for (size_t i = 0; i < partitions.size(); ++i) {
    std::shared_ptr<arrow::Array> a;
    CA_RETURN_NOT_OK(partitions[i]->Finish(&a));
    arrays.push_back(std::move(a));
    fields.push_back(partition_fields[i]);
  }
  return arrow::Table::Make(arrow::schema(fields), arrays,
                            static_cast<int64_t>(snap.files().size()));
}

}  // namespace codeanatomy::delta
