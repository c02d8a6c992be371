// A view: a named logical plan (SQL CREATE VIEW). It sits in the catalog like any table and is
// inlined wherever it is used, so the optimizer sees through it.
#pragma once

#include <memory>
#include <string>

#include "engine/logical_plan.h"
#include "engine/table_provider.h"

namespace codeanatomy::engine {

class ViewProvider : public TableProvider {
 public:
  ViewProvider(PlanPtr plan, std::string definition)
      : plan_(std::move(plan)), definition_(std::move(definition)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return plan_->schema; }
  std::string kind() const override { return "view"; }
  /// Never called by the engine: views are inlined, not scanned.
  Result<arrow::acero::Declaration> Scan(const ScanRequest& request) override;

  const PlanPtr& plan() const { return plan_; }
  /// The text that defined the view (for DESCRIBE and errors).
  const std::string& definition() const { return definition_; }

 private:
  PlanPtr plan_;
  std::string definition_;
};

/// The plan reading a catalog entry: a scan for tables, the inlined plan for views.
Result<PlanPtr> PlanForProvider(const std::string& name, std::shared_ptr<TableProvider> provider);

}  // namespace codeanatomy::engine
