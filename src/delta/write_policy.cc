#include "delta/write_policy.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <vector>

#include <arrow/util/key_value_metadata.h>
#include <arrow/util/string.h>

#include "delta/delta_error.h"

namespace codeanatomy::delta {

const std::vector<std::string>& SupportedWriterFeatures() {
  static const std::vector<std::string> kFeatures = {"appendOnly", "invariants", "checkConstraints",
                                                     "changeDataFeed", "timestampNtz"};
  return kFeatures;
}

// Refuses tables whose protocol asks writers for what this one does not do. Writer version 2
// (appendOnly, invariants), 3 (checkConstraints), 4 (changeDataFeed; generatedColumns only when
// no column is generated) and 7 with the same features named.
Status CheckWriterFeatures(const Snapshot& snap) {
  const Protocol& p = snap.protocol();
  const std::string& uri = snap.table_uri();
  auto refuse = [&](const std::string& feature) {
    return DeltaError("UNSUPPORTED_WRITER_FEATURE",
                      "table '" + uri + "' requires writer feature '" + feature +
                          "', which this writer does not implement",
                      "\"table_uri\":" + JsonQuote(uri) + ",\"feature\":" + JsonQuote(feature));
  };
  bool generated =
      snap.metadata().schema_string.find("delta.generationExpression") != std::string::npos;
  if (p.min_writer_version == 7) {
    const std::vector<std::string>& kOk = SupportedWriterFeatures();
    // variantType and deletionVectors bind writers only where a column is a variant or a file
    // has a deletion vector: this writer writes neither (its rewrites drop deletion vectors).
    bool variant = snap.metadata().schema_string.find(R"("type":"variant")") != std::string::npos;
    for (const auto& f : p.writer_features) {
      if (f == "variantType" && !variant) continue;
      if (f == "deletionVectors") continue;
      if (std::find(kOk.begin(), kOk.end(), f) == kOk.end()) return refuse(f);
    }
    return Status::OK();
  }
  if (p.min_writer_version > 4) {
    return refuse(p.min_writer_version == 5 ? "columnMapping"
                  : p.min_writer_version == 6
                      ? "identityColumns"
                      : "writer version " + std::to_string(p.min_writer_version));
  }
  if (p.min_writer_version == 4 && generated) return refuse("generatedColumns");
  return Status::OK();
}

// The writer version a new table with `configuration` needs (PROTOCOL.md "Writer Version
// Requirements").
int64_t MinWriterVersion(const std::map<std::string, std::string>& configuration) {
  int64_t version = 2;
  for (const auto& [key, value] : configuration) {
    if (key.rfind("delta.constraints.", 0) == 0) version = std::max<int64_t>(version, 3);
    if (key == "delta.enableChangeDataFeed" &&
        arrow::internal::AsciiEqualsCaseInsensitive(value, "true")) {
      version = std::max<int64_t>(version, 4);
    }
  }
  return version;
}

// "134217728", "128mb", "1 GiB": a size in bytes.
Result<int64_t> ParseByteSize(const std::string& text) {
  size_t pos = 0;
  int64_t value = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    value = value * 10 + (text[pos++] - '0');
    if (value > (int64_t{1} << 50)) break;
  }
  while (pos < text.size() && text[pos] == ' ') ++pos;
  std::string unit = arrow::internal::AsciiToLower(text.substr(pos));
  static const std::vector<std::pair<std::string, int64_t>> kUnits = {
      {"", 1},          {"b", 1},        {"k", 1 << 10},  {"kb", 1 << 10},
      {"kib", 1 << 10}, {"m", 1 << 20},  {"mb", 1 << 20}, {"mib", 1 << 20},
      {"g", 1 << 30},   {"gb", 1 << 30}, {"gib", 1 << 30}};
  for (const auto& [name, scale] : kUnits) {
    if (unit == name && pos > 0 && value > 0 && value <= (int64_t{1} << 40) / scale) {
      return value * scale;
    }
  }
  return DeltaError("INVALID_TABLE_PROPERTY",
                    "delta.targetFileSize must be a positive size in bytes (e.g. 134217728 or "
                    "128mb), not '" +
                        text + "'",
                    "\"property\":\"delta.targetFileSize\"");
}

bool HasInvariants(const arrow::FieldVector& fields) {
  for (const auto& f : fields) {
    if (f->metadata() && f->metadata()->Contains("delta.invariants")) return true;
    if (HasInvariants(f->type()->fields())) return true;
  }
  return false;
}

Status ApplyDataFileProperties(const std::map<std::string, std::string>& props,
                               WriteOptions* options) {
  if (auto it = props.find("delta.targetFileSize");
      it != props.end() && options->target_file_size <= 0) {
    CA_ASSIGN_OR_RAISE(options->target_file_size, ParseByteSize(it->second));
  }
  // Data skipping statistics: the first N leaf columns or the named ones.
  if (auto it = props.find("delta.dataSkippingNumIndexedCols"); it != props.end()) {
    char* end = nullptr;
    long long n = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n < -1) {
      return DeltaError(
          "INVALID_TABLE_PROPERTY",
          "delta.dataSkippingNumIndexedCols must be an integer >= -1, not '" + it->second + "'",
          "\"property\":\"delta.dataSkippingNumIndexedCols\"");
    }
    options->num_indexed_cols = n;
  }
  if (auto it = props.find("delta.dataSkippingStatsColumns"); it != props.end()) {
    std::vector<std::string> names;
    std::string item;
    std::istringstream in(it->second);
    while (std::getline(in, item, ',')) {
      auto trimmed = arrow::internal::TrimString(item);
      if (!trimmed.empty()) names.push_back(trimmed);
    }
    options->stats_columns = std::move(names);
  }
  return Status::OK();
}

bool ChangeDataFeedEnabled(const Metadata& m) {
  auto it = m.configuration.find("delta.enableChangeDataFeed");
  return it != m.configuration.end() &&
         arrow::internal::AsciiEqualsCaseInsensitive(it->second, "true");
}

}  // namespace codeanatomy::delta
