#include "engine/view.h"

namespace codeanatomy::engine {

Result<arrow::acero::Declaration> ViewProvider::Scan(const ScanRequest& request) {
  return InvalidError(stage::kPlanning, "VIEW_NOT_SCANNABLE",
                      "view '" + request.table_name + "' must be inlined, not scanned",
                      "{\"table\":" + JsonQuote(request.table_name) + "}");
}

Result<PlanPtr> PlanForProvider(const std::string& name, std::shared_ptr<TableProvider> provider) {
  if (auto view = std::dynamic_pointer_cast<ViewProvider>(provider)) return view->plan();
  return plan::Scan(name, std::move(provider));
}

}  // namespace codeanatomy::engine
