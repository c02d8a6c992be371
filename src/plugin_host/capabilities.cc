#include "plugin_host/capabilities.h"

#include <map>
#include <string>

#include <arrow/config.h>

#include "delta/snapshot.h"
#include "delta/table_functions.h"
#include "delta/write_policy.h"
#include "engine/session_config.h"
#include "functions/functions.h"
#include "functions/registry_tables.h"
#include "functions/window_functions.h"
#include "plugin_host/plugin_host.h"

namespace codeanatomy::plugin_host {

namespace {

JsonValue Strings(const std::vector<std::string>& values) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& v : values) out.Append(v);
  return out;
}

}  // namespace

JsonValue CapabilitiesSnapshot() {
  const auto& arrow_info = arrow::GetBuildInfo();
  JsonValue abi = JsonValue::MakeObject();
  abi.Set("major", static_cast<int64_t>(kHostAbiMajor))
      .Set("minor", static_cast<int64_t>(kHostAbiMinor));
  JsonValue delta = JsonValue::MakeObject();
  delta.Set("max_reader_version", 3)
      .Set("max_writer_version", 7)
      .Set("reader_features", Strings(delta::SupportedReaderFeatures()))
      .Set("writer_features", Strings(delta::SupportedWriterFeatures()))
      .Set("change_data_feed", true)
      .Set("deletion_vectors", true)
      .Set("column_mapping", true)
      .Set("time_travel", true)
      .Set("checkpoints", true);
  std::map<std::string, int64_t> counts = {
      {"scalar", 0}, {"aggregate", 0}, {"window", 0}, {"table", 0}};
  for (const auto& d : functions::CodeanatomyFunctions()) ++counts[d.kind];
  for (const auto& d : functions::WindowFunctionDescriptors()) ++counts[d.kind];
  counts["table"] += static_cast<int64_t>(delta::DeltaTableFunctions().size() +
                                          functions::RegistryTableFunctions(nullptr).size());
  JsonValue functions = JsonValue::MakeObject();
  for (const auto& [kind, n] : counts) functions.Set(kind, n);
  JsonValue out = JsonValue::MakeObject();
  out.Set("version", kCapabilitiesVersion)
      .Set("engine_version", engine::kEngineVersion)
      .Set("engine_major", static_cast<int64_t>(kEngineMajor))
      .Set("arrow_version", arrow_info.version_string)
      .Set("arrow_major", static_cast<int64_t>(arrow_info.version_major))
      .Set("plugin_abi", std::move(abi))
      .Set("delta", std::move(delta))
      .Set("functions", std::move(functions))
      .Set("table_providers", Strings({"delta", "delta_cdf"}))
      .Set("features", Strings({"sql", "dataframe", "plugins", "delta_read", "delta_write",
                                "delta_cdf", "registry_snapshot"}));
  return out;
}

}  // namespace codeanatomy::plugin_host
