#include "delta/change_feed.h"

#include <arrow/array/util.h>
#include <arrow/compute/api.h>

#include "delta/delta_error.h"
#include "delta/provider.h"
#include "delta/snapshot.h"

#include <parquet/arrow/reader.h>

namespace codeanatomy::delta {

namespace {

Status RangeError(const std::string& code, const std::string& message, const std::string& uri) {
  return DeltaError(code, message, "\"table_uri\":" + JsonQuote(uri));
}

// Appends the change columns to a batch of rows of one commit.
Result<std::shared_ptr<arrow::Table>> WithChangeColumns(std::shared_ptr<arrow::Table> rows,
                                                        const std::string& change_type,
                                                        int64_t version, int64_t timestamp_ms) {
  int64_t n = rows->num_rows();
  if (!change_type.empty()) {
    CA_ASSIGN_OR_RAISE(auto type_array,
                       arrow::MakeArrayFromScalar(arrow::StringScalar(change_type), n));
    CA_ASSIGN_OR_RAISE(
        rows, rows->AddColumn(rows->num_columns(), arrow::field("_change_type", arrow::utf8()),
                              std::make_shared<arrow::ChunkedArray>(type_array)));
  }
  CA_ASSIGN_OR_RAISE(auto v, arrow::MakeArrayFromScalar(arrow::Int64Scalar(version), n));
  CA_ASSIGN_OR_RAISE(
      rows, rows->AddColumn(rows->num_columns(), arrow::field("_commit_version", arrow::int64()),
                            std::make_shared<arrow::ChunkedArray>(v)));
  auto ts_type = arrow::timestamp(arrow::TimeUnit::MILLI, "UTC");
  CA_ASSIGN_OR_RAISE(auto ts,
                     arrow::MakeArrayFromScalar(arrow::TimestampScalar(timestamp_ms, ts_type), n));
  return rows->AddColumn(rows->num_columns(), arrow::field("_commit_timestamp", ts_type),
                         std::make_shared<arrow::ChunkedArray>(ts));
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> ReadChangeFeed(const std::string& uri,
                                                     const ChangeFeedOptions& o) {
  if (o.starting_version && o.starting_timestamp_ms) {
    return ArgumentError("give a starting version or a starting timestamp, not both");
  }
  if (o.ending_version && o.ending_timestamp_ms) {
    return ArgumentError("give an ending version or an ending timestamp, not both");
  }
  CA_ASSIGN_OR_RAISE(auto latest, Snapshot::Load(uri, LatestVersion{}));
  int64_t last = latest->version();
  // Timestamps pick the first commit at or after the start and the last at or before the end.
  std::vector<std::pair<int64_t, int64_t>> stamps;  // (version, ts) when timestamps are used
  if (o.starting_timestamp_ms || o.ending_timestamp_ms) {
    CA_ASSIGN_OR_RAISE(auto history, History(uri));
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      stamps.emplace_back(it->version, it->timestamp_ms);
    }
  }
  int64_t start = o.starting_version.value_or(0);
  if (o.starting_timestamp_ms) {
    start = last + 1;
    for (const auto& [v, ts] : stamps) {
      if (ts >= *o.starting_timestamp_ms) {
        start = v;
        break;
      }
    }
  }
  int64_t end = o.ending_version.value_or(last);
  if (o.ending_timestamp_ms) {
    end = -1;
    for (const auto& [v, ts] : stamps) {
      if (ts <= *o.ending_timestamp_ms) end = v;
    }
  }
  if (start < 0) return RangeError("INVALID_CHANGE_RANGE", "starting version is negative", uri);
  if (start > last) {
    if (!o.allow_out_of_range) {
      return RangeError("CHANGE_RANGE_OUT_OF_BOUNDS",
                        "table '" + uri + "' has no version " + std::to_string(start) +
                            " (latest is " + std::to_string(last) + ")",
                        uri);
    }
    start = last + 1;
  }
  if (end > last) {
    if (!o.allow_out_of_range) {
      return RangeError("CHANGE_RANGE_OUT_OF_BOUNDS",
                        "table '" + uri + "' has no version " + std::to_string(end) +
                            " (latest is " + std::to_string(last) + ")",
                        uri);
    }
    end = last;
  }
  if (start > end && !(o.allow_out_of_range && start == last + 1)) {
    return RangeError("INVALID_CHANGE_RANGE",
                      "the change range starts at version " + std::to_string(start) +
                          " after it ends at " + std::to_string(end),
                      uri);
  }
  CA_ASSIGN_OR_RAISE(auto provider, DeltaTableProvider::Make(latest));
  const auto& schema = latest->schema();
  std::vector<int> columns(schema->num_fields());
  for (int i = 0; i < schema->num_fields(); ++i) columns[i] = i;
  std::vector<std::shared_ptr<arrow::Table>> pieces;
  for (int64_t v = start; v <= end; ++v) {
    CA_ASSIGN_OR_RAISE(auto commit, ReadCommitActions(uri, v));
    auto read = [&](const FileAction& f, const std::string& change) -> Status {
      CA_ASSIGN_OR_RAISE(auto path, latest->DataFilePath(f.path));
      CA_ASSIGN_OR_RAISE(auto rows, provider->ReadFile(f, path, columns));
      CA_ASSIGN_OR_RAISE(rows, WithChangeColumns(rows, change, v, commit.timestamp_ms));
      pieces.push_back(std::move(rows));
      return Status::OK();
    };
    if (!commit.actions.cdc.empty()) {
      // cdc files hold the changed rows with their _change_type.
      std::vector<int> with_type = columns;
      for (const auto& raw : commit.actions.cdc) {
        ActionSet one;
        JsonValue wrapped = JsonValue::MakeObject();
        JsonValue body = raw;
        wrapped.Set("add", std::move(body));
        CA_RETURN_NOT_OK(AddAction(wrapped, "cdc", &one));
        const FileAction& f = one.adds.front();
        CA_ASSIGN_OR_RAISE(auto path, latest->DataFilePath(f.path));
        auto input = latest->filesystem()->OpenInputFile(path);
        if (!input.ok()) {
          return DeltaError("DATA_FILE_NOT_FOUND", "change data file '" + f.path + "' is missing",
                            "\"path\":" + JsonQuote(f.path));
        }
        CA_ASSIGN_OR_RAISE(auto rows, provider->ReadFile(f, path, columns));
        // The change type column is in the file but not in the table schema: read it apart.
        auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
        if (!reader.ok()) return reader.status();
        std::shared_ptr<arrow::Schema> file_schema;
        CA_RETURN_NOT_OK((*reader)->GetSchema(&file_schema));
        const int type_index = file_schema->GetFieldIndex("_change_type");
        std::shared_ptr<arrow::ChunkedArray> types;
        if (type_index >= 0) CA_RETURN_NOT_OK((*reader)->ReadColumn(type_index, &types));
        if (!types) {
          return DeltaError("INVALID_CHANGE_DATA",
                            "change data file '" + f.path + "' has no _change_type column",
                            "\"path\":" + JsonQuote(f.path));
        }
        CA_ASSIGN_OR_RAISE(
            rows, rows->AddColumn(rows->num_columns(), arrow::field("_change_type", arrow::utf8()),
                                  types));
        CA_ASSIGN_OR_RAISE(rows, WithChangeColumns(rows, "", v, commit.timestamp_ms));
        pieces.push_back(std::move(rows));
      }
      continue;
    }
    for (const auto& f : commit.actions.removes) {
      if (f.data_change) CA_RETURN_NOT_OK(read(f, "delete"));
    }
    for (const auto& f : commit.actions.adds) {
      if (f.data_change) CA_RETURN_NOT_OK(read(f, "insert"));
    }
  }
  if (pieces.empty()) {
    CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema));
    return WithChangeColumns(empty, "insert", 0, 0);
  }
  return arrow::ConcatenateTables(pieces);
}

}  // namespace codeanatomy::delta
