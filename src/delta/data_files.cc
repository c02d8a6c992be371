#include "delta/data_files.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>
#include <set>

#include <arrow/compute/api.h>
#include <arrow/dataset/dataset.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/dataset/partition.h>
#include <arrow/dataset/scanner.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>

#include "delta/delta_error.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

namespace ds = arrow::dataset;

namespace {

// A statistics bound as Delta writes it: numbers as numbers, dates and timestamps as ISO text,
// strings as text (cut to 32 characters; a cut maximum is dropped, never understated).
std::optional<JsonValue> StatJson(const arrow::Scalar& v, bool is_max) {
  if (!v.is_valid) return std::nullopt;
  switch (v.type->id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64: {
      auto cast = v.CastTo(arrow::int64());
      if (!cast.ok()) return std::nullopt;
      return JsonValue(static_cast<const arrow::Int64Scalar&>(**cast).value);
    }
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      auto cast = v.CastTo(arrow::float64());
      if (!cast.ok()) return std::nullopt;
      double d = static_cast<const arrow::DoubleScalar&>(**cast).value;
      if (std::isnan(d) || std::isinf(d)) return std::nullopt;
      return JsonValue(d);
    }
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING: {
      std::string text = v.ToString();
      if (text.size() > 32) {
        if (is_max) return std::nullopt;
        size_t cut = 32;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut);
      }
      return JsonValue(text);
    }
    case arrow::Type::DATE32:
      return JsonValue(v.ToString());
    case arrow::Type::TIMESTAMP: {
      // Stats are kept in milliseconds by writers: widen the maximum by the truncation.
      const auto& ts = static_cast<const arrow::TimestampScalar&>(v);
      const auto& type = static_cast<const arrow::TimestampType&>(*v.type);
      int64_t per_ms = type.unit() == arrow::TimeUnit::MICRO  ? 1000
                       : type.unit() == arrow::TimeUnit::NANO ? 1000000
                                                              : 1;
      if (type.unit() == arrow::TimeUnit::SECOND) return std::nullopt;
      int64_t ms = ts.value / per_ms - (ts.value % per_ms < 0 ? 1 : 0);
      if (is_max && ts.value % per_ms != 0) ms += 1;
      int64_t secs = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
      int64_t millis = ms - secs * 1000;
      std::time_t t = static_cast<std::time_t>(secs);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[128];
      std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<long long>(millis));
      return JsonValue(std::string(buf));
    }
    default:
      return std::nullopt;  // other types: no bound (unknown), which readers accept
  }
}

// numRecords and per-column (top-level primitive columns) min/max/nullCount from the file's
// row-group statistics.
// Arrow leaves under `type` (1 for a primitive).
int LeafCount(const arrow::DataType& type) {
  if (type.num_fields() == 0) return 1;
  int n = 0;
  for (const auto& f : type.fields()) n += LeafCount(*f->type());
  return n;
}

// The columns that get statistics: the names in options.stats_columns when given, else the
// data (non-partition) columns whose leaves are among the first options.num_indexed_cols
// (-1: all).
std::set<std::string> IndexedColumns(const arrow::Schema& schema, const WriteOptions& options) {
  std::set<std::string> out;
  if (options.stats_columns) {
    out.insert(options.stats_columns->begin(), options.stats_columns->end());
    return out;
  }
  int64_t leaves = 0;
  for (const auto& f : schema.fields()) {
    const auto& pcs = options.partition_by;
    if (std::find(pcs.begin(), pcs.end(), f->name()) != pcs.end()) continue;
    if (options.num_indexed_cols >= 0 && leaves >= options.num_indexed_cols) break;
    out.insert(f->name());
    leaves += LeafCount(*f->type());
  }
  return out;
}

