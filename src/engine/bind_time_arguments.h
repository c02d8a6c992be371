// What some functions need to know when a call is bound rather than when it runs: the value of
// each constant argument (struct_pick's field names decide its result type) and the metadata
// of each argument's field (arrow_metadata reads it; kernels only ever see types). A function
// asks for them by having BindTimeArguments as its default options; the expression lowering
// then fills them for every call of it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/function.h>
#include <arrow/compute/function_options.h>
#include <arrow/scalar.h>
#include <arrow/util/key_value_metadata.h>

namespace codeanatomy::engine {

class BindTimeArguments : public arrow::compute::FunctionOptions {
 public:
  static constexpr const char* kTypeName = "codeanatomy.BindTimeArguments";

  BindTimeArguments();

  /// One entry per argument: the constant's value, or null when the argument is not constant.
  std::vector<std::shared_ptr<arrow::Scalar>> constants;
  /// One entry per argument: its field's metadata, or null when it has none (or is not a
  /// column).
  std::vector<std::shared_ptr<const arrow::KeyValueMetadata>> metadata;

  /// The constant argument `i`, or null.
  std::shared_ptr<arrow::Scalar> constant(size_t i) const {
    return i < constants.size() ? constants[i] : nullptr;
  }
  /// The metadata of argument `i`, or null.
  std::shared_ptr<const arrow::KeyValueMetadata> metadata_of(size_t i) const {
    return i < metadata.size() ? metadata[i] : nullptr;
  }
};

/// True when `function` asks for bind-time arguments (its default options are of that type).
bool WantsBindTimeArguments(const arrow::compute::Function& function);

/// The options a kernel was initialized with, when they are bind-time arguments; else null.
/// For kernels whose init is BindTimeArgumentsInit.
const BindTimeArguments* BindTimeArgumentsOf(arrow::compute::KernelContext* ctx);

/// A kernel init that keeps a copy of the call's bind-time arguments as the kernel state.
arrow::Result<std::unique_ptr<arrow::compute::KernelState>> BindTimeArgumentsInit(
    arrow::compute::KernelContext* ctx, const arrow::compute::KernelInitArgs& args);

}  // namespace codeanatomy::engine
