#include "engine/arrow_cast.h"

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/function.h>
#include <arrow/compute/kernel.h>
#include <arrow/compute/registry.h>

namespace codeanatomy::engine {

namespace cp = arrow::compute;

namespace {

struct CastState : public cp::KernelState {
  explicit CastState(cp::CastOptions o) : options(std::move(o)) {}
  cp::CastOptions options;
};

Result<std::unique_ptr<cp::KernelState>> InitCast(cp::KernelContext*,
                                                  const cp::KernelInitArgs& args) {
  if (args.options == nullptr)
    return Status::Invalid("cast requires CastOptions with a target type");
  const auto& options = static_cast<const cp::CastOptions&>(*args.options);
  if (options.to_type.type == nullptr) return Status::Invalid("cast requires a target type");
  return std::make_unique<CastState>(options);
}

Result<arrow::TypeHolder> ResolveCastType(cp::KernelContext* ctx,
                                          const std::vector<arrow::TypeHolder>&) {
  return static_cast<const CastState*>(ctx->state())->options.to_type;
}

Status ExecCast(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto& options = static_cast<const CastState*>(ctx->state())->options;
  auto input = batch[0].is_array() ? arrow::Datum(batch[0].array.ToArrayData())
                                   : arrow::Datum(batch[0].scalar->GetSharedPtr());
  // Arrow's own cast, resolved in Arrow's registry: nested casts look "cast" up again for
  // their children, and through the session registry that is this function (endless recursion).
  cp::ExecContext arrow_ctx(ctx->memory_pool(), ctx->exec_context()->executor(),
                            cp::GetFunctionRegistry());
  CA_ASSIGN_OR_RAISE(auto cast, cp::Cast(input, options, &arrow_ctx));
  if (cast.is_scalar()) {
    CA_ASSIGN_OR_RAISE(
        auto array, arrow::MakeArrayFromScalar(*cast.scalar(), batch.length, ctx->memory_pool()));
    out->value = array->data();
  } else {
    out->value = cast.array();
  }
  return Status::OK();
}

const cp::FunctionDoc kCastDoc{"Cast a value to another type (delegates to Arrow's cast)",
                               "The target type and safety flags come from CastOptions.",
                               {"value"},
                               "CastOptions",
                               /*options_required=*/true};

}  // namespace

Status InstallCastFunction(cp::FunctionRegistry* registry) {
  auto fn = std::make_shared<cp::ScalarFunction>("cast", cp::Arity::Unary(), kCastDoc);
  cp::ScalarKernel kernel({cp::InputType::Any()}, cp::OutputType(ResolveCastType), ExecCast,
                          InitCast);
  kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
  kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
  CA_RETURN_NOT_OK(fn->AddKernel(std::move(kernel)));
  return registry->AddFunction(std::move(fn), /*allow_overwrite=*/true);
}

}  // namespace codeanatomy::engine
