// Nested values: lists compacted and de-duplicated, maps looked up and normalized, as text.
#include <algorithm>
#include <map>

#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/util/checked_cast.h>

#include "functions/function_kernel.h"
#include "functions/unicode_text.h"

namespace codeanatomy::functions::internal {

namespace {

using arrow::internal::checked_cast;
using arrow::internal::checked_pointer_cast;

// Each non-NULL list's non-NULL elements (as text), passed through `arrange`; NULL lists stay
// NULL. The elements are cast with Arrow's own registry.
template <typename ListArrayType, typename Arrange>
Status ListText(cp::KernelContext* ctx, const ListArrayType& lists, Arrange&& arrange,
                cp::ExecResult* out) {
  cp::ExecContext local(ctx->memory_pool());
  CA_ASSIGN_OR_RAISE(auto cast,
                     cp::Cast(*lists.values(), arrow::utf8(), cp::CastOptions::Safe(), &local));
  const auto& values = checked_cast<const arrow::StringArray&>(*cast);
  arrow::ListBuilder builder(ctx->memory_pool(),
                             std::make_shared<arrow::StringBuilder>(ctx->memory_pool()));
  auto& items = checked_cast<arrow::StringBuilder&>(*builder.value_builder());
  std::vector<std::string_view> row;
  for (int64_t i = 0; i < lists.length(); ++i) {
    if (lists.IsNull(i)) {
      CA_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    row.clear();
    for (int64_t j = lists.value_offset(i); j < lists.value_offset(i + 1); ++j) {
      if (values.IsValid(j)) row.push_back(values.GetView(j));
    }
    arrange(&row);
    CA_RETURN_NOT_OK(builder.Append());
    for (auto v : row) CA_RETURN_NOT_OK(items.Append(v));
  }
  CA_ASSIGN_OR_RAISE(auto result, builder.Finish());
  return Emit(result, out);
}

template <typename Arrange>
Status ExecListText(cp::KernelContext* ctx, const cp::ExecSpan& batch, Arrange&& arrange,
                    cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  std::shared_ptr<arrow::Array> array = args[0].array();
  if (args[0].is_scalar()) {
    CA_ASSIGN_OR_RAISE(
        array, arrow::MakeArrayFromScalar(*args[0].scalar(), batch.length, ctx->memory_pool()));
  }
  if (array->type_id() == arrow::Type::NA) {  // a NULL literal: NULL lists
    CA_ASSIGN_OR_RAISE(array, arrow::MakeArrayOfNull(arrow::list(arrow::utf8()), batch.length,
                                                     ctx->memory_pool()));
  }
  if (array->type_id() == arrow::Type::LARGE_LIST) {
    return ListText(ctx, checked_cast<const arrow::LargeListArray&>(*array), arrange, out);
  }
  return ListText(ctx, checked_cast<const arrow::ListArray&>(*array), arrange, out);
}

Status ExecListCompact(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return ExecListText(
      ctx, batch, [](std::vector<std::string_view>*) {}, out);
}

Status ExecListUniqueSorted(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                            cp::ExecResult* out) {
  return ExecListText(
      ctx, batch,
      [](std::vector<std::string_view>* row) {
        std::sort(row->begin(), row->end());
        row->erase(std::unique(row->begin(), row->end()), row->end());
      },
      out);
}

// A map argument as text: per row its entries' keys and values (utf8, NULL values kept).
struct MapText {
  std::shared_ptr<arrow::MapArray> maps;
  std::shared_ptr<arrow::StringArray> keys, items;
};

Result<MapText> ReadMap(cp::KernelContext* ctx, const Arg& arg, int64_t length) {
  std::shared_ptr<arrow::Array> array = arg.array();
  if (arg.is_scalar()) {
    CA_ASSIGN_OR_RAISE(array,
                       arrow::MakeArrayFromScalar(*arg.scalar(), length, ctx->memory_pool()));
  }
  if (array->type_id() == arrow::Type::NA) {  // a NULL literal: NULL maps
    CA_ASSIGN_OR_RAISE(array, arrow::MakeArrayOfNull(arrow::map(arrow::utf8(), arrow::utf8()),
                                                     length, ctx->memory_pool()));
  }
  MapText out;
  out.maps = checked_pointer_cast<arrow::MapArray>(array);
  cp::ExecContext local(ctx->memory_pool());  // Arrow's registry: plain scalar casts
  CA_ASSIGN_OR_RAISE(auto keys,
                     cp::Cast(*out.maps->keys(), arrow::utf8(), cp::CastOptions::Safe(), &local));
  CA_ASSIGN_OR_RAISE(auto items,
                     cp::Cast(*out.maps->items(), arrow::utf8(), cp::CastOptions::Safe(), &local));
  out.keys = checked_pointer_cast<arrow::StringArray>(keys);
  out.items = checked_pointer_cast<arrow::StringArray>(items);
  return out;
}

Status ExecMapGetDefault(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const std::string& name = StateOf(ctx).name;
  auto args = ArgsOf(batch);
  if (batch.length == 0) {
    CA_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(arrow::utf8(), ctx->memory_pool()));
    return Emit(empty, out);
  }
  CA_RETURN_NOT_OK(RequireConstant(name, args, 1, "key"));
  if (args[1].IsNull(0)) return FunctionError(name, "NULL_MAP_KEY", "key must not be NULL");
  std::string key(args[1].Str(0));
  CA_ASSIGN_OR_RAISE(auto map, ReadMap(ctx, args[0], batch.length));
  arrow::StringBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    std::optional<std::string_view> found;
    if (map.maps->IsValid(i)) {
      for (int64_t j = map.maps->value_offset(i); j < map.maps->value_offset(i + 1); ++j) {
        if (map.keys->IsValid(j) && map.keys->GetView(j) == key && map.items->IsValid(j)) {
          found = map.items->GetView(j);
          break;
        }
      }
    }
    if (!found && !args[2].IsNull(i)) found = args[2].Str(i);
    CA_RETURN_NOT_OK(found ? builder.Append(*found) : builder.AppendNull());
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecMapNormalize(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const FunctionState& state = StateOf(ctx);
  auto args = ArgsOf(batch);
  auto result_type = arrow::map(arrow::utf8(), arrow::utf8());
  if (batch.length == 0) {
    CA_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(result_type, ctx->memory_pool()));
    return Emit(empty, out);
  }
  CA_RETURN_NOT_OK(RequireConstant(state.name, args, 1, "key_case"));
  CA_RETURN_NOT_OK(RequireConstant(state.name, args, 2, "sort_keys"));
  std::string key_case = args.size() > 1 && !args[1].IsNull(0)
                             ? std::string(TrimWhitespace(args[1].Str(0)))
                             : state.config.map_normalize_key_case;
  std::transform(key_case.begin(), key_case.end(), key_case.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (key_case != "lower" && key_case != "upper" && key_case != "none") {
    return FunctionError(state.name, "INVALID_KEY_CASE",
                         "unknown key_case '" + key_case + "' (expected lower, upper or none)",
                         "\"key_case\":" + JsonQuote(key_case));
  }
  bool sort_keys = args.size() > 2 && !args[2].IsNull(0) ? args[2].Bool(0)
                                                         : state.config.map_normalize_sort_keys;
  CA_ASSIGN_OR_RAISE(auto map, ReadMap(ctx, args[0], batch.length));
  std::shared_ptr<arrow::StringArray> keys = map.keys;
  if (key_case != "none") {
    for (int64_t j = 0; j < keys->length(); ++j) {
      if (keys->IsValid(j)) CA_RETURN_NOT_OK(CheckUtf8(state.name, keys->GetView(j), j));
    }
    cp::ExecContext local(ctx->memory_pool());
    CA_ASSIGN_OR_RAISE(
        auto cased,
        cp::CallFunction(key_case == "lower" ? "utf8_lower" : "utf8_upper", {keys}, &local));
    keys = checked_pointer_cast<arrow::StringArray>(cased.make_array());
  }
  auto key_builder = std::make_shared<arrow::StringBuilder>(ctx->memory_pool());
  auto item_builder = std::make_shared<arrow::StringBuilder>(ctx->memory_pool());
  arrow::MapBuilder builder(ctx->memory_pool(), key_builder, item_builder, result_type);
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> entries;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (map.maps->IsNull(i)) {
      CA_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    entries.clear();
    for (int64_t j = map.maps->value_offset(i); j < map.maps->value_offset(i + 1); ++j) {
      if (keys->IsNull(j)) continue;
      std::optional<std::string_view> item;
      if (map.items->IsValid(j)) item = map.items->GetView(j);
      entries.emplace_back(keys->GetView(j), item);
    }
    if (sort_keys) {  // sorted by key bytes; of equal keys the last entry wins
      std::map<std::string_view, std::optional<std::string_view>> sorted;
      for (const auto& [k, v] : entries) sorted[k] = v;
      entries.assign(sorted.begin(), sorted.end());
    }
    CA_RETURN_NOT_OK(builder.Append());
    for (const auto& [k, v] : entries) {
      CA_RETURN_NOT_OK(key_builder->Append(k));
      CA_RETURN_NOT_OK(v ? item_builder->Append(*v) : item_builder->AppendNull());
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

}  // namespace

std::vector<FunctionSpec> NestedFunctionSpecs() {
  std::vector<FunctionSpec> specs;
  specs.push_back({"list_compact",
                   {"array_compact"},
                   {{"list", ParamType::kList}},
                   1,
                   false,
                   arrow::list(arrow::utf8()),
                   -1,
                   ExecListCompact,
                   "The list's non-NULL elements in order, as text (Arrow's cast to string); NULL "
                   "for a NULL list.",
                   {}});
  specs.push_back({"list_unique_sorted",
                   {"array_unique_sorted"},
                   {{"list", ParamType::kList}},
                   1,
                   false,
                   arrow::list(arrow::utf8()),
                   -1,
                   ExecListUniqueSorted,
                   "The list's distinct non-NULL elements as text, sorted by their UTF-8 bytes "
                   "(so 10 sorts before 9); NULL for a NULL list.",
                   {}});
  specs.push_back(
      {"map_get_default",
       {},
       {{"map", ParamType::kMap}, {"key", ParamType::kText}, {"default_value", ParamType::kText}},
       3,
       false,
       arrow::utf8(),
       -1,
       ExecMapGetDefault,
       "The first non-NULL value (as text) whose key's text equals key, else "
       "default_value (NULL when that is NULL); a NULL map gives default_value. key "
       "must be a non-NULL constant (ARGUMENT_NOT_CONSTANT, NULL_MAP_KEY).",
       {}});
  specs.push_back(
      {"map_normalize",
       {},
       {{"map", ParamType::kMap}, {"key_case", ParamType::kText}, {"sort_keys", ParamType::kBool}},
       1,
       false,
       arrow::map(arrow::utf8(), arrow::utf8()),
       -1,
       ExecMapNormalize,
       "The map as map<utf8, utf8>: entries with NULL keys dropped, keys lower- or "
       "upper-cased per code point (Arrow's utf8_lower/utf8_upper: simple mappings, U+00DF to "
       "U+1E9E) or "
       "kept (key_case lower, upper, none; any "
       "case; INVALID_KEY_CASE otherwise), and if sort_keys sorted by key bytes with "
       "the last of equal keys kept. Options must be constants; absent or NULL ones "
       "take the map_normalize_* config (lower, true). NULL for a NULL map.",
       {"map_normalize_key_case", "map_normalize_sort_keys"}});
  return specs;
}

}  // namespace codeanatomy::functions::internal
