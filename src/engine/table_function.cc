#include "engine/table_function.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include <arrow/compute/cast.h>
#include <arrow/util/string.h>

#include "common/suggest.h"
#include "engine/view.h"

namespace codeanatomy::engine {

namespace {

Status PlanningError(std::string_view code, std::string message, std::string details) {
  return InvalidError(stage::kPlanning, code, std::move(message), std::move(details));
}

bool IsStringType(arrow::Type::type id) {
  return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING ||
         id == arrow::Type::STRING_VIEW;
}

/// Whether an argument of type `actual` may be cast to the parameter type `expected`: the
/// same type, or the same family (integers, strings) where the cast cannot reinterpret text
/// as numbers or the like.
bool SameFamily(const arrow::DataType& actual, const arrow::DataType& expected) {
  if (actual.Equals(expected)) return true;
  if (arrow::is_integer(actual.id()) && arrow::is_integer(expected.id())) return true;
  if (arrow::is_floating(actual.id()) && arrow::is_floating(expected.id())) return true;
  return IsStringType(actual.id()) && IsStringType(expected.id());
}

std::string ArgumentText(const arrow::Scalar& s) {
  if (!s.is_valid) return "NULL";
  if (!IsStringType(s.type->id())) return s.ToString();
  std::string quoted(1, '\'');  // appended piecewise: GCC 12 misreads `"'" + text` as overflow
  quoted.append(s.ToString());
  quoted.push_back('\'');
  return quoted;
}

}  // namespace

std::vector<std::string> TableFunction::parameter_names() const {
  std::vector<std::string> out;
  for (const auto& p : parameters) out.push_back(p.name);
  return out;
}

std::string TableFunction::Signature() const {
  if (any_arguments) return name + "(...)";
  std::string out = name + "(";
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (i > 0) out += ", ";
    out += parameters[i].optional ? "[" + parameters[i].name + "]" : parameters[i].name;
  }
  return out + ")";
}

Result<TableFunctionArgs> CheckArguments(const TableFunction& fn, const TableFunctionArgs& args) {
  if (fn.any_arguments) {
    TableFunctionArgs out = args;
    while (!out.empty() && (!out.back() || !out.back()->is_valid)) out.pop_back();
    for (auto& arg : out) {
      if (arg && arg->is_valid && arrow::is_integer(arg->type->id()) &&
          arg->type->id() != arrow::Type::INT64 && arg->type->id() != arrow::Type::UINT64) {
        CA_ASSIGN_OR_RAISE(arg, arg->CastTo(arrow::int64()));
      }
    }
    return out;
  }
  size_t required = 0;
  for (const auto& p : fn.parameters) required += p.optional ? 0 : 1;
  if (args.size() < required || args.size() > fn.parameters.size()) {
    std::string expected =
        required == fn.parameters.size()
            ? std::to_string(required)
            : std::to_string(required) + " to " + std::to_string(fn.parameters.size());
    return PlanningError("WRONG_ARITY",
                         "table function " + fn.Signature() + " takes " + expected +
                             " argument(s), got " + std::to_string(args.size()),
                         "{\"function\":" + JsonQuote(fn.name) +
                             ",\"expected\":" + JsonQuote(expected) +
                             ",\"actual\":" + std::to_string(args.size()) + "}");
  }
  TableFunctionArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const TableFunctionParameter& p = fn.parameters[i];
    const auto& arg = args[i];
    auto error = [&](const std::string& why) {
      return PlanningError(
          "INVALID_TABLE_FUNCTION_ARGUMENT",
          "table function " + fn.name + ": argument " + std::to_string(i + 1) + " (" + p.name +
              ") " + why,
          "{\"function\":" + JsonQuote(fn.name) + ",\"parameter\":" + JsonQuote(p.name) +
              ",\"expected\":" + JsonQuote(p.type->ToString()) +
              ",\"actual\":" + JsonQuote(arg ? arg->type->ToString() : "null") + "}");
    };
    if (!arg || !arg->is_valid) {
      if (!p.optional) return error("must not be NULL");
      out.push_back(arrow::MakeNullScalar(p.type));
      continue;
    }
    if (!SameFamily(*arg->type, *p.type)) {
      return error("must be " + p.type->ToString() + ", got " + arg->type->ToString() + " " +
                   ArgumentText(*arg));
    }
    // A checked cast: an integer that does not fit is an error, never truncated.
    auto cast =
        arrow::compute::Cast(arrow::Datum(arg), p.type, arrow::compute::CastOptions::Safe());
    if (!cast.ok()) return error("does not fit " + p.type->ToString() + ": " + ArgumentText(*arg));
    out.push_back(cast->scalar());
  }
  // Trailing NULLs of optional parameters mean "not given".
  while (!out.empty() && !out.back()->is_valid) out.pop_back();
  return out;
}