JsonValue FileStatsOf(const parquet::FileMetaData& md, const arrow::Schema& schema,
                      const std::vector<std::string>& partition_by,
                      const std::set<std::string>& indexed) {
  JsonValue stats = JsonValue::MakeObject();
  stats.Set("numRecords", md.num_rows());
  JsonValue mins = JsonValue::MakeObject(), maxs = JsonValue::MakeObject(),
            nulls = JsonValue::MakeObject();
  const auto* pschema = md.schema();
  for (int c = 0; c < pschema->num_columns(); ++c) {
    const auto* col = pschema->Column(c);
    if (col->path()->ToDotVector().size() != 1) continue;  // nested leaves: no stats
    std::string name = col->name();
    if (std::find(partition_by.begin(), partition_by.end(), name) != partition_by.end()) continue;
    if (indexed.count(name) == 0) continue;
    auto field = schema.GetFieldByName(name);
    if (!field) continue;
    std::shared_ptr<arrow::Scalar> lo, hi;
    int64_t null_count = 0;
    bool complete = true;
    for (int rg = 0; rg < md.num_row_groups(); ++rg) {
      auto chunk = md.RowGroup(rg)->ColumnChunk(c);
      auto st = chunk->statistics();
      if (!st) {
        complete = false;
        break;
      }
      null_count += st->null_count();
      if (!st->HasMinMax()) continue;
      std::shared_ptr<arrow::Scalar> mn, mx;
      if (!parquet::arrow::StatisticsAsScalars(*st, &mn, &mx).ok()) {
        complete = false;
        break;
      }
      auto cast_mn = mn->CastTo(field->type());
      auto cast_mx = mx->CastTo(field->type());
      if (cast_mn.ok()) mn = *cast_mn;
      if (cast_mx.ok()) mx = *cast_mx;
      auto less = [](const std::shared_ptr<arrow::Scalar>& a,
                     const std::shared_ptr<arrow::Scalar>& b) {
        auto r = arrow::compute::CallFunction("less", {a, b});
        return r.ok() && r->scalar()->is_valid &&
               static_cast<const arrow::BooleanScalar&>(*r->scalar()).value;
      };
      if (!lo || less(mn, lo)) lo = mn;
      if (!hi || less(hi, mx)) hi = mx;
    }
    if (!complete) continue;
    nulls.Set(name, null_count);
    if (lo) {
      if (auto j = StatJson(*lo, false)) mins.Set(name, *j);
    }
    if (hi) {
      if (auto j = StatJson(*hi, true)) maxs.Set(name, *j);
    }
  }
  stats.Set("minValues", std::move(mins));
  stats.Set("maxValues", std::move(maxs));
  stats.Set("nullCount", std::move(nulls));
  return stats;
}

std::string NullFallback() { return "__HIVE_DEFAULT_PARTITION__"; }

// Hive directory segments "col=value" of a relative path (values percent-decoded once).
Result<std::map<std::string, std::optional<std::string>>> PartitionValuesOf(
    const std::string& relative, const std::vector<std::string>& columns) {
  std::map<std::string, std::optional<std::string>> out;
  size_t start = 0;
  while (true) {
    size_t end = relative.find('/', start);
    if (end == std::string::npos) break;
    std::string seg = relative.substr(start, end - start);
    size_t eq = seg.find('=');
    if (eq != std::string::npos) {
      std::string col = seg.substr(0, eq);
      CA_ASSIGN_OR_RAISE(auto value, PercentDecode(seg.substr(eq + 1)));
      if (value == NullFallback()) {
        out[col] = std::nullopt;
      } else {
        out[col] = value;
      }
    }
    start = end + 1;
  }
  for (const auto& c : columns) {
    if (!out.count(c)) out[c] = std::nullopt;
  }
  return out;
}

parquet::WriterProperties::Builder WriterPropertiesBuilder(arrow::Compression::type codec) {
  parquet::WriterProperties::Builder b;
  b.compression(codec);
  return b;
}

// Yields `first`, then the rest of `rest`.
class PrependedReader : public arrow::RecordBatchReader {
 public:
  PrependedReader(std::shared_ptr<arrow::RecordBatch> first,
                  std::shared_ptr<arrow::RecordBatchReader> rest)
      : first_(std::move(first)), rest_(std::move(rest)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return rest_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    if (first_) {
      *out = std::move(first_);
      first_ = nullptr;
      return Status::OK();
    }
    return rest_->ReadNext(out);
  }

 private:
  std::shared_ptr<arrow::RecordBatch> first_;
  std::shared_ptr<arrow::RecordBatchReader> rest_;
};

// Rows per file for files of about `target_bytes`: the first batch is written to memory as
// Parquet (same properties) to measure its bytes per row. `data` is replaced by a reader that
// still yields that batch.
Result<int64_t> RowsForTargetSize(std::shared_ptr<arrow::RecordBatchReader>* data,
                                  int64_t target_bytes, arrow::Compression::type codec) {
  std::shared_ptr<arrow::RecordBatch> first;
  CA_RETURN_NOT_OK((*data)->ReadNext(&first));
  if (!first) return int64_t{1} << 22;
  *data = std::make_shared<PrependedReader>(first, *data);
  if (first->num_rows() == 0) return int64_t{1} << 22;
  CA_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
  CA_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches({first}));
  CA_RETURN_NOT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink,
                                              first->num_rows(),
                                              WriterPropertiesBuilder(codec).build()));
  CA_ASSIGN_OR_RAISE(auto buffer, sink->Finish());
  double per_row = static_cast<double>(buffer->size()) / static_cast<double>(first->num_rows());
  return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(target_bytes) / per_row));
}

}  // namespace

