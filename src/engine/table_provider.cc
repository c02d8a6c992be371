#include "engine/table_provider.h"

#include "engine/expr.h"

#include <arrow/acero/options.h>
#include <arrow/compute/api.h>
#include <arrow/compute/cast.h>
#include <arrow/dataset/dataset.h>
#include <arrow/dataset/discovery.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/scanner.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/thread_pool.h>

namespace codeanatomy::engine {

namespace ac = arrow::acero;
namespace cp = arrow::compute;
namespace ds = arrow::dataset;

ac::Declaration SelectColumnsDeclaration(ac::Declaration input, const arrow::Schema& schema,
                                         const std::vector<int>& columns) {
  std::vector<cp::Expression> exprs;
  std::vector<std::string> names;
  for (int c : columns) {
    exprs.push_back(cp::field_ref(c));
    names.push_back(schema.field(c)->name());
  }
  return ac::Declaration::Sequence(
      {std::move(input), {"project", ac::ProjectNodeOptions(std::move(exprs), std::move(names))}});
}

std::shared_ptr<arrow::DataType> WithoutViewTypes(const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY_VIEW:
      return arrow::binary();
    case arrow::Type::LIST_VIEW:
      return arrow::list(type->field(0)->WithType(WithoutViewTypes(type->field(0)->type())));
    case arrow::Type::LARGE_LIST_VIEW:
      return arrow::large_list(type->field(0)->WithType(WithoutViewTypes(type->field(0)->type())));
    case arrow::Type::LIST:
      return arrow::list(type->field(0)->WithType(WithoutViewTypes(type->field(0)->type())));
    case arrow::Type::LARGE_LIST:
      return arrow::large_list(type->field(0)->WithType(WithoutViewTypes(type->field(0)->type())));
    case arrow::Type::STRUCT: {
      std::vector<std::shared_ptr<arrow::Field>> fields;
      for (const auto& f : type->fields())
        fields.push_back(f->WithType(WithoutViewTypes(f->type())));
      return arrow::struct_(fields);
    }
    default:
      return type;
  }
}

std::shared_ptr<arrow::Schema> WithoutViewTypes(const std::shared_ptr<arrow::Schema>& schema) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  bool changed = false;
  for (const auto& f : schema->fields()) {
    auto t = WithoutViewTypes(f->type());
    changed = changed || !t->Equals(*f->type());
    fields.push_back(f->WithType(t));
  }
  return changed ? arrow::schema(fields, schema->metadata()) : schema;
}

int64_t MemoryTableProvider::DistinctCount(int column) const {
  if (column < 0 || column >= table_->num_columns()) return -1;
  {
    std::lock_guard<std::mutex> lock(distinct_mutex_);
    if (auto it = distinct_.find(column); it != distinct_.end()) return it->second;
  }
  int64_t count = -1;
  auto options = arrow::compute::CountOptions(arrow::compute::CountOptions::ONLY_VALID);
  auto result = arrow::compute::CallFunction("count_distinct", {table_->column(column)}, &options);
  if (result.ok() && result->is_scalar()) {
    count = static_cast<const arrow::Int64Scalar&>(*result->scalar()).value;
  }
  std::lock_guard<std::mutex> lock(distinct_mutex_);
  distinct_[column] = count;
  return count;
}

Result<std::shared_ptr<MemoryTableProvider>> MemoryTableProvider::Make(
    std::shared_ptr<arrow::Table> table) {
  auto target = WithoutViewTypes(table->schema());
  if (target != table->schema()) {
    std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
    for (int i = 0; i < table->num_columns(); ++i) {
      const auto& type = target->field(i)->type();
      if (type->Equals(*table->column(i)->type())) {
        columns.push_back(table->column(i));
      } else {
        CA_ASSIGN_OR_RAISE(auto cast, cp::Cast(table->column(i), type));
        columns.push_back(cast.chunked_array());
      }
    }
    table = arrow::Table::Make(target, std::move(columns), table->num_rows());
  }
  return std::make_shared<MemoryTableProvider>(std::move(table));
}

Result<ac::Declaration> MemoryTableProvider::Scan(const ScanRequest& request) {
  CA_ASSIGN_OR_RAISE(auto selected, table_->SelectColumns(request.columns));
  return ac::Declaration("table_source",
                         ac::TableSourceNodeOptions(std::move(selected), request.batch_size));
}

