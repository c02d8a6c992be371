// Attributing execution errors to the plan: Arrow's kernels report "overflow" or "divide by
// zero" without saying where; the engine names the arithmetic expressions of the plan that
// can raise them.
#pragma once

#include <memory>

#include <arrow/record_batch.h>

#include "common/status.h"
#include "engine/logical_plan.h"

namespace codeanatomy::engine {

/// `status` re-tagged with a code (ARITHMETIC_OVERFLOW, DIVISION_BY_ZERO) and the plan's
/// candidate expressions when it is an untagged arithmetic kernel error; otherwise unchanged.
Status AttributeRuntimeError(Status status, const PlanNode& plan);

/// A reader whose errors pass through AttributeRuntimeError.
std::shared_ptr<arrow::RecordBatchReader> MakeAttributingReader(
    std::shared_ptr<arrow::RecordBatchReader> input, PlanPtr plan);

}  // namespace codeanatomy::engine
