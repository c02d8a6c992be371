// SQL types and constants: PostgreSQL type names to Arrow types, numeric and typed literals,
// and constant date arithmetic.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/status.h"
#include "engine/expr.h"

namespace codeanatomy::sql {

/// The Arrow type of a PostgreSQL type name (as the parser spells it: "int4", "varchar",
/// "numeric", ...) with its type modifiers (numeric precision/scale, interval fields).
Result<std::shared_ptr<arrow::DataType>> SqlTypeFromName(const std::string& name,
                                                         const std::vector<int64_t>& typmods);

/// The SQL name of an Arrow type, for DESCRIBE.
std::string SqlTypeName(const arrow::DataType& type);

/// A numeric constant the parser kept as text: integers beyond int32 become int64, decimals
/// DECIMAL(p, s) (as DuckDB types them), exponent forms float64.
Result<std::shared_ptr<arrow::Scalar>> NumericLiteral(const std::string& text);

/// A constant converted to `type` now (typed literals: DATE '2020-01-01', INTERVAL '3' DAY).
/// Conversion failures are errors of stage sql that name the value and the type.
Result<engine::ExprPtr> CastLiteral(const engine::ExprPtr& literal,
                                    const std::shared_ptr<arrow::DataType>& type);

/// An INTERVAL constant: "90" under a single-field type modifier (INTERVAL '90' DAY), or
/// "<n> <unit> [...]" ('1 year 2 months').
Result<engine::ExprPtr> IntervalLiteral(const std::string& text, int64_t typmod);

/// `date ± interval` over constants, folded to a date (or timestamp) constant; nullptr when
/// the operands are not such constants.
Result<engine::ExprPtr> FoldDateArithmetic(const std::string& op, const engine::ExprPtr& l,
                                           const engine::ExprPtr& r);

/// The engine function for EXTRACT(field FROM x).
Result<std::string> ExtractFunction(const std::string& field);

}  // namespace codeanatomy::sql
