// Typed parameters of a spec (CONTRACTS §1): PlaceholderPos values bound to the `$n` of the
// views' SQL, FilterEq values applied as `column = value` on input relations (where the Delta
// provider prunes files with them).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/scalar.h>

#include "common/status.h"
#include "engine/session_context.h"
#include "semantic/spec.h"
#include "sql/statement.h"

namespace codeanatomy::semantic {

/// The Arrow scalar of a typed value: Utf8 utf8, Int64 int64, Float64 float64, Boolean bool,
/// Date date32, Timestamp timestamp[us] (no zone), Null a null of its data_type (utf8, int64,
/// float64, boolean, date, timestamp; null type when absent). `path` names the value in errors.
Result<std::shared_ptr<arrow::Scalar>> ParameterScalar(const ParameterValue& value,
                                                       const std::string& path);

/// Values of `$1..$n` from the PlaceholderPos parameters (n the largest position; positions
/// without a parameter are null pointers, which the SQL binder reports as PARAMETER_MISSING).
Result<sql::SqlParams> PlaceholderParams(const SemanticSpec& spec);

/// One FilterEq parameter applied to one input relation.
struct EqualityFilter {
  std::string column;
  std::shared_ptr<arrow::Scalar> value;
  std::string path;  ///< $.typed_parameters[i]
};

/// FilterEq parameters by input relation: the named base_table, or every input relation that
/// has the column. `columns` holds each input relation's column names. A base_table that is not
/// an input relation, or a column no targeted relation has, is PARAMETER_TARGET_NOT_FOUND
/// (stage compilation) with the parameter's path.
Result<std::map<std::string, std::vector<EqualityFilter>>> FilterEqByRelation(
    const SemanticSpec& spec, const std::map<std::string, std::vector<std::string>>& columns);

/// Applies the FilterEq parameters: each targeted input relation (registered in `ctx`) is
/// replaced by a view filtering its scan on `column = value` (pushed into the Delta scan, where
/// the provider prunes files with it). `input_columns` holds each input relation's columns.
Status ApplyFilterEqParameters(
    engine::SessionContext& ctx, const SemanticSpec& spec,
    const std::map<std::string, std::vector<std::string>>& input_columns);

}  // namespace codeanatomy::semantic
