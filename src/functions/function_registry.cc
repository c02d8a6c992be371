// The bundle's catalogue (descriptors) and its installation into a session registry.
#include <algorithm>

#include <arrow/util/utf8.h>

#include "engine/session_state.h"
#include "functions/aggregate_functions.h"
#include "functions/function_kernel.h"
#include "functions/functions.h"

namespace codeanatomy::functions {

namespace {

const std::vector<internal::FunctionSpec>& AllSpecs() {
  static const auto specs = [] {
    std::vector<internal::FunctionSpec> all;
    for (auto family :
         {internal::HashFunctionSpecs, internal::SpanFunctionSpecs, internal::StringFunctionSpecs,
          internal::NestedFunctionSpecs, internal::MiscFunctionSpecs}) {
      for (auto& spec : family()) all.push_back(std::move(spec));
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return all;
  }();
  return specs;
}

JsonValue StringArray(const std::vector<std::string>& values) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& v : values) out.Append(v);
  return out;
}

}  // namespace

const std::vector<FunctionDescriptor>& CodeanatomyFunctions() {
  static const auto descriptors = [] {
    std::vector<FunctionDescriptor> out;
    for (const auto& spec : AllSpecs()) out.push_back(internal::DescribeSpec(spec));
    for (auto& d : AggregateFunctionDescriptors()) out.push_back(std::move(d));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }();
  return descriptors;
}

JsonValue FunctionDescriptorsToJson(const std::vector<FunctionDescriptor>& descriptors) {
  JsonValue out = JsonValue::MakeArray();
  for (const auto& d : descriptors) {
    JsonValue signatures = JsonValue::MakeArray();
    for (const auto& sig : d.signatures) signatures.Append(StringArray(sig));
    JsonValue entry = JsonValue::MakeObject();
    entry.Set("name", d.name)
        .Set("kind", d.kind)
        .Set("aliases", StringArray(d.aliases))
        .Set("parameter_names", StringArray(d.parameter_names))
        .Set("volatility", d.volatility)
        .Set("signatures", std::move(signatures))
        .Set("variadic", d.variadic)
        .Set("return_type", d.return_type)
        .Set("doc", d.doc)
        .Set("config_keys", StringArray(d.config_keys));
    out.Append(std::move(entry));
  }
  return out;
}

Status InstallCodeanatomyFunctions(arrow::compute::FunctionRegistry* registry,
                                   const FunctionConfig& config) {
  CA_RETURN_NOT_OK(engine::InitializeArrow());  // Arrow's utf8 kernels that ours build on
  arrow::util::InitializeUTF8();                // UTF-8 validation tables
  // Validate the config once here so that kernels can rely on it.
  CA_RETURN_NOT_OK(FunctionConfigFromJson(FunctionConfigToJson(config)).status());
  for (const auto& spec : AllSpecs()) {
    std::vector<std::string> names = {spec.name};
    names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
    // Aliases are functions of their own (same kernel) rather than registry aliases, so that
    // a second installation with another config replaces them too.
    for (const auto& name : names) {
      CA_ASSIGN_OR_RAISE(auto fn, internal::MakeScalarFunction(spec, name, config));
      CA_RETURN_NOT_OK(registry->AddFunction(std::move(fn), /*allow_overwrite=*/true));
    }
  }
  return InstallAggregateFunctions(registry, config);
}

}  // namespace codeanatomy::functions
