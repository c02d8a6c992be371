#include "engine/window_udf.h"

#include <arrow/compute/function.h>
#include <arrow/util/string.h>

namespace codeanatomy::engine {

namespace cp = arrow::compute;
using arrow::internal::AsciiToLower;

namespace {

// Registry names of window functions: a prefix no SQL identifier or Arrow function has.
constexpr std::string_view kPrefix = "window_udf::";
// Aliases may name aliases; a cycle stops here.
constexpr int kMaxAliasHops = 8;

/// A window function's registry entry. As a compute function it only refuses to run: window
/// functions are called by the window operator, never as scalar functions.
class WindowFunctionHolder : public cp::MetaFunction {
 public:
  WindowFunctionHolder(const std::string& name, WindowFunctionEntry entry)
      : cp::MetaFunction(std::string(kPrefix) + name, cp::Arity::VarArgs(0),
                         cp::FunctionDoc("Window function " + name, "", {})),
        entry_(std::move(entry)) {}

  const WindowFunctionEntry& entry() const { return entry_; }

 protected:
  Result<arrow::Datum> ExecuteImpl(const std::vector<arrow::Datum>&, const cp::FunctionOptions*,
                                   cp::ExecContext*) const override {
    return InvalidError(stage::kPlanning, "WINDOW_FUNCTION_NOT_SCALAR",
                        "window function " + entry_.target + " needs an OVER clause");
  }

 private:
  WindowFunctionEntry entry_;
};

Status Add(arrow::compute::FunctionRegistry* registry, const std::string& name,
           WindowFunctionEntry entry) {
  auto fn = std::make_shared<WindowFunctionHolder>(AsciiToLower(name), std::move(entry));
  return registry->AddFunction(std::move(fn), /*allow_overwrite=*/true);
}

const WindowFunctionHolder* Find(arrow::compute::FunctionRegistry* registry,
                                 const std::string& lower_name) {
  auto fn = registry->GetFunction(std::string(kPrefix) + lower_name);
  if (!fn.ok()) return nullptr;
  return dynamic_cast<const WindowFunctionHolder*>(fn->get());
}

}  // namespace

Status RegisterWindowUdf(arrow::compute::FunctionRegistry* registry,
                         std::shared_ptr<const WindowUdf> udf) {
  if (udf == nullptr) return Status::Invalid("RegisterWindowUdf: null window function");
  WindowFunctionEntry entry{udf, AsciiToLower(udf->name())};
  CA_RETURN_NOT_OK(Add(registry, udf->name(), entry));
  for (const auto& alias : udf->aliases()) CA_RETURN_NOT_OK(Add(registry, alias, entry));
  return Status::OK();
}

Status RegisterWindowAlias(arrow::compute::FunctionRegistry* registry, const std::string& alias,
                           const std::string& target) {
  return Add(registry, alias, WindowFunctionEntry{nullptr, AsciiToLower(target)});
}

WindowFunctionEntry ResolveWindowName(arrow::compute::FunctionRegistry* registry,
                                      const std::string& name) {
  std::string current = AsciiToLower(name);
  for (int hop = 0; registry != nullptr && hop < kMaxAliasHops; ++hop) {
    const WindowFunctionHolder* holder = Find(registry, current);
    if (holder == nullptr) break;
    if (holder->entry().udf) return holder->entry();
    if (holder->entry().target == current) break;
    current = holder->entry().target;
  }
  return WindowFunctionEntry{nullptr, current};
}

std::shared_ptr<const WindowUdf> LookupWindowUdf(arrow::compute::FunctionRegistry* registry,
                                                 const std::string& name) {
  return ResolveWindowName(registry, name).udf;
}

}  // namespace codeanatomy::engine
