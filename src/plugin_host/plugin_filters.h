// Filters crossing the plugin ABI: a scan's filter hint, split into its conjuncts and serialized
// as one Substrait ExtendedExpression (include/codeanatomy/plugin_abi.h, CaTableProvider), and
// back. The host keeps applying the whole filter after the scan, so a conjunct that cannot
// cross (a session function Substrait has no name for) is simply not pushed.
#pragma once

#include <memory>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/compute/expression.h>
#include <arrow/type.h>

#include "common/status.h"

namespace codeanatomy::plugin_host {

/// The conjuncts of `filter` (an unbound conjunction over `schema`) that bind with Arrow's own
/// functions and serialize to Substrait; empty when none does.
std::vector<arrow::compute::Expression> PushableConjuncts(
    const arrow::compute::Expression& filter, const std::shared_ptr<arrow::Schema>& schema);

/// `conjuncts` as one ExtendedExpression over `schema` (one boolean expression each).
Result<std::shared_ptr<arrow::Buffer>> SerializeFilters(
    const std::vector<arrow::compute::Expression>& conjuncts,
    const std::shared_ptr<arrow::Schema>& schema);

/// The expressions of an ExtendedExpression, their field references turned into names of
/// `schema` (so they read like any filter hint); INVALID_FILTERS when the bytes do not parse,
/// an expression is not boolean, or it is bound to another schema.
Result<std::vector<arrow::compute::Expression>> DeserializeFilters(
    const uint8_t* bytes, int64_t size, const std::shared_ptr<arrow::Schema>& schema);

}  // namespace codeanatomy::plugin_host
