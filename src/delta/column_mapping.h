// Column mapping in scans: physical columns (and nested fields) under their logical names.
// Types that differ only in field names are relabeled without a copy (a scalar function the
// scan's projection calls); structs whose leaves differ too are rebuilt; other types are cast.
#pragma once

#include <memory>

#include <arrow/array/data.h>
#include <arrow/compute/expression.h>
#include <arrow/type.h>

#include "common/status.h"

namespace codeanatomy::delta {

/// Whether `from` and `to` differ at most in the names (and metadata, nullability) of fields at
/// any depth, so that an array of `from` is one of `to` once relabeled.
bool DiffersOnlyInNames(const arrow::DataType& from, const arrow::DataType& to);

/// `data` typed as `type` (which DiffersOnlyInNames from its type), sharing its buffers.
std::shared_ptr<arrow::ArrayData> Relabel(const std::shared_ptr<arrow::ArrayData>& data,
                                          const std::shared_ptr<arrow::DataType>& type);

/// COLUMN_MAPPING_TYPE_MISMATCH: `from` cannot be relabeled as `to`.
Status RenameMismatch(const arrow::DataType& from, const arrow::DataType& to);

/// `value` (of type `physical`) as `logical`.
Result<arrow::compute::Expression> ToLogical(arrow::compute::Expression value,
                                             const arrow::DataType& physical,
                                             const std::shared_ptr<arrow::DataType>& logical);

}  // namespace codeanatomy::delta
