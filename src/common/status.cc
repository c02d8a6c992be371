#include "common/status.h"

#include <cstdio>

namespace codeanatomy {

std::string EngineErrorDetail::ToString() const {
  std::string out = "[" + stage_ + "/" + code_ + "]";
  return out;
}

Status EngineError(arrow::StatusCode status_code, std::string_view stage, std::string_view code,
                   std::string message, std::string details_json) {
  return Status(status_code, std::move(message),
                std::make_shared<EngineErrorDetail>(std::string(stage), std::string(code),
                                                    std::move(details_json)));
}

namespace {

std::string ArrowCodeName(arrow::StatusCode code) {
  switch (code) {
    case arrow::StatusCode::OutOfMemory:
      return "MEMORY_LIMIT_EXCEEDED";
    case arrow::StatusCode::KeyError:
      return "KEY_ERROR";
    case arrow::StatusCode::TypeError:
      return "TYPE_ERROR";
    case arrow::StatusCode::Invalid:
      return "INVALID";
    case arrow::StatusCode::IOError:
      return "IO_ERROR";
    case arrow::StatusCode::CapacityError:
      return "CAPACITY_ERROR";
    case arrow::StatusCode::IndexError:
      return "INDEX_ERROR";
    case arrow::StatusCode::Cancelled:
      return "CANCELLED";
    case arrow::StatusCode::NotImplemented:
      return "NOT_IMPLEMENTED";
    case arrow::StatusCode::SerializationError:
      return "SERIALIZATION_ERROR";
    case arrow::StatusCode::AlreadyExists:
      return "ALREADY_EXISTS";
    default:
      return "INTERNAL";
  }
}

}  // namespace

ErrorInfo DescribeError(const Status& status) {
  ErrorInfo info;
  info.message = status.message();
  if (auto detail = status.detail();
      detail != nullptr && std::string_view(detail->type_id()) == EngineErrorDetail::kTypeId) {
    const auto& engine = static_cast<const EngineErrorDetail&>(*detail);
    info.stage = engine.stage();
    info.code = engine.code();
    info.details_json = engine.details_json();
    info.is_invalid_argument = engine.code() == "INVALID_ARGUMENT";
  } else {
    info.stage = std::string(stage::kExecution);
    info.code = ArrowCodeName(status.code());
    if (status.code() == arrow::StatusCode::OutOfMemory) info.stage = std::string(stage::kRuntime);
  }
  return info;
}

Status WithStage(Status status, std::string_view stage, std::string_view code) {
  if (status.ok()) return status;
  if (auto detail = status.detail();
      detail != nullptr && std::string_view(detail->type_id()) == EngineErrorDetail::kTypeId) {
    return status;
  }
  if (status.code() == arrow::StatusCode::OutOfMemory ||
      status.code() == arrow::StatusCode::Cancelled) {
    return status;  // classified uniformly by DescribeError
  }
  return EngineError(status.code(), stage, code, status.message());
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace codeanatomy