std::string NewUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  char out[64];
  std::snprintf(out, sizeof(out), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

Result<std::vector<WrittenFile>> WriteDataFiles(std::shared_ptr<arrow::fs::FileSystem> fs,
                                                const std::string& root,
                                                std::shared_ptr<arrow::RecordBatchReader> data,
                                                const arrow::Schema& schema,
                                                const WriteOptions& options, DataFileKind kind) {
  auto format = std::make_shared<ds::ParquetFileFormat>();
  auto write_options = format->DefaultWriteOptions();
  auto pq_options = std::static_pointer_cast<ds::ParquetFileWriteOptions>(write_options);
  const auto codec = options.compression;
  pq_options->writer_properties = WriterPropertiesBuilder(codec).build();
  pq_options->arrow_writer_properties = parquet::ArrowWriterProperties::Builder()
                                            .coerce_timestamps(arrow::TimeUnit::MICRO)
                                            ->allow_truncated_timestamps()
                                            ->store_schema()
                                            ->build();
  ds::FileSystemDatasetWriteOptions w;
  w.file_write_options = write_options;
  w.filesystem = fs;
  w.base_dir = kind == DataFileKind::kChange ? root + "/_change_data" : root;
  std::vector<std::shared_ptr<arrow::Field>> part_fields;
  for (const auto& c : options.partition_by) part_fields.push_back(schema.GetFieldByName(c));
  w.partitioning = std::make_shared<ds::HivePartitioning>(
      arrow::schema(part_fields), arrow::ArrayVector{},
      ds::HivePartitioningOptions::DefaultsWithNullFallback(NullFallback()));
  std::string prefix = (kind == DataFileKind::kChange ? "cdc-" : "part-") + NewUuid() + "-";
  w.basename_template = prefix + "{i}." +
                        (codec == arrow::Compression::UNCOMPRESSED
                             ? std::string()
                             : arrow::util::Codec::GetCodecAsString(codec) + ".") +
                        "parquet";
  const std::set<std::string> indexed = IndexedColumns(schema, options);
  int64_t rows_per_file = options.max_rows_per_file;
  if (options.target_file_size > 0) {
    CA_ASSIGN_OR_RAISE(int64_t sized, RowsForTargetSize(&data, options.target_file_size, codec));
    rows_per_file = std::min(rows_per_file, sized);
  }
  w.max_rows_per_file = static_cast<uint64_t>(rows_per_file);
  w.max_rows_per_group = std::min<uint64_t>(w.max_rows_per_file, 1 << 20);
  // Batches arrive in 32k-row pieces: without a minimum each becomes its own row group
  // (larger files, slower writes).
  w.min_rows_per_group = w.max_rows_per_group;
  w.existing_data_behavior = ds::ExistingDataBehavior::kOverwriteOrIgnore;
  std::mutex mu;
  std::vector<WrittenFile> files;
  w.writer_post_finish = [&](ds::FileWriter* writer) -> Status {
    WrittenFile f;
    std::string path = writer->destination().path;
    f.relative = path.substr(root.size() + 1);
    CA_ASSIGN_OR_RAISE(f.size, writer->GetBytesWritten());
    auto* pw = static_cast<ds::ParquetFileWriter*>(writer);
    f.rows = pw->parquet_writer()->metadata()->num_rows();
    f.stats = FileStatsOf(*pw->parquet_writer()->metadata(), schema, options.partition_by, indexed);
    CA_ASSIGN_OR_RAISE(f.partition_values, PartitionValuesOf(f.relative, options.partition_by));
    std::lock_guard<std::mutex> lock(mu);
    files.push_back(std::move(f));
    return Status::OK();
  };
  auto builder = ds::ScannerBuilder::FromRecordBatchReader(std::move(data));
  CA_RETURN_NOT_OK(builder->UseThreads(false));
  CA_ASSIGN_OR_RAISE(auto scanner, builder->Finish());
  CA_RETURN_NOT_OK(ds::FileSystemDataset::Write(w, scanner));
  std::sort(files.begin(), files.end(),
            [](const WrittenFile& a, const WrittenFile& b) { return a.relative < b.relative; });
  return files;
}

}  // namespace codeanatomy::delta
