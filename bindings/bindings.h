// Shared declarations of the binding files. Bindings only convert and call the core.
#pragma once

#include <memory>

#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <nanobind/nanobind.h>

#include "common/status.h"
#include "engine/execution.h"

namespace codeanatomy::bindings {

namespace nb = nanobind;

// errors.cc: the single place where a Status becomes a Python exception.
[[noreturn]] void RaiseStatus(const Status& status);
template <typename T>
T Unwrap(Result<T> result) {
  if (!result.ok()) RaiseStatus(result.status());
  return result.MoveValueUnsafe();
}
inline void Check(const Status& status) {
  if (!status.ok()) RaiseStatus(status);
}
/// Runs `f` with the GIL released and returns its result (raise after re-acquiring).
template <typename F>
auto WithoutGil(F&& f) {
  nb::gil_scoped_release release;
  return f();
}
/// ExecuteOptions whose interrupt check turns Ctrl-C into a stop (called without the GIL).
engine::ExecuteOptions InterruptibleOptions();

// arrow_capsule.cc: Arrow PyCapsule protocol.
/// A reader over any object with __arrow_c_stream__ or __arrow_c_array__.
std::shared_ptr<arrow::RecordBatchReader> ImportArrowStream(nb::handle obj);
/// The single value of a length-1 array from any object with __arrow_c_array__.
std::shared_ptr<arrow::Scalar> ImportArrowScalar(nb::handle obj);
/// A data type from any object with __arrow_c_schema__ (a pyarrow.DataType).
std::shared_ptr<arrow::DataType> ImportArrowType(nb::handle obj);
/// A capsule "arrow_array_stream" owning an exported reader.
nb::object ExportStreamCapsule(std::shared_ptr<arrow::RecordBatchReader> reader);
/// A capsule "arrow_schema" for a schema.
nb::object ExportSchemaCapsule(const std::shared_ptr<arrow::Schema>& schema);

/// Exposes a reader to Python through __arrow_c_stream__ (exported once), as "_ArrowStream".
struct ArrowStreamHolder {
  std::shared_ptr<arrow::RecordBatchReader> reader;
};

void BindErrors(nb::module_& m);
void BindArrow(nb::module_& m);
void BindExpr(nb::module_& m);
void BindSession(nb::module_& m);
void BindDataFrame(nb::module_& m);
void BindTracing(nb::module_& m);
void BindSql(nb::module_& m);
void BindDelta(nb::module_& m);
void BindDeltaWrite(nb::module_& m);
void BindDeltaOptimize(nb::module_& m);
void BindDeltaMaintenance(nb::module_& m);
void BindFunctions(nb::module_& m);
void BindPlugins(nb::module_& m);
void BindTableFunctions(nb::module_& m);
void BindSemantic(nb::module_& m);
void BindSpecBuilder(nb::module_& m);
void BindSubstrait(nb::module_& m);

}  // namespace codeanatomy::bindings
