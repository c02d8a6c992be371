#include "bindings/bindings.h"

#include <Python.h>
#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>

namespace codeanatomy::bindings {

namespace {

Status NotArrow(nb::handle obj, const char* what) {
  std::string type_name = nb::borrow<nb::str>(nb::type_name(obj.type())).c_str();
  return InvalidError(
      stage::kValidation, "NOT_ARROW_DATA",
      std::string("expected ") + what + ", got an object of type '" + type_name + "'",
      "{\"type\":" + JsonQuote(type_name) + "}");
}

template <typename T>
T* CapsulePointer(nb::handle capsule, const char* name) {
  if (!PyCapsule_IsValid(capsule.ptr(), name)) {
    std::string type_name = nb::borrow<nb::str>(nb::type_name(capsule.type())).c_str();
    RaiseStatus(InvalidError(
        stage::kValidation, "INVALID_ARROW_CAPSULE",
        std::string("expected a PyCapsule named '") + name +
            "' from the Arrow PyCapsule protocol, got '" + type_name + "'",
        "{\"expected\":" + JsonQuote(name) + ",\"type\":" + JsonQuote(type_name) + "}"));
  }
  return static_cast<T*>(PyCapsule_GetPointer(capsule.ptr(), name));
}

}  // namespace

std::shared_ptr<arrow::RecordBatchReader> ImportArrowStream(nb::handle obj) {
  if (nb::hasattr(obj, "__arrow_c_stream__")) {
    nb::object capsule = obj.attr("__arrow_c_stream__")();
    auto* stream = CapsulePointer<ArrowArrayStream>(capsule, "arrow_array_stream");
    auto reader = arrow::ImportRecordBatchReader(stream);
    if (!reader.ok()) {
      RaiseStatus(InvalidError(stage::kValidation, "INVALID_ARROW_STREAM",
                               "cannot read the Arrow stream: " + reader.status().message()));
    }
    return *reader;
  }
  if (nb::hasattr(obj, "__arrow_c_array__")) {
    nb::object result = obj.attr("__arrow_c_array__")();
    if (!nb::isinstance<nb::tuple>(result) || nb::len(result) != 2) {
      RaiseStatus(NotArrow(result, "a (schema, array) capsule pair from __arrow_c_array__"));
    }
    nb::tuple pair = nb::borrow<nb::tuple>(result);
    auto* schema = CapsulePointer<ArrowSchema>(pair[0], "arrow_schema");
    auto* array = CapsulePointer<ArrowArray>(pair[1], "arrow_array");
    auto batch = arrow::ImportRecordBatch(array, schema);
    if (!batch.ok()) {
      RaiseStatus(InvalidError(stage::kValidation, "INVALID_ARROW_ARRAY",
                               "cannot import the Arrow array (it must be a struct array or "
                               "record batch): " +
                                   batch.status().message()));
    }
    auto reader = arrow::RecordBatchReader::Make({*batch}, (*batch)->schema());
    return Unwrap(std::move(reader));
  }
  RaiseStatus(NotArrow(obj, "an Arrow object (with __arrow_c_stream__ or __arrow_c_array__)"));
}

std::shared_ptr<arrow::Scalar> ImportArrowScalar(nb::handle obj) {
  if (!nb::hasattr(obj, "__arrow_c_array__")) {
    RaiseStatus(NotArrow(obj, "an Arrow array (with __arrow_c_array__)"));
  }
  nb::tuple pair = nb::cast<nb::tuple>(obj.attr("__arrow_c_array__")());
  auto* schema = CapsulePointer<ArrowSchema>(pair[0], "arrow_schema");
  auto* array = CapsulePointer<ArrowArray>(pair[1], "arrow_array");
  auto imported = Unwrap(arrow::ImportArray(array, schema));
  if (imported->length() != 1) {
    RaiseStatus(ArgumentError("a literal must be a single value"));
  }
  return Unwrap(imported->GetScalar(0));
}

std::shared_ptr<arrow::DataType> ImportArrowType(nb::handle obj) {
  if (!nb::hasattr(obj, "__arrow_c_schema__")) {
    RaiseStatus(NotArrow(obj, "an Arrow data type (with __arrow_c_schema__)"));
  }
  nb::object capsule = obj.attr("__arrow_c_schema__")();
  auto* schema = CapsulePointer<ArrowSchema>(capsule, "arrow_schema");
  return Unwrap(arrow::ImportType(schema));
}

namespace {

void ReleaseStreamCapsule(PyObject* capsule) {
  auto* stream =
      static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule, "arrow_array_stream"));
  if (stream == nullptr) {
    PyErr_Clear();
    return;
  }
  if (stream->release != nullptr) stream->release(stream);
  delete stream;
}

void ReleaseSchemaCapsule(PyObject* capsule) {
  auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(capsule, "arrow_schema"));
  if (schema == nullptr) {
    PyErr_Clear();
    return;
  }
  if (schema->release != nullptr) schema->release(schema);
  delete schema;
}

}  // namespace

nb::object ExportStreamCapsule(std::shared_ptr<arrow::RecordBatchReader> reader) {
  auto* stream = new ArrowArrayStream();
  stream->release = nullptr;
  Status st = arrow::ExportRecordBatchReader(std::move(reader), stream);
  if (!st.ok()) {
    delete stream;
    RaiseStatus(st);
  }
  return nb::steal(PyCapsule_New(stream, "arrow_array_stream", ReleaseStreamCapsule));
}

nb::object ExportSchemaCapsule(const std::shared_ptr<arrow::Schema>& schema) {
  auto* c_schema = new ArrowSchema();
  c_schema->release = nullptr;
  Status st = arrow::ExportSchema(*schema, c_schema);
  if (!st.ok()) {
    delete c_schema;
    RaiseStatus(st);
  }
  return nb::steal(PyCapsule_New(c_schema, "arrow_schema", ReleaseSchemaCapsule));
}

void BindArrow(nb::module_& m) {
  nb::class_<ArrowStreamHolder>(m, "_ArrowStream")
      .def(
          "__arrow_c_stream__",
          [](ArrowStreamHolder& self, nb::object requested_schema) {
            if (!self.reader) {
              RaiseStatus(InvalidError(stage::kExecution, "STREAM_ALREADY_CONSUMED",
                                       "this Arrow stream was already exported"));
            }
            return ExportStreamCapsule(std::move(self.reader));
          },
          nb::arg("requested_schema") = nb::none());
  m.def(
      "arrow_stream_to_batches",
      [](nb::handle obj) {
        auto reader = ImportArrowStream(obj);
        auto result = WithoutGil([&] { return reader->ToTable(); });
        if (!result.ok()) {
          RaiseStatus(WithStage(result.status(), stage::kExecution, "ARROW_STREAM_READ_FAILED"));
        }
        auto table = *result;
        auto out = Unwrap(arrow::RecordBatchReader::Make(
            Unwrap(arrow::TableBatchReader(*table).ToRecordBatches()), table->schema()));
        return ArrowStreamHolder{std::move(out)};
      },
      nb::arg("obj"),
      "Reads any Arrow stream or array object fully (GIL released) and returns an object "
      "exposing __arrow_c_stream__ over its batches.");
}

}  // namespace codeanatomy::bindings
