// Hashing: stable 64/128-bit BLAKE2b hashes, prefixed ids and multi-part ids.
#include <arrow/array/util.h>
#include <arrow/builder.h>

#include "common/hash.h"
#include "functions/function_kernel.h"
#include "functions/unicode_text.h"

namespace codeanatomy::functions::internal {

namespace {

std::string PrefixedHash64(std::string_view prefix, std::string_view value) {
  return std::string(prefix) + ":" + std::to_string(StableHash64(value));
}

std::string StableId(std::string_view prefix, std::string_view value) {
  return std::string(prefix) + ":" + StableHash128(value);
}

Status ExecStableHash64(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  arrow::Int64Builder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (args[0].IsNull(i)) {
      builder.UnsafeAppendNull();
    } else {
      builder.UnsafeAppend(StableHash64(args[0].Str(i)));
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

// A string result from a function of the row's text arguments, NULL when any is NULL.
template <typename F>
Status EmitStrings(cp::KernelContext* ctx, const cp::ExecSpan& batch, F&& f, cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  arrow::StringBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    bool any_null = false;
    for (const auto& a : args) any_null = any_null || a.IsNull(i);
    if (any_null) {
      CA_RETURN_NOT_OK(builder.AppendNull());
    } else {
      CA_RETURN_NOT_OK(builder.Append(f(args, i)));
    }
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecStableHash128(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return EmitStrings(
      ctx, batch, [](const std::vector<Arg>& a, int64_t i) { return StableHash128(a[0].Str(i)); },
      out);
}

Status ExecPrefixedHash64(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return EmitStrings(
      ctx, batch,
      [](const std::vector<Arg>& a, int64_t i) { return PrefixedHash64(a[0].Str(i), a[1].Str(i)); },
      out);
}

Status ExecStableId(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return EmitStrings(
      ctx, batch,
      [](const std::vector<Arg>& a, int64_t i) { return StableId(a[0].Str(i), a[1].Str(i)); }, out);
}

// parts joined by \x1f, NULL parts written __NULL__; NULL prefix gives NULL.
template <typename F>
Status ExecParts(cp::KernelContext* ctx, const cp::ExecSpan& batch, F&& combine,
                 cp::ExecResult* out) {
  auto args = ArgsOf(batch);
  arrow::StringBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  std::string joined;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (args[0].IsNull(i)) {
      CA_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    JoinParts(args, 1, i, &joined);
    CA_RETURN_NOT_OK(builder.Append(combine(args[0].Str(i), joined)));
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

Status ExecStableIdParts(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return ExecParts(ctx, batch, StableId, out);
}

Status ExecPrefixedHashParts64(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                               cp::ExecResult* out) {
  return ExecParts(ctx, batch, PrefixedHash64, out);
}

Status ExecStableHashAny(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const std::string& name = StateOf(ctx).name;
  auto args = ArgsOf(batch);
  if (batch.length == 0) {
    CA_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(arrow::utf8(), ctx->memory_pool()));
    return Emit(empty, out);
  }
  CA_RETURN_NOT_OK(RequireConstant(name, args, 1, "canonical"));
  CA_RETURN_NOT_OK(RequireConstant(name, args, 2, "null_sentinel"));
  bool canonical = args.size() < 2 || args[1].IsNull(0) || args[1].Bool(0);
  std::string sentinel =
      args.size() < 3 || args[2].IsNull(0) ? std::string(kNullPart) : std::string(args[2].Str(0));
  // The text of every row, the sentinel standing for NULL.
  arrow::StringBuilder texts(ctx->memory_pool());
  CA_RETURN_NOT_OK(texts.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    std::string_view text = args[0].IsNull(i) ? std::string_view(sentinel) : args[0].Str(i);
    if (canonical) CA_RETURN_NOT_OK(CheckUtf8(name, text, i));
    CA_RETURN_NOT_OK(texts.Append(text));
  }
  CA_ASSIGN_OR_RAISE(auto text_array, texts.Finish());
  auto strings = std::static_pointer_cast<arrow::StringArray>(text_array);
  if (canonical) {
    CA_ASSIGN_OR_RAISE(strings, NormalizeTexts(*strings, TextNormalization{}, ctx->memory_pool()));
  }
  arrow::StringBuilder builder(ctx->memory_pool());
  CA_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    CA_RETURN_NOT_OK(builder.Append(StableHash128(strings->GetView(i))));
  }
  CA_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return Emit(array, out);
}

}  // namespace

std::vector<FunctionSpec> HashFunctionSpecs() {
  const auto text = ParamType::kText;
  std::vector<FunctionSpec> specs;
  specs.push_back({"stable_hash64",
                   {"hash64"},
                   {{"value", text}},
                   1,
                   false,
                   arrow::int64(),
                   -1,
                   ExecStableHash64,
                   "BLAKE2b with an 8-byte digest of the UTF-8 bytes, read big-endian and masked "
                   "to 63 bits (never negative); NULL for NULL.",
                   {}});
  specs.push_back({"stable_hash128",
                   {"hash128"},
                   {{"value", text}},
                   1,
                   false,
                   arrow::utf8(),
                   -1,
                   ExecStableHash128,
                   "Lower-case hex (32 characters) of BLAKE2b with a 16-byte digest; NULL for "
                   "NULL.",
                   {}});
  specs.push_back({"prefixed_hash64",
                   {"prefixed_hash"},
                   {{"prefix", text}, {"value", text}},
                   2,
                   false,
                   arrow::utf8(),
                   -1,
                   ExecPrefixedHash64,
                   "'<prefix>:<stable_hash64(value)>' in decimal; NULL when either is NULL.",
                   {}});
  specs.push_back({"stable_id",
                   {},
                   {{"prefix", text}, {"value", text}},
                   2,
                   false,
                   arrow::utf8(),
                   -1,
                   ExecStableId,
                   "'<prefix>:<stable_hash128(value)>' (the prefix is not hashed); NULL when "
                   "either is NULL.",
                   {}});
  specs.push_back({"stable_id_parts",
                   {"stable_id_multi"},
                   {{"prefix", text}, {"parts", ParamType::kAnyAsText}},
                   2,
                   true,
                   arrow::utf8(),
                   -1,
                   ExecStableIdParts,
                   "stable_id(prefix, parts joined by \\x1f), each part as its text (Arrow's cast "
                   "to string) and NULL parts as __NULL__; NULL when the prefix is NULL.",
                   {}});
  specs.push_back({"prefixed_hash_parts64",
                   {"prefixed_hash_parts"},
                   {{"prefix", text}, {"parts", ParamType::kAnyAsText}},
                   2,
                   true,
                   arrow::utf8(),
                   -1,
                   ExecPrefixedHashParts64,
                   "prefixed_hash64(prefix, parts joined by \\x1f), parts as in stable_id_parts; "
                   "NULL when the prefix is NULL.",
                   {}});
  specs.push_back(
      {"stable_hash_any",
       {"stable_hash"},
       {{"value", ParamType::kAnyAsText}, {"canonical", ParamType::kBool}, {"null_sentinel", text}},
       1,
       false,
       arrow::utf8(),
       -1,
       ExecStableHashAny,
       "stable_hash128 of the value's text (Arrow's cast to string), NULL written as "
       "null_sentinel (default __NULL__); when canonical (default true) the text is "
       "first trimmed of Unicode White_Space and then NFKC-normalized. canonical and "
       "null_sentinel must be constants (NULL means the default). Never NULL.",
       {}});
  return specs;
}

}  // namespace codeanatomy::functions::internal