namespace {

std::string TypeName(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRING ? std::string("utf8") : type.ToString();
}

// The parameter types a descriptor may name: utf8 and Arrow's names of the primitive types.
std::shared_ptr<arrow::DataType> TypeFromName(const std::string& name) {
  static const std::map<std::string, std::shared_ptr<arrow::DataType>> kTypes = {
      {"utf8", arrow::utf8()},
      {"large_string", arrow::large_utf8()},
      {"binary", arrow::binary()},
      {"bool", arrow::boolean()},
      {"int8", arrow::int8()},
      {"int16", arrow::int16()},
      {"int32", arrow::int32()},
      {"int64", arrow::int64()},
      {"uint8", arrow::uint8()},
      {"uint16", arrow::uint16()},
      {"uint32", arrow::uint32()},
      {"uint64", arrow::uint64()},
      {"float", arrow::float32()},
      {"double", arrow::float64()},
      {"date32", arrow::date32()},
      {"timestamp[ms, tz=UTC]", arrow::timestamp(arrow::TimeUnit::MILLI, "UTC")}};
  auto it = kTypes.find(name);
  return it == kTypes.end() ? nullptr : it->second;
}

Status DescriptorError(const std::string& name, const std::string& member, const std::string& why) {
  return InvalidError(stage::kValidation, "INVALID_FUNCTION_DESCRIPTOR",
                      "table function descriptor" + (name.empty() ? "" : " '" + name + "'") + ": " +
                          member + " " + why,
                      "{\"function\":" + JsonQuote(name) + ",\"field\":" + JsonQuote(member) + "}");
}

}  // namespace

JsonValue TableFunctionDescriptor(const TableFunction& fn) {
  JsonValue names = JsonValue::MakeArray();
  for (const auto& p : fn.parameters) names.Append(p.name);
  // One signature per accepted arity (optional parameters trail).
  JsonValue signatures = JsonValue::MakeArray();
  JsonValue sig = JsonValue::MakeArray();
  size_t required = 0;
  for (const auto& p : fn.parameters) required += p.optional ? 0 : 1;
  if (required == 0 && !fn.any_arguments) signatures.Append(sig);
  for (size_t i = 0; i < fn.parameters.size(); ++i) {
    sig.Append(TypeName(*fn.parameters[i].type));
    if (i + 1 >= required) signatures.Append(sig);
  }
  JsonValue out = JsonValue::MakeObject();
  out.Set("name", fn.name);
  out.Set("kind", "table");
  out.Set("aliases", JsonValue::MakeArray());
  out.Set("parameter_names", std::move(names));
  out.Set("volatility", "volatile");  // reads tables that change
  out.Set("signatures", std::move(signatures));
  out.Set("variadic", fn.any_arguments);
  out.Set("return_type", "table");
  out.Set("doc", fn.doc);
  out.Set("config_defaults", JsonValue::MakeObject());
  return out;
}

