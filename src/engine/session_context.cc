#include "engine/session_context.h"

#include <set>

#include "common/tracing.h"
#include "engine/view.h"

namespace codeanatomy::engine {

Result<SessionContext> SessionContext::Make(SessionConfig config) {
  tracing::Span span("SessionContext.make");
  CA_ASSIGN_OR_RAISE(auto state, SessionState::Make(std::move(config)));
  return SessionContext(std::move(state));
}

Status SessionContext::RegisterTable(const std::string& name, std::shared_ptr<arrow::Table> table) {
  tracing::Span span("SessionContext.register_table");
  span.SetAttribute("table", name);
  CA_ASSIGN_OR_RAISE(auto provider, MemoryTableProvider::Make(std::move(table)));
  return RegisterProvider(name, std::move(provider));
}

Status SessionContext::RegisterReader(const std::string& name,
                                      std::shared_ptr<arrow::RecordBatchReader> reader) {
  tracing::Span span("SessionContext.register_reader");
  span.SetAttribute("table", name);
  return RegisterProvider(name, std::make_shared<StreamTableProvider>(std::move(reader)));
}

Status SessionContext::RegisterParquet(const std::string& name, const std::string& path) {
  tracing::Span span("SessionContext.register_parquet");
  span.SetAttribute("table", name);
  CA_ASSIGN_OR_RAISE(auto provider, ParquetTableProvider::Open(path));
  return RegisterProvider(name, std::move(provider));
}

Status SessionContext::RegisterProvider(const std::string& name,
                                        std::shared_ptr<TableProvider> provider) {
  // Columns are addressed by name everywhere (expressions, joins, pushdown): a table with two
  // columns of one name could not be queried unambiguously.
  std::set<std::string> seen;
  for (const auto& field : provider->schema()->fields()) {
    if (!seen.insert(field->name()).second) {
      return InvalidError(
          stage::kValidation, "DUPLICATE_COLUMN",
          "table '" + name + "' has more than one column named '" + field->name() +
              "'; rename them before registering",
          "{\"table\":" + JsonQuote(name) + ",\"column\":" + JsonQuote(field->name()) + "}");
    }
  }
  return state_->catalog().Register(name, std::move(provider));
}

Status SessionContext::Deregister(const std::string& name) {
  tracing::Span span("SessionContext.deregister");
  return state_->catalog().Deregister(name);
}

std::vector<std::string> SessionContext::Tables() const { return state_->catalog().List(); }

Result<DataFrame> SessionContext::Table(const std::string& name) const {
  tracing::Span span("SessionContext.table");
  span.SetAttribute("table", name);
  CA_ASSIGN_OR_RAISE(auto provider, state_->catalog().Lookup(name));
  CA_ASSIGN_OR_RAISE(auto scan, PlanForProvider(name, std::move(provider)));
  return DataFrame(state_, std::move(scan));
}

}  // namespace codeanatomy::engine
