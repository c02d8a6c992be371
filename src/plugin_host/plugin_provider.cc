#include "plugin_host/plugin_provider.h"

#include <cstring>

#include <arrow/acero/options.h>
#include <arrow/c/bridge.h>
#include <arrow/io/interfaces.h>
#include <arrow/table.h>

#include "plugin_host/plugin_filters.h"
#include "plugin_host/plugin_host.h"
#include "plugin_host/plugin_values.h"

namespace codeanatomy::plugin_host {

namespace cp = arrow::compute;
namespace ac = arrow::acero;

namespace {

struct ProviderHandle {
  std::shared_ptr<Plugin> plugin;
  CaTableProvider provider;
  ~ProviderHandle() {
    if (provider.release != nullptr) provider.release(&provider);
  }
};

class PluginTableProvider : public engine::TableProvider {
 public:
  PluginTableProvider(std::shared_ptr<ProviderHandle> handle, std::string name,
                      std::shared_ptr<arrow::Schema> schema)
      : handle_(std::move(handle)), name_(std::move(name)), schema_(std::move(schema)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "plugin:" + name_; }

  Result<ac::Declaration> Scan(const engine::ScanRequest& request) override {
    const std::string& path = handle_->plugin->path();
    std::vector<std::shared_ptr<arrow::Field>> fields;
    for (int c : request.columns) fields.push_back(schema_->field(c));
    auto projected = arrow::schema(fields);
    if (request.explain_only) {
      CA_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(projected));
      return ac::Declaration("table_source", ac::TableSourceNodeOptions(std::move(empty)));
    }
    std::vector<int32_t> projection(request.columns.begin(), request.columns.end());
    const CaTableProvider& p = handle_->provider;
    CA_ASSIGN_OR_RAISE(auto filters, PushedFilters(request.filter));
    ArrowArrayStream stream;
    stream.release = nullptr;
    CaPluginError error = NewError();
    int rc = p.scan(&p, projection.data(), static_cast<int64_t>(projection.size()),
                    filters ? filters->data() : nullptr, filters ? filters->size() : 0, -1, &stream,
                    &error);
    if (rc != CA_OK) {
      if (stream.release != nullptr) stream.release(&stream);
      return CallFailed(path, "scan of '" + name_ + "'", error);
    }
    if (stream.release == nullptr) {
      return PluginError("PLUGIN_BAD_RESULT", path, "scan of '" + name_ + "' returned no stream");
    }
    auto reader = arrow::ImportRecordBatchReader(&stream);
    if (!reader.ok()) {
      return PluginError(
          "PLUGIN_BAD_RESULT", path,
          "scan of '" + name_ + "' returned an invalid stream: " + reader.status().message());
    }
    if (!(*reader)->schema()->Equals(*projected, /*check_metadata=*/false)) {
      return PluginError("PLUGIN_BAD_RESULT", path,
                         "scan of '" + name_ + "' returned " + (*reader)->schema()->ToString() +
                             ", not the projected schema " + projected->ToString());
    }
    return ac::Declaration("record_batch_reader_source",
                           ac::RecordBatchReaderSourceNodeOptions(
                               *reader, arrow::io::default_io_context().executor()));
  }

  /// The conjuncts of the filter hint Substrait can carry and the provider takes (all but
  /// CA_FILTER_UNSUPPORTED ones), serialized; null when none. The engine applies the whole
  /// filter after the scan either way, so inexact and exact filters are equally safe.
  Result<std::shared_ptr<arrow::Buffer>> PushedFilters(const cp::Expression& filter) const {
    const CaTableProvider& p = handle_->provider;
    if (p.supports_filters == nullptr) return nullptr;
    auto conjuncts = PushableConjuncts(filter, schema_);
    if (conjuncts.empty()) return nullptr;
    CA_ASSIGN_OR_RAISE(auto all, SerializeFilters(conjuncts, schema_));
    std::vector<int32_t> support(conjuncts.size(), CA_FILTER_UNSUPPORTED);
    CaPluginError error = NewError();
    int rc = p.supports_filters(&p, all->data(), all->size(),
                                static_cast<int64_t>(conjuncts.size()), support.data(), &error);
    if (rc != CA_OK)
      return CallFailed(handle_->plugin->path(), "supports_filters of '" + name_ + "'", error);
    std::vector<cp::Expression> taken;
    for (size_t i = 0; i < conjuncts.size(); ++i) {
      if (support[i] == CA_FILTER_INEXACT || support[i] == CA_FILTER_EXACT) {
        taken.push_back(conjuncts[i]);
      } else if (support[i] != CA_FILTER_UNSUPPORTED) {
        return PluginError("PLUGIN_BAD_RESULT", handle_->plugin->path(),
                           "supports_filters of '" + name_ + "' answered " +
                               std::to_string(support[i]) + ", not a CaFilterSupport");
      }
    }
    if (taken.empty()) return nullptr;
    if (taken.size() == conjuncts.size()) return all;
    return SerializeFilters(taken, schema_);
  }

 private:
  std::shared_ptr<ProviderHandle> handle_;
  std::string name_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

Result<std::shared_ptr<engine::TableProvider>> WrapPluginProvider(std::shared_ptr<Plugin> plugin,
                                                                  CaTableProvider* provider,
                                                                  const std::string& name) {
  auto handle = std::make_shared<ProviderHandle>();
  handle->plugin = std::move(plugin);
  handle->provider = *provider;
  provider->release = nullptr;  // taken
  const std::string& path = handle->plugin->path();
  const CaTableProvider& p = handle->provider;
  if (p.struct_size < sizeof(CaTableProvider) || p.schema == nullptr || p.scan == nullptr) {
    return PluginError("PLUGIN_BAD_RESULT", path,
                       "table provider '" + name + "' is incomplete (struct size or NULL methods)");
  }
  ArrowSchema schema;
  schema.release = nullptr;
  CaPluginError error = NewError();
  int rc = p.schema(&p, &schema, &error);
  if (rc != CA_OK) {
    if (schema.release != nullptr) schema.release(&schema);
    return CallFailed(path, "schema of '" + name + "'", error);
  }
  auto imported = arrow::ImportSchema(&schema);
  if (!imported.ok()) {
    return PluginError(
        "PLUGIN_BAD_RESULT", path,
        "table provider '" + name + "' returned an invalid schema: " + imported.status().message());
  }
  return std::make_shared<PluginTableProvider>(std::move(handle), name, *imported);
}

}  // namespace codeanatomy::plugin_host
