// What the Substrait producer (substrait_producer.cc), consumer (substrait_consumer.cc) and the
// lineage report (lineage.cc) share: errors, extension declarations, types and literals, and
// the naming of functions. Plans are handled in Substrait's protobuf JSON mapping (camelCase
// member names, 64-bit integers as strings or numbers, enums by name); Arrow converts between
// that form and the binary one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "common/json.h"
#include "common/status.h"
#include "engine/expr.h"
#include "engine/logical_plan.h"

namespace codeanatomy::semantic::substrait_internal {

/// The stage every Substrait error carries.
inline constexpr std::string_view kStage = "substrait";
/// Extension URI of the codeanatomy functions (the UDF bundle, plugins' and sessions' own).
inline constexpr const char* kCodeanatomyFunctionsUri = "urn:codeanatomy:functions";
/// Name prefix of the function option that carries a call's Arrow FunctionOptions exactly
/// (the rest of the name is the options' type name; the one preference is their serialized
/// form in base64).
inline constexpr std::string_view kArrowOptionsPrefix = "codeanatomy.arrow_options:";

// ---- errors (stage "substrait") ----

/// SUBSTRAIT_NOT_SUPPORTED with details {what: name}, e.g. {"relation": "cross"}.
Status NotSupported(std::string_view what, const std::string& name, const std::string& message);
/// SUBSTRAIT_INVALID_PLAN with details {path}.
Status InvalidPlan(const std::string& path, const std::string& message);
/// SUBSTRAIT_UNKNOWN_FUNCTION with details {function, uri}.
Status UnknownFunction(const std::string& uri, const std::string& name, const std::string& why);

// ---- reading JSON ----

/// Member `key` of an object, or nullptr (also when `value` is not an object).
const JsonValue* Member(const JsonValue& value, std::string_view key);
/// An integer written as a JSON number or (64-bit fields) as a string; `fallback` if absent.
Result<int64_t> IntMember(const JsonValue& object, std::string_view key, const std::string& path,
                          int64_t fallback = 0);
/// A string member, or `fallback` when absent.
Result<std::string> StringMember(const JsonValue& object, std::string_view key,
                                 const std::string& path, std::string fallback = "");
/// The elements of array member `key` (empty when absent).
Result<std::vector<const JsonValue*>> ArrayMember(const JsonValue& object, std::string_view key,
                                                  const std::string& path);
/// The one member of a `oneof` object whose key is in `kinds`, e.g. a Rel's relation.
Result<std::pair<std::string, const JsonValue*>> OneOf(const JsonValue& object,
                                                       const std::vector<std::string>& kinds,
                                                       const std::string& path,
                                                       std::string_view what);

// ---- extension declarations ----

/// A function or type of an extension: its URI and its name there.
struct ExtensionId {
  std::string uri;
  std::string name;
  bool operator<(const ExtensionId& o) const { return uri != o.uri ? uri < o.uri : name < o.name; }
};

/// Collects the extension URIs, functions and types a plan being written refers to; anchors
/// are handed out in first-use order, so the same plan always gets the same numbers.
class ExtensionWriter {
 public:
  int64_t FunctionAnchor(const ExtensionId& id) { return Anchor(id, &functions_); }
  int64_t TypeAnchor(const ExtensionId& id) { return Anchor(id, &types_); }
  /// Sets the plan's "extensionUris" and "extensions" members.
  void WriteTo(JsonValue* plan) const;

 private:
  int64_t Anchor(const ExtensionId& id, std::map<ExtensionId, int64_t>* anchors);
  int64_t UriAnchor(const std::string& uri);
  std::vector<std::string> uris_;
  std::map<ExtensionId, int64_t> functions_;
  std::map<ExtensionId, int64_t> types_;
};

/// The extension declarations of a plan being read.
class ExtensionReader {
 public:
  static Result<ExtensionReader> Parse(const JsonValue& plan);
  Result<ExtensionId> Function(int64_t anchor, const std::string& path) const;
  Result<ExtensionId> Type(int64_t anchor, const std::string& path) const;

