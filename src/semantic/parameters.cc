#include "semantic/parameters.h"

#include <algorithm>

#include <arrow/compute/cast.h>

#include "common/json.h"
#include "engine/view.h"

namespace codeanatomy::semantic {

namespace {

Status TargetNotFound(const std::string& path, const std::string& message) {
  return InvalidError(stage::kCompilation, "PARAMETER_TARGET_NOT_FOUND", message,
                      "{\"path\":" + JsonQuote(path + ".target") + "}");
}

Result<std::shared_ptr<arrow::Scalar>> CastText(const std::string& text,
                                                const std::shared_ptr<arrow::DataType>& type,
                                                const std::string& path) {
  auto cast = arrow::compute::Cast(arrow::Datum(std::make_shared<arrow::StringScalar>(text)), type);
  if (!cast.ok()) {
    return InvalidError(stage::kValidation, "INVALID_SPEC_JSON",
                        "'" + text + "' is not a " + type->ToString(),
                        "{\"path\":" + JsonQuote(path + ".value") +
                            ",\"error\":" + JsonQuote(cast.status().message()) + "}");
  }
  return cast->scalar();
}

std::shared_ptr<arrow::DataType> NullType(const std::optional<std::string>& name) {
  static const std::map<std::string, std::shared_ptr<arrow::DataType>> kTypes = {
      {"utf8", arrow::utf8()},      {"string", arrow::utf8()},
      {"int64", arrow::int64()},    {"float64", arrow::float64()},
      {"double", arrow::float64()}, {"boolean", arrow::boolean()},
      {"bool", arrow::boolean()},   {"date", arrow::date32()},
      {"date32", arrow::date32()},  {"timestamp", arrow::timestamp(arrow::TimeUnit::MICRO)}};
  if (!name) return arrow::null();
  std::string lower = *name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  auto it = kTypes.find(lower);
  return it == kTypes.end() ? nullptr : it->second;
}

}  // namespace

Result<std::shared_ptr<arrow::Scalar>> ParameterScalar(const ParameterValue& value,
                                                       const std::string& path) {
  switch (value.type) {
    case ParameterType::kUtf8:
      return std::make_shared<arrow::StringScalar>(std::get<std::string>(value.value));
    case ParameterType::kInt64:
      return std::make_shared<arrow::Int64Scalar>(std::get<int64_t>(value.value));
    case ParameterType::kFloat64:
      return std::make_shared<arrow::DoubleScalar>(std::get<double>(value.value));
    case ParameterType::kBoolean:
      return std::make_shared<arrow::BooleanScalar>(std::get<bool>(value.value));
    case ParameterType::kDate:
      return CastText(std::get<std::string>(value.value), arrow::date32(), path);
    case ParameterType::kTimestamp:
      return CastText(std::get<std::string>(value.value), arrow::timestamp(arrow::TimeUnit::MICRO),
                      path);
    case ParameterType::kNull: {
      auto type = NullType(value.null_data_type);
      if (type == nullptr) {
        return InvalidError(stage::kValidation, "INVALID_SPEC_JSON",
                            "unknown data_type '" + *value.null_data_type +
                                "' of a Null value (utf8, int64, float64, boolean, date, "
                                "timestamp)",
                            "{\"path\":" + JsonQuote(path + ".value.value.data_type") +
                                ",\"error\":\"unknown data_type\"}");
      }
      return arrow::MakeNullScalar(type);
    }
  }
  return Status::Invalid("unreachable");
}

Result<sql::SqlParams> PlaceholderParams(const SemanticSpec& spec) {
  sql::SqlParams params;
  for (size_t i = 0; i < spec.typed_parameters.size(); ++i) {
    const auto& p = spec.typed_parameters[i];
    const auto* target = std::get_if<PlaceholderPosTarget>(&p.target);
    if (target == nullptr) continue;
    std::string path = "$.typed_parameters[" + std::to_string(i) + "]";
    CA_ASSIGN_OR_RAISE(auto scalar, ParameterScalar(p.value, path));
    auto slot = static_cast<size_t>(target->position);
    if (params.size() < slot) params.resize(slot);
    params[slot - 1] = std::move(scalar);
  }
  return params;
}

Result<std::map<std::string, std::vector<EqualityFilter>>> FilterEqByRelation(
    const SemanticSpec& spec, const std::map<std::string, std::vector<std::string>>& columns) {
  std::map<std::string, std::vector<EqualityFilter>> out;
  for (size_t i = 0; i < spec.typed_parameters.size(); ++i) {
    const auto& p = spec.typed_parameters[i];
    const auto* target = std::get_if<FilterEqTarget>(&p.target);
    if (target == nullptr) continue;
    std::string path = "$.typed_parameters[" + std::to_string(i) + "]";
    CA_ASSIGN_OR_RAISE(auto scalar, ParameterScalar(p.value, path));
    auto has_column = [&](const std::vector<std::string>& cols) {
      return std::find(cols.begin(), cols.end(), target->filter_column) != cols.end();
    };
    if (target->base_table) {
      auto it = columns.find(*target->base_table);
      if (it == columns.end()) {
        return TargetNotFound(
            path, "FilterEq base_table '" + *target->base_table + "' is not an input relation");
      }
      if (!has_column(it->second)) {
        return TargetNotFound(path, "input relation '" + *target->base_table + "' has no column '" +
                                        target->filter_column + "'");
      }
      out[it->first].push_back({target->filter_column, scalar, path});
      continue;
    }
    bool any = false;
    for (const auto& [relation, cols] : columns) {
      if (!has_column(cols)) continue;
      out[relation].push_back({target->filter_column, scalar, path});
      any = true;
    }
    if (!any) {
      return TargetNotFound(path, "no input relation has column '" + target->filter_column + "'");
    }
  }
  return out;
}

// FilterEq parameters: each targeted input relation becomes a view filtering its Delta scan
// (`column = value`, pushed into the scan, where the provider prunes files with it).
Status ApplyFilterEqParameters(
    engine::SessionContext& ctx, const SemanticSpec& spec,
    const std::map<std::string, std::vector<std::string>>& input_columns) {
  CA_ASSIGN_OR_RAISE(auto by_relation, FilterEqByRelation(spec, input_columns));
  for (const auto& [relation, filters] : by_relation) {
    CA_ASSIGN_OR_RAISE(auto df, ctx.Table(relation));
    for (const auto& f : filters) {
      auto filtered =
          df.Filter(engine::Call("=", {engine::Column(f.column), engine::Literal(f.value)}));
      if (!filtered.ok()) {
        ErrorInfo info = DescribeError(filtered.status());
        return EngineError(
            filtered.status().code(), stage::kCompilation, info.code,
            "typed parameter at " + f.path + ": " + info.message,
            "{\"path\":" + JsonQuote(f.path) + ",\"relation\":" + JsonQuote(relation) + "}");
      }
      df = *filtered;
    }
    CA_RETURN_NOT_OK(ctx.Deregister(relation));
    CA_RETURN_NOT_OK(
        ctx.RegisterProvider(relation, std::make_shared<engine::ViewProvider>(df.plan(), "")));
  }
  return Status::OK();
}

}  // namespace codeanatomy::semantic
