#include "bindings/bindings.h"

#include <Python.h>

namespace codeanatomy::bindings {

void RaiseStatus(const Status& status) {
  nb::gil_scoped_acquire gil;
  if (PyErr_Occurred()) throw nb::python_error();  // e.g. KeyboardInterrupt from a signal check
  ErrorInfo info = DescribeError(status);
  if (info.is_invalid_argument) throw nb::value_error(info.message.c_str());
  nb::object cls = nb::module_::import_("codeanatomy.errors").attr("EngineExecutionError");
  nb::object details = nb::none();
  if (!info.details_json.empty()) details = nb::str(info.details_json.c_str());
  nb::object error = cls(nb::str(info.stage.c_str()), nb::str(info.code.c_str()),
                         nb::str(info.message.c_str()), details);
  PyErr_SetObject(cls.ptr(), error.ptr());
  throw nb::python_error();
}

engine::ExecuteOptions InterruptibleOptions() {
  engine::ExecuteOptions options;
  options.interrupt_check = []() -> Status {
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) return Status::Cancelled("query interrupted");
    return Status::OK();
  };
  return options;
}

void BindErrors(nb::module_& m) {
  m.def("_raise_test_error",
        [](std::string stage, std::string code, std::string message, std::string details) {
          RaiseStatus(EngineError(arrow::StatusCode::Invalid, stage, code, message, details));
        });
}

}  // namespace codeanatomy::bindings
