#include "abi_export.h"

#include <cstring>
#include <exception>

#include <arrow/acero/exec_plan.h>
#include <arrow/c/bridge.h>
#include <arrow/compute/expression.h>
#include <arrow/compute/registry.h>

#include "plugin_host/plugin_filters.h"

namespace codeanatomy::plugin {

namespace {

namespace cp = arrow::compute;

struct ProviderData {
  std::shared_ptr<engine::TableProvider> provider;
};

const engine::TableProvider& Provider(const CaTableProvider* self) {
  return *static_cast<const ProviderData*>(self->private_data)->provider;
}

// Yields at most `limit` rows of `input`.
class LimitedReader : public arrow::RecordBatchReader {
 public:
  LimitedReader(std::shared_ptr<arrow::RecordBatchReader> input, int64_t limit)
      : input_(std::move(input)), left_(limit) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    if (left_ <= 0) {
      *out = nullptr;
      return Status::OK();
    }
    CA_RETURN_NOT_OK(input_->ReadNext(out));
    if (*out && (*out)->num_rows() > left_) *out = (*out)->Slice(0, left_);
    if (*out) left_ -= (*out)->num_rows();
    return Status::OK();
  }
  Status Close() override { return input_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  int64_t left_;
};

Result<std::shared_ptr<arrow::RecordBatchReader>> ScanReader(const engine::TableProvider& p,
                                                             const int32_t* projection,
                                                             int64_t n_projection, int64_t limit,
                                                             cp::Expression filter) {
  engine::ScanRequest request;
  request.filter = std::move(filter);
  const int width = p.schema()->num_fields();
  if (projection == nullptr) {
    for (int i = 0; i < width; ++i) request.columns.push_back(i);
  } else {
    for (int64_t i = 0; i < n_projection; ++i) {
      if (projection[i] < 0 || projection[i] >= width) {
        return ArgumentError("projection index " + std::to_string(projection[i]) +
                             " is out of range (the table has " + std::to_string(width) +
                             " columns)");
      }
      request.columns.push_back(projection[i]);
    }
  }
  request.registry = arrow::compute::GetFunctionRegistry();
  request.table_name = p.kind();
  // Scan takes a non-const provider (a stream provider hands out its reader once).
  auto& provider = const_cast<engine::TableProvider&>(p);
  CA_ASSIGN_OR_RAISE(auto declaration, provider.Scan(request));
  CA_ASSIGN_OR_RAISE(std::shared_ptr<arrow::RecordBatchReader> reader,
                     arrow::acero::DeclarationToReader(std::move(declaration),
                                                       /*use_threads=*/true));
  if (limit >= 0) reader = std::make_shared<LimitedReader>(std::move(reader), limit);
  return reader;
}

int Schema(const CaTableProvider* self, ArrowSchema* out, CaPluginError* error) {
  return Guarded(
      error, [&] { return SetError(arrow::ExportSchema(*Provider(self).schema(), out), error); });
}

int Scan(const CaTableProvider* self, const int32_t* projection, int64_t n_projection,
         const uint8_t* filters, int64_t filters_size, int64_t limit, ArrowArrayStream* out,
         CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    // The filters prune files (a hint, as for a native scan); the host filters what comes back.
    auto decoded = plugin_host::DeserializeFilters(filters, filters_size, Provider(self).schema());
    if (!decoded.ok()) return SetError(decoded.status(), error);
    cp::Expression filter = cp::literal(true);
    for (auto& f : *decoded) filter = cp::and_(std::move(filter), std::move(f));
    auto reader = ScanReader(Provider(self), projection, n_projection, limit, std::move(filter));
    if (!reader.ok()) return SetError(reader.status(), error);
    return SetError(arrow::ExportRecordBatchReader(*reader, out), error);
  });
}

// Every filter Substrait brings is taken as a pruning hint (inexact): the host re-applies it.
int SupportsFilters(const CaTableProvider* self, const uint8_t* substrait, int64_t substrait_size,
                    int64_t n_filters, int32_t* support, CaPluginError* error) {
  return Guarded(error, [&]() -> int {
    auto decoded =
        plugin_host::DeserializeFilters(substrait, substrait_size, Provider(self).schema());
    if (!decoded.ok()) return SetError(decoded.status(), error);
    if (static_cast<int64_t>(decoded->size()) != n_filters) {
      return SetError(
          ArgumentError("supports_filters: " + std::to_string(n_filters) + " filters announced, " +
                        std::to_string(decoded->size()) + " given"),
          error);
    }
    for (int64_t i = 0; i < n_filters; ++i) support[i] = CA_FILTER_INEXACT;
    return CA_OK;
  });
}

void Release(CaTableProvider* self) {
  delete static_cast<ProviderData*>(self->private_data);
  self->private_data = nullptr;
  self->release = nullptr;
}

}  // namespace

int SetError(const Status& status, CaPluginError* error) {
  if (status.ok()) return CA_OK;
  auto info = DescribeError(status);
  int code = info.is_invalid_argument || status.IsInvalid() ? CA_ERR_INVALID_ARGUMENT
             : status.IsNotImplemented()                    ? CA_ERR_NOT_SUPPORTED
             : status.IsKeyError()                          ? CA_ERR_NOT_FOUND
                                                            : CA_ERR_EXECUTION;
  if (error != nullptr) {
    // "[stage/CODE] message", then the details JSON after a record separator: the host
    // (plugin_host.cc CallFailed) raises it with the same stage, code and details.
    std::string text = "[" + info.stage + "/" + info.code + "] " + info.message;
    if (!info.details_json.empty()) text += "\x1e" + info.details_json;
    size_t n = std::min(text.size(), sizeof(error->message) - 1);
    std::memcpy(error->message, text.data(), n);
    error->message[n] = '\0';
    error->code = code;
  }
  return code;
}

void ExportTableProvider(std::shared_ptr<engine::TableProvider> provider, CaTableProvider* out) {
  std::memset(out, 0, sizeof(*out));
  out->struct_size = sizeof(CaTableProvider);
  out->schema = Schema;
  out->supports_filters = SupportsFilters;
  out->scan = Scan;
  out->release = Release;
  out->private_data = new ProviderData{std::move(provider)};
}

}  // namespace codeanatomy::plugin