namespace {

/// Tags read failures of a registered stream with ARROW_STREAM_READ_FAILED and its table.
class TaggedReader : public arrow::RecordBatchReader {
 public:
  TaggedReader(std::shared_ptr<arrow::RecordBatchReader> input, std::string table)
      : input_(std::move(input)), table_(std::move(table)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    Status st = input_->ReadNext(out);
    if (st.ok() || st.IsCancelled()) return st;
    return EngineError(st.code(), stage::kExecution, "ARROW_STREAM_READ_FAILED",
                       "reading stream table '" + table_ + "' failed: " + st.message(),
                       "{\"table\":" + JsonQuote(table_) + "}");
  }
  Status Close() override { return input_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  std::string table_;
};

}  // namespace

Result<ac::Declaration> StreamTableProvider::Scan(const ScanRequest& request) {
  if (request.explain_only) {  // describe the scan without taking the one-shot reader
    CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema_));
    CA_ASSIGN_OR_RAISE(auto selected, empty->SelectColumns(request.columns));
    return ac::Declaration("table_source", ac::TableSourceNodeOptions(std::move(selected)));
  }
  std::shared_ptr<arrow::RecordBatchReader> reader;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reader = std::move(reader_);
    reader_ = nullptr;
  }
  if (!reader) {
    return InvalidError(stage::kExecution, "STREAM_ALREADY_CONSUMED",
                        "table '" + request.table_name +
                            "' is a record batch stream that was already read; register it "
                            "again, or register materialized data to scan it more than once",
                        "{\"table\":" + JsonQuote(request.table_name) + "}");
  }
  reader = std::make_shared<TaggedReader>(std::move(reader), request.table_name);
  ac::Declaration source("record_batch_reader_source",
                         ac::RecordBatchReaderSourceNodeOptions(
                             std::move(reader), arrow::io::default_io_context().executor()));
  bool identity = static_cast<int>(request.columns.size()) == schema_->num_fields() &&
                  schema_ == source_schema_;
  for (size_t i = 0; identity && i < request.columns.size(); ++i) {
    identity = request.columns[i] == static_cast<int>(i);
  }
  if (identity) return source;
  std::vector<cp::Expression> exprs;
  std::vector<std::string> names;
  for (int c : request.columns) {
    auto ref = cp::field_ref(c);
    const auto& type = schema_->field(c)->type();
    if (type->Equals(*source_schema_->field(c)->type())) {
      exprs.push_back(ref);
    } else {
      auto* registry = request.registry ? request.registry : cp::GetFunctionRegistry();
      CA_ASSIGN_OR_RAISE(auto cast, MakeCast(ref, type, registry));
      exprs.push_back(std::move(cast));
    }
    names.push_back(schema_->field(c)->name());
  }
  return ac::Declaration::Sequence(
      {std::move(source), {"project", ac::ProjectNodeOptions(std::move(exprs), std::move(names))}});
}

Result<std::shared_ptr<ParquetTableProvider>> ParquetTableProvider::Open(const std::string& path) {
  auto fs = std::make_shared<arrow::fs::LocalFileSystem>();
  auto format = std::make_shared<ds::ParquetFileFormat>();
  ds::FileSystemFactoryOptions options;
  options.exclude_invalid_files = false;
  auto info = fs->GetFileInfo(path);
  if (!info.ok() || info->type() == arrow::fs::FileType::NotFound) {
    return InvalidError(stage::kExecution, "PARQUET_PATH_NOT_FOUND",
                        "no Parquet file or directory at '" + path + "'",
                        "{\"path\":" + JsonQuote(path) + "}");
  }
  Result<std::shared_ptr<ds::DatasetFactory>> factory;
  if (info->IsDirectory()) {
    arrow::fs::FileSelector selector;
    selector.base_dir = path;
    selector.recursive = true;
    factory = ds::FileSystemDatasetFactory::Make(fs, selector, format, options);
  } else {
    factory =
        ds::FileSystemDatasetFactory::Make(fs, std::vector<std::string>{path}, format, options);
  }
  auto tag = [&](const Status& st) {
    return InvalidError(stage::kExecution, "PARQUET_OPEN_FAILED",
                        "cannot open Parquet data at '" + path + "': " + st.message(),
                        "{\"path\":" + JsonQuote(path) + "}");
  };
  if (!factory.ok()) return tag(factory.status());
  auto dataset = (*factory)->Finish();
  if (!dataset.ok()) return tag(dataset.status());
  return std::shared_ptr<ParquetTableProvider>(
      new ParquetTableProvider(std::static_pointer_cast<void>(*dataset)));
}

std::shared_ptr<arrow::Schema> ParquetTableProvider::schema() const {
  return static_cast<ds::Dataset*>(dataset_.get())->schema();
}

Result<ac::Declaration> ParquetTableProvider::Scan(const ScanRequest& request) {
  auto dataset = std::static_pointer_cast<ds::Dataset>(dataset_);
  auto full = dataset->schema();
  auto scan_options = std::make_shared<ds::ScanOptions>();
  scan_options->dataset_schema = full;
  scan_options->batch_size = request.batch_size;
  scan_options->use_threads = true;
  CA_ASSIGN_OR_RAISE(scan_options->filter, PortableFilter(request.filter, *full).Bind(*full));
  std::vector<std::string> names;
  for (int c : request.columns) names.push_back(full->field(c)->name());
  CA_ASSIGN_OR_RAISE(auto projection, ds::ProjectionDescr::FromNames(names, *full));
  ds::SetProjection(scan_options.get(), std::move(projection));
  ac::Declaration scan("scan", ds::ScanNodeOptions(dataset, scan_options));
  // The scan node emits the dataset schema plus augmented fields; keep what was asked for.
  return SelectColumnsDeclaration(std::move(scan), *full, request.columns);
}

namespace {

void SplitConjuncts(const arrow::compute::Expression& e,
                    std::vector<arrow::compute::Expression>* out) {
  const auto* call = e.call();
  if (call != nullptr && (call->function_name == "and_kleene" || call->function_name == "and")) {
    for (const auto& a : call->arguments) SplitConjuncts(a, out);
    return;
  }
  out->push_back(e);
}

}  // namespace

arrow::compute::Expression PortableFilter(const arrow::compute::Expression& filter,
                                          const arrow::Schema& schema) {
  std::vector<arrow::compute::Expression> conjuncts;
  SplitConjuncts(filter, &conjuncts);
  arrow::compute::Expression out = arrow::compute::literal(true);
  for (const auto& c : conjuncts) {
    if (c.Bind(schema).ok()) out = arrow::compute::and_(std::move(out), c);
  }
  return out;
}

}  // namespace codeanatomy::engine
