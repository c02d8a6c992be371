// The codeanatomy function bundle (CONTRACTS.md §5), aggregate part. Each aggregate is an
// accumulator (update with rows, expose its state, merge other states, finalize one value) that
// generic adaptors turn into the two Arrow functions the engine resolves an aggregate call
// `f(args)` by: a SCALAR_AGGREGATE `f` (no GROUP BY) and a HASH_AGGREGATE `hash_f` (one
// accumulator per group). The accumulator has the shape of the plugin ABI's CaAccumulator, so the
// same objects can be bridged across it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/function.h>
#include <arrow/compute/registry.h>
#include <arrow/type.h>

#include "common/status.h"
#include "functions/functions.h"

namespace codeanatomy::functions {

/// Argument (or state) types of one aggregate call.
using TypeList = std::vector<std::shared_ptr<arrow::DataType>>;
/// Argument (or state) columns of one aggregate call.
using ArrayList = std::vector<std::shared_ptr<arrow::Array>>;

/// The running state of one aggregate over one group, or over one part of a group's rows.
/// Results never depend on how rows are split into Update calls nor on the order of merges.
/// Failures are Status values with stage "execution", a typed code and {"function": name}.
class AggregateAccumulator {
 public:
  virtual ~AggregateAccumulator() = default;

  /// Adds rows: args[i] is argument i (of the type the accumulator was made for); all have the
  /// same length.
  virtual Status Update(const ArrayList& args) = 0;

  /// The state as one array of one row per state type (AggregateSpec::state_types).
  virtual Result<ArrayList> State() const = 0;

  /// Folds in partial states: one array per state type, all of the same length, each row the
  /// State() of another accumulator of the same aggregate and argument types.
  virtual Status Merge(const ArrayList& states) = 0;

  /// The result: an array of one row of the return type.
  virtual Result<std::shared_ptr<arrow::Array>> Finalize() = 0;
};

/// One parameter of an aggregate: its name and the type name the descriptor shows.
struct AggregateParam {
  std::string name;
  std::string type_name;
};

/// One aggregate function of the bundle.
///
/// Type names in `params` and `return_type_name` (as in FunctionDescriptor, plus):
/// - "orderable": null, bool, integers, float32/float64, utf8/large_utf8, binary/large_binary,
///   date32/date64, time32/time64, timestamp and duration (any unit and time zone). Floats
///   order with NaN last, and -0.0 equals 0.0; strings and binaries order bytewise.
/// - "comparable with key": orderable and comparable with the key argument (the same type, or
///   both numeric, or null).
/// - "same as value": the type of the argument named `value`.
/// - "list<value>": a list of that type.
/// - "utf8": utf8, or large_utf8 when the value argument is large_utf8.
/// Arguments of other types are TYPE_MISMATCH errors (stage "planning") when the call is bound.
struct AggregateSpec {
  std::string name;
  std::vector<std::string> aliases;
  std::vector<AggregateParam> params;
  std::string return_type_name;
  std::string doc;  ///< one line; states the semantics we chose where §5 leaves them open

  /// The result type for the argument types; checks them (TYPE_MISMATCH) as well.
  std::function<Result<std::shared_ptr<arrow::DataType>>(const TypeList&)> return_type;
  /// The types of State()'s arrays for the argument types.
  std::function<TypeList(const TypeList&)> state_types;
  /// A fresh accumulator for argument types that return_type accepted.
  std::function<std::unique_ptr<AggregateAccumulator>(const TypeList&)> make_accumulator;
};

/// The bundle's aggregates, sorted by name.
const std::vector<AggregateSpec>& AggregateFunctionSpecs();

/// Descriptors of the aggregates (kind "aggregate"), sorted by name.
std::vector<FunctionDescriptor> AggregateFunctionDescriptors();

/// The ungrouped Arrow function `name` (the spec's name or an alias) over one accumulator.
Result<std::shared_ptr<arrow::compute::ScalarAggregateFunction>> MakeScalarAggregateFunction(
    const AggregateSpec& spec, const std::string& name);

/// The grouped Arrow function `hash_<name>` over one accumulator per group.
Result<std::shared_ptr<arrow::compute::HashAggregateFunction>> MakeHashAggregateFunction(
    const AggregateSpec& spec, const std::string& name);

/// Registers `f` and `hash_f` for every aggregate and alias in `registry`, replacing earlier
/// installations. The aggregates read no udf_config member; `config` is accepted so that every
/// family installs alike.
Status InstallAggregateFunctions(arrow::compute::FunctionRegistry* registry,
                                 const FunctionConfig& config = {});

}  // namespace codeanatomy::functions