 private:
  std::map<int64_t, ExtensionId> functions_;
  std::map<int64_t, ExtensionId> types_;
};

// ---- types and schemas (substrait_types.cc), literals (substrait_literals.cc) ----

Result<JsonValue> TypeToSubstrait(const arrow::DataType& type, bool nullable, ExtensionWriter* ext);
Result<std::shared_ptr<arrow::DataType>> TypeFromSubstrait(const JsonValue& type,
                                                           const ExtensionReader& ext,
                                                           const std::string& path);
/// A NamedStruct: the names in depth-first order (nested struct fields included) and the types.
Result<JsonValue> SchemaToNamedStruct(const arrow::Schema& schema, ExtensionWriter* ext);
Result<std::shared_ptr<arrow::Schema>> SchemaFromNamedStruct(const JsonValue& named,
                                                             const ExtensionReader& ext,
                                                             const std::string& path);
/// The names of `schema` in Substrait's depth-first order (a RelRoot's "names").
std::vector<std::string> DepthFirstNames(const arrow::Schema& schema);
/// An Expression for the scalar: a literal, or a cast of one for types Substrait has no
/// literal of (unsigned integers).
Result<JsonValue> LiteralToSubstrait(const arrow::Scalar& value, ExtensionWriter* ext);
Result<std::shared_ptr<arrow::Scalar>> LiteralFromSubstrait(const JsonValue& literal,
                                                            const ExtensionReader& ext,
                                                            const std::string& path);

// ---- functions (substrait_functions.cc) ----

/// A call as Substrait names it: the function and its options (name -> preferences).
struct SubstraitCall {
  ExtensionId id;
  std::vector<std::pair<std::string, std::vector<std::string>>> options;
};

/// How a scalar call of the engine (kCall) is named in Substrait: a standard Substrait function
/// when Arrow knows one, else Arrow's own name under Arrow's extension URI, else (a session's
/// function) its name under kCodeanatomyFunctionsUri. `fr` is the session's resolver.
Result<SubstraitCall> ScalarCallToSubstrait(const engine::Expr& call,
                                            const engine::FunctionResolver& fr);
/// The same for an aggregate call (its DISTINCT is the measure's invocation).
Result<SubstraitCall> AggregateCallToSubstrait(const engine::Expr& call,
                                               const engine::FunctionResolver& fr);
/// The same for a window function.
Result<SubstraitCall> WindowCallToSubstrait(const engine::WindowFunction& w,
                                            const engine::FunctionResolver& fr);

/// The engine call for a Substrait scalar function call with the given arguments; the options
/// carried exactly (kArrowOptionsPrefix) or implied by standard options are restored.
Result<engine::ExprPtr> ScalarCallFromSubstrait(const SubstraitCall& call,
                                                std::vector<engine::ExprPtr> args);
/// The engine aggregate call for a Substrait measure.
Result<engine::ExprPtr> AggregateCallFromSubstrait(const SubstraitCall& call,
                                                   std::vector<engine::ExprPtr> args,
                                                   bool distinct);
/// The engine's window function name for a Substrait window function.
Result<std::string> WindowNameFromSubstrait(const SubstraitCall& call, size_t num_args);

/// The name the engine's function registry knows a call by (Arrow's registry resolves the
/// engine's aliases: "+" -> "add_checked", "avg" -> "mean"; count() -> "count_all",
/// count(DISTINCT) -> "count_distinct"); other names (a session's functions) lower-cased.
std::string CanonicalFunctionName(const std::string& name, size_t num_args, bool distinct);
/// The expression as the consumer reads it back from its Substrait form: calls renamed to the
/// names the consumer gives them, aliases removed. Lineage texts of both sides use it.
engine::ExprPtr NormalizeExpr(const engine::ExprPtr& expr);

// ---- reading expressions (substrait_expr.cc) ----

/// The function and options of a Substrait ScalarFunction, AggregateFunction or window
/// function message.
Result<SubstraitCall> CallFromSubstrait(const JsonValue& function, const ExtensionReader& ext,
                                        const std::string& path);
/// The value arguments of a function message, decoded over `names`.
Result<std::vector<engine::ExprPtr>> ArgumentsFromSubstrait(const JsonValue& function,
                                                            const std::vector<std::string>& names,
                                                            const ExtensionReader& ext,
                                                            const std::string& path);
/// An engine expression for a Substrait expression over input columns `names` (field i is
/// column names[i]). Needs no session: functions are named, not resolved.
Result<engine::ExprPtr> ExprFromSubstrait(const JsonValue& expr,
                                          const std::vector<std::string>& names,
                                          const ExtensionReader& ext, const std::string& path);

/// `conjuncts` joined with "and" (nullptr when empty).
engine::ExprPtr Conjoin(const std::vector<engine::ExprPtr>& conjuncts);
/// The conjuncts of a top-level chain of "and" calls.
void SplitConjunction(const engine::ExprPtr& expr, std::vector<engine::ExprPtr>* out);

}  // namespace codeanatomy::semantic::substrait_internal
