#include "engine/bind_time_arguments.h"

#include <arrow/compute/kernel.h>

namespace codeanatomy::engine {

namespace cp = arrow::compute;

namespace {

class BindTimeArgumentsType : public cp::FunctionOptionsType {
 public:
  const char* type_name() const override { return BindTimeArguments::kTypeName; }

  std::string Stringify(const cp::FunctionOptions& options) const override {
    const auto& o = static_cast<const BindTimeArguments&>(options);
    std::string out = "BindTimeArguments(constants=[";
    for (size_t i = 0; i < o.constants.size(); ++i) {
      if (i > 0) out += ", ";
      out += o.constants[i] ? o.constants[i]->ToString() : "-";
    }
    out += "], metadata=[";
    for (size_t i = 0; i < o.metadata.size(); ++i) {
      if (i > 0) out += ", ";
      out += o.metadata[i] ? o.metadata[i]->ToString() : "-";
    }
    return out + "])";
  }

  bool Compare(const cp::FunctionOptions& a, const cp::FunctionOptions& b) const override {
    const auto& x = static_cast<const BindTimeArguments&>(a);
    const auto& y = static_cast<const BindTimeArguments&>(b);
    if (x.constants.size() != y.constants.size() || x.metadata.size() != y.metadata.size()) {
      return false;
    }
    for (size_t i = 0; i < x.constants.size(); ++i) {
      if ((x.constants[i] == nullptr) != (y.constants[i] == nullptr)) return false;
      if (x.constants[i] && !x.constants[i]->Equals(*y.constants[i])) return false;
    }
    for (size_t i = 0; i < x.metadata.size(); ++i) {
      if ((x.metadata[i] == nullptr) != (y.metadata[i] == nullptr)) return false;
      if (x.metadata[i] && !x.metadata[i]->Equals(*y.metadata[i])) return false;
    }
    return true;
  }

  std::unique_ptr<cp::FunctionOptions> Copy(const cp::FunctionOptions& options) const override {
    return std::make_unique<BindTimeArguments>(static_cast<const BindTimeArguments&>(options));
  }

  static const BindTimeArgumentsType* Instance() {
    static const BindTimeArgumentsType type;
    return &type;
  }
};

struct BindTimeArgumentsState : public cp::KernelState {
  explicit BindTimeArgumentsState(BindTimeArguments o) : options(std::move(o)) {}
  BindTimeArguments options;
};

}  // namespace

BindTimeArguments::BindTimeArguments() : cp::FunctionOptions(BindTimeArgumentsType::Instance()) {}

bool WantsBindTimeArguments(const cp::Function& function) {
  const cp::FunctionOptions* defaults = function.default_options();
  return defaults != nullptr && defaults->options_type() == BindTimeArgumentsType::Instance();
}

const BindTimeArguments* BindTimeArgumentsOf(cp::KernelContext* ctx) {
  auto* state = dynamic_cast<BindTimeArgumentsState*>(ctx->state());
  return state != nullptr ? &state->options : nullptr;
}

arrow::Result<std::unique_ptr<cp::KernelState>> BindTimeArgumentsInit(
    cp::KernelContext*, const cp::KernelInitArgs& args) {
  const auto* options =
      args.options != nullptr && args.options->options_type() == BindTimeArguments().options_type()
          ? static_cast<const BindTimeArguments*>(args.options)
          : nullptr;
  return std::make_unique<BindTimeArgumentsState>(options ? *options : BindTimeArguments());
}

}  // namespace codeanatomy::engine