Result<TableFunction> TableFunctionFromDescriptor(const JsonValue& descriptor) {
  const JsonValue* name = descriptor.Get("name");
  if (name == nullptr || !name->is_string() || name->string_value().empty()) {
    return DescriptorError("", "name", "must be a non-empty string");
  }
  TableFunction fn;
  fn.name = name->string_value();
  const JsonValue* kind = descriptor.Get("kind");
  if (kind == nullptr || !kind->is_string() || kind->string_value() != "table") {
    return DescriptorError(fn.name, "kind", "must be \"table\"");
  }
  if (const JsonValue* doc = descriptor.Get("doc"); doc != nullptr && doc->is_string()) {
    fn.doc = doc->string_value();
  }
  const JsonValue* variadic = descriptor.Get("variadic");
  if (variadic != nullptr && variadic->is_bool() && variadic->bool_value()) {
    fn.any_arguments = true;
    return fn;
  }
  const JsonValue* names = descriptor.Get("parameter_names");
  const JsonValue* signatures = descriptor.Get("signatures");
  if (names == nullptr || !names->is_array()) {
    return DescriptorError(fn.name, "parameter_names", "must be an array of strings");
  }
  if (signatures == nullptr || !signatures->is_array() || signatures->array_value().empty()) {
    return DescriptorError(fn.name, "signatures", "must be a non-empty array of type lists");
  }
  size_t shortest = SIZE_MAX;
  const JsonValue* longest = nullptr;
  for (const auto& sig : signatures->array_value()) {
    if (!sig.is_array()) return DescriptorError(fn.name, "signatures", "must hold arrays");
    shortest = std::min(shortest, sig.array_value().size());
    if (longest == nullptr || sig.array_value().size() > longest->array_value().size()) {
      longest = &sig;
    }
  }
  if (longest->array_value().size() != names->array_value().size()) {
    return DescriptorError(fn.name, "signatures",
                           "must name a type for each of the parameter_names");
  }
  for (size_t i = 0; i < names->array_value().size(); ++i) {
    const JsonValue& pname = names->array_value()[i];
    const JsonValue& tname = longest->array_value()[i];
    if (!pname.is_string() || !tname.is_string()) {
      return DescriptorError(fn.name, "parameter_names", "and signatures must hold strings");
    }
    auto type = TypeFromName(tname.string_value());
    if (type == nullptr) {
      return DescriptorError(fn.name, "signatures",
                             "names an unknown parameter type '" + tname.string_value() + "'");
    }
    fn.parameters.push_back({pname.string_value(), std::move(type), i >= shortest});
  }
  return fn;
}

Status TableFunctionRegistry::Register(TableFunction fn) {
  if (fn.name.empty() || !fn.invoke) {
    return ArgumentError("a table function needs a name and an implementation");
  }
  if (fn.any_arguments && !fn.parameters.empty()) {
    return ArgumentError("table function " + fn.name + ": any_arguments takes no parameters");
  }
  bool optional_seen = false;
  for (const auto& p : fn.parameters) {
    if (!p.type || (optional_seen && !p.optional)) {
      return ArgumentError("table function " + fn.name +
                           ": every parameter needs a type, and optional parameters come last");
    }
    optional_seen |= p.optional;
  }
  std::string key = arrow::internal::AsciiToLower(fn.name);
  std::lock_guard<std::mutex> lock(mutex_);
  functions_[key] = std::make_shared<const TableFunction>(std::move(fn));
  return Status::OK();
}

Result<std::shared_ptr<const TableFunction>> TableFunctionRegistry::Lookup(
    const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = functions_.find(arrow::internal::AsciiToLower(name)); it != functions_.end()) {
    return it->second;
  }
  std::vector<std::string> names;
  for (const auto& [key, fn] : functions_) names.push_back(fn->name);
  auto candidates = ClosestNames(name, names, 3);
  return PlanningError(
      "UNKNOWN_TABLE_FUNCTION",
      "unknown table function '" + name + "'" + SuggestionText(candidates),
      "{\"function\":" + JsonQuote(name) + ",\"candidates\":" + JsonStringArray(candidates) + "}");
}

std::vector<std::string> TableFunctionRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& fn : Functions()) out.push_back(fn->name);
  return out;
}

std::vector<std::shared_ptr<const TableFunction>> TableFunctionRegistry::Functions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<const TableFunction>> out;
  for (const auto& [key, fn] : functions_) out.push_back(fn);  // std::map: sorted by key
  return out;
}

Result<PlanPtr> PlanTableFunctionCall(const TableFunction& fn, const TableFunctionArgs& args) {
  CA_ASSIGN_OR_RAISE(auto checked, CheckArguments(fn, args));
  CA_ASSIGN_OR_RAISE(auto provider, fn.invoke(checked));
  if (!provider) {
    return InvalidError(stage::kPlanning, "TABLE_FUNCTION_FAILED",
                        "table function " + fn.name + " returned no table",
                        "{\"function\":" + JsonQuote(fn.name) + "}");
  }
  return PlanForProvider(TableFunctionCallName(fn.name, checked), std::move(provider));
}

std::string TableFunctionCallName(const std::string& name, const TableFunctionArgs& args) {
  std::string out = name + "(";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ", ";
    out += args[i] ? ArgumentText(*args[i]) : "NULL";
  }
  return out + ")";
}

}  // namespace codeanatomy::engine
