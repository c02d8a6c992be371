// Strings (normalization, blanks, qualified names, semantic tags) and Delta change types.
#include <cctype>

#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/util/checked_cast.h>

#include "functions/function_kernel.h"
#include "functions/unicode_text.h"

namespace codeanatomy::functions::internal {

namespace {

using arrow::internal::checked_pointer_cast;

// The argument's values as a utf8 array of the batch's length, checked to be valid UTF-8.
Result<std::shared_ptr<arrow::StringArray>> TextColumn(std::string_view function, const Arg& arg,
                                                       int64_t length, arrow::MemoryPool* pool) {
  std::shared_ptr<arrow::Array> array = arg.array();
  if (arg.is_scalar()) {
    CA_ASSIGN_OR_RAISE(array, arrow::MakeArrayFromScalar(*arg.scalar(), length, pool));
  }
  auto strings = checked_pointer_cast<arrow::StringArray>(array);
  for (int64_t i = 0; i < strings->length(); ++i) {
    if (strings->IsValid(i)) CA_RETURN_NOT_OK(CheckUtf8(function, strings->GetView(i), i));
  }
  return strings;
}

// Empty strings become NULL.
Result<std::shared_ptr<arrow::Array>> BlankToNull(const arrow::StringArray& values,
                                                  arrow::MemoryPool* pool) {
  arrow::StringBuilder builder(pool);
  CA_RETURN_NOT_OK(builder.Reserve(values.length()));
  for (int64_t i = 0; i < values.length(); ++i) {
    if (values.IsNull(i) || values.GetView(i).empty()) {
      CA_RETURN_NOT_OK(builder.AppendNull());
    } else {
      CA_RETURN_NOT_OK(builder.Append(values.GetView(i)));
    }
  }
  return builder.Finish();
}

Status ExecUtf8Normalize(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const FunctionState& state = StateOf(ctx);
  auto args = ArgsOf(batch);
  if (batch.length == 0) {
    CA_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(arrow::utf8(), ctx->memory_pool()));
    return Emit(empty, out);
  }
  for (size_t k = 1; k < args.size(); ++k) {
    CA_RETURN_NOT_OK(RequireConstant(state.name, args, k,
                                     k == 1   ? "form"
                                     : k == 2 ? "casefold"
                                              : "collapse_ws"));
  }
  auto given = [&](size_t k) { return args.size() > k && !args[k].IsNull(0); };
  std::string form_name = given(1) ? std::string(args[1].Str(0)) : state.config.utf8_normalize_form;
  auto form = ParseNormalizationForm(form_name);
  if (!form.ok()) {
    return FunctionError(state.name, "INVALID_NORMALIZATION_FORM", form.status().message(),
                         "\"form\":" + JsonQuote(form_name));
  }
  TextNormalization how;
  how.form = *form;
  how.casefold = given(2) ? args[2].Bool(0) : state.config.utf8_normalize_casefold;
  how.collapse_ws = given(3) ? args[3].Bool(0) : state.config.utf8_normalize_collapse_ws;
  CA_ASSIGN_OR_RAISE(auto values,
                     TextColumn(state.name, args[0], batch.length, ctx->memory_pool()));
  CA_ASSIGN_OR_RAISE(auto normalized, NormalizeTexts(*values, how, ctx->memory_pool()));
  CA_ASSIGN_OR_RAISE(auto array, BlankToNull(*normalized, ctx->memory_pool()));
  return Emit(array, out);
}

Status ExecUtf8NullIfBlank(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  CA_ASSIGN_OR_RAISE(auto values,
                     TextColumn(StateOf(ctx).name, args[0], batch.length, ctx->memory_pool()));
  arrow::StringBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(values->length()));
  for (int64_t i = 0; i < values->length(); ++i) {
    std::string_view trimmed = values->IsNull(i) ? "" : TrimWhitespace(values->GetView(i));
    CA_RETURN_NOT_OK(trimmed.empty() ? builder.AppendNull() : builder.Append(trimmed));
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecQnameNormalize(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const std::string& name = StateOf(ctx).name;
  auto args = ArgsOf(batch);
  TextNormalization how{arrow::compute::Utf8NormalizeOptions::NFKC, true, true};
  CA_ASSIGN_OR_RAISE(auto symbols, TextColumn(name, args[0], batch.length, ctx->memory_pool()));
  CA_ASSIGN_OR_RAISE(symbols, NormalizeTexts(*symbols, how, ctx->memory_pool()));
  std::shared_ptr<arrow::StringArray> modules;
  if (args.size() > 1) {
    CA_ASSIGN_OR_RAISE(modules, TextColumn(name, args[1], batch.length, ctx->memory_pool()));
    CA_ASSIGN_OR_RAISE(modules, NormalizeTexts(*modules, how, ctx->memory_pool()));
  }
  arrow::StringBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    std::string_view symbol = symbols->IsNull(i) ? "" : symbols->GetView(i);
    std::string_view module = !modules || modules->IsNull(i) ? "" : modules->GetView(i);
    if (symbol.empty()) {
      CA_RETURN_NOT_OK(builder.AppendNull());
    } else if (module.empty() || symbol.find('.') != std::string_view::npos) {
      CA_RETURN_NOT_OK(builder.Append(symbol));
    } else {
      CA_RETURN_NOT_OK(builder.Append(std::string(module) + "." + std::string(symbol)));
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecSemanticTag(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const std::string& name = StateOf(ctx).name;
  auto args = ArgsOf(batch);
  if (batch.length == 0 && args[1].is_scalar()) {
    CA_ASSIGN_OR_RAISE(auto empty,
                       arrow::MakeEmptyArray(args[1].scalar()->type, ctx->memory_pool()));
    return Emit(empty, out);
  }
  if (batch.length == 0) return Emit(args[1].array(), out);
  CA_RETURN_NOT_OK(RequireConstant(name, args, 0, "semantic_type"));
  if (args[0].IsNull(0) || TrimWhitespace(args[0].Str(0)).empty()) {
    return FunctionError(name, "INVALID_SEMANTIC_TYPE", "semantic_type must be a non-blank string");
  }
  if (args[1].is_scalar()) {
    CA_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayFromScalar(*args[1].scalar(), batch.length,
                                                              ctx->memory_pool()));
    return Emit(array, out);
  }
  return Emit(args[1].array(), out);
}

// Delta change types: trimmed, ASCII case-insensitive.
int32_t ChangeRank(std::string_view change_type) {
  std::string t;
  for (char ch : change_type)
    t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  size_t b = t.find_first_not_of(" \t\n\r\f\v");
  size_t e = t.find_last_not_of(" \t\n\r\f\v");
  t = b == std::string::npos ? "" : t.substr(b, e - b + 1);
  if (t == "update_postimage") return 3;
  if (t == "insert") return 2;
  if (t == "delete") return 1;
  if (t == "update_preimage") return 0;
  return -1;
}

template <typename Builder, typename F>
Status ExecChangeType(cp::KernelContext* ctx, const cp::ExecSpan& batch, F&& f,
                      cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  Builder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (args[0].IsNull(i)) {
      builder.UnsafeAppendNull();
    } else {
      builder.UnsafeAppend(f(ChangeRank(args[0].Str(i))));
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecCdfChangeRank(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return ExecChangeType<arrow::Int32Builder>(
      ctx, batch, [](int32_t r) { return r; }, out);
}

Status ExecCdfIsUpsert(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return ExecChangeType<arrow::BooleanBuilder>(
      ctx, batch, [](int32_t r) { return r == 2 || r == 3; }, out);
}

Status ExecCdfIsDelete(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return ExecChangeType<arrow::BooleanBuilder>(
      ctx, batch, [](int32_t r) { return r == 1; }, out);
}

}  // namespace

std::vector<FunctionSpec> StringFunctionSpecs() {
  const auto text = ParamType::kText;
  const auto flag = ParamType::kBool;
  std::vector<FunctionSpec> specs;
  specs.push_back(
      {"utf8_normalize",
       {"normalize_utf8"},
       {{"value", text}, {"form", text}, {"casefold", flag}, {"collapse_ws", flag}},
       1,
       false,
       arrow::utf8(),
       -1,
       ExecUtf8Normalize,
       "Trims Unicode White_Space, applies form (NFC/NFD/NFKC/NFKD, any case), then if casefold "
       "the Unicode simple lower-case mapping per code point, then if collapse_ws trims again and "
       "turns each White_Space run into one space; a blank result is NULL. Options must be "
       "constants; absent or NULL ones take the utf8_normalize_* config (NFKC, true, true). "
       "Shadows Arrow's utf8_normalize in the session. INVALID_NORMALIZATION_FORM, INVALID_UTF8.",
       {"utf8_normalize_form", "utf8_normalize_casefold", "utf8_normalize_collapse_ws"}});
  specs.push_back({"utf8_null_if_blank",
                   {"null_if_blank"},
                   {{"value", text}},
                   1,
                   false,
                   arrow::utf8(),
                   -1,
                   ExecUtf8NullIfBlank,
                   "The value trimmed of Unicode White_Space, or NULL when nothing is left; "
                   "INVALID_UTF8 for undecodable text.",
                   {}});
  specs.push_back({"qname_normalize",
                   {"qualname_normalize"},
                   {{"symbol", text}, {"module", text}, {"lang", text}},
                   1,
                   false,
                   arrow::utf8(),
                   -1,
                   ExecQnameNormalize,
                   "Symbol and module normalized as utf8_normalize(x, 'NFKC', true, true) (fixed, "
                   "not the config), joined as 'module.symbol'; the symbol alone when the module "
                   "is NULL or blank or the symbol already contains '.'; NULL when the symbol is "
                   "NULL or blank; lang is accepted and ignored.",
                   {}});
  specs.push_back({"semantic_tag",
                   {},
                   {{"semantic_type", text}, {"value", ParamType::kAny}},
                   2,
                   false,
                   nullptr,
                   1,
                   ExecSemanticTag,
                   "Returns value unchanged (same type); semantic_type must be a constant "
                   "non-blank string (INVALID_SEMANTIC_TYPE). Our plans carry no field metadata, "
                   "so the tag is not attached to the result.",
                   {}});
  specs.push_back({"cdf_change_rank",
                   {},
                   {{"change_type", text}},
                   1,
                   false,
                   arrow::int32(),
                   -1,
                   ExecCdfChangeRank,
                   "update_postimage 3, insert 2, delete 1, update_preimage 0, anything else -1 "
                   "(trimmed, ASCII case-insensitive); NULL for NULL.",
                   {}});
  specs.push_back({"cdf_is_upsert",
                   {},
                   {{"change_type", text}},
                   1,
                   false,
                   arrow::boolean(),
                   -1,
                   ExecCdfIsUpsert,
                   "True for insert and update_postimage (as cdf_change_rank reads them); NULL "
                   "for NULL.",
                   {}});
  specs.push_back({"cdf_is_delete",
                   {},
                   {{"change_type", text}},
                   1,
                   false,
                   arrow::boolean(),
                   -1,
                   ExecCdfIsDelete,
                   "True for delete (as cdf_change_rank reads it); NULL for NULL.",
                   {}});
  return specs;
}

}  // namespace codeanatomy::functions::internal
