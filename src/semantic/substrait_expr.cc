// Substrait expressions -> engine expressions, over named input columns.
#include "semantic/substrait_internal.h"

namespace codeanatomy::semantic::substrait_internal {

Result<SubstraitCall> CallFromSubstrait(const JsonValue& function, const ExtensionReader& ext,
                                        const std::string& path) {
  SubstraitCall call;
  if (!Member(function, "functionReference")) {
    return InvalidPlan(path, "function call without a functionReference");
  }
  CA_ASSIGN_OR_RAISE(int64_t anchor, IntMember(function, "functionReference", path));
  CA_ASSIGN_OR_RAISE(call.id, ext.Function(anchor, JsonPathAppendKey(path, "functionReference")));
  CA_ASSIGN_OR_RAISE(auto options, ArrayMember(function, "options", path));
  for (size_t i = 0; i < options.size(); ++i) {
    std::string at = JsonPathAppendIndex(JsonPathAppendKey(path, "options"), i);
    CA_ASSIGN_OR_RAISE(auto name, StringMember(*options[i], "name", at));
    CA_ASSIGN_OR_RAISE(auto prefs, ArrayMember(*options[i], "preference", at));
    std::vector<std::string> values;
    for (const auto* p : prefs) {
      if (!p->is_string()) return InvalidPlan(at, "an option preference must be a string");
      values.push_back(p->string_value());
    }
    call.options.emplace_back(std::move(name), std::move(values));
  }
  return call;
}

Result<std::vector<engine::ExprPtr>> ArgumentsFromSubstrait(const JsonValue& function,
                                                            const std::vector<std::string>& names,
                                                            const ExtensionReader& ext,
                                                            const std::string& path) {
  CA_ASSIGN_OR_RAISE(auto arguments, ArrayMember(function, "arguments", path));
  std::vector<engine::ExprPtr> out;
  for (size_t i = 0; i < arguments.size(); ++i) {
    std::string at = JsonPathAppendIndex(JsonPathAppendKey(path, "arguments"), i);
    const JsonValue* value = Member(*arguments[i], "value");
    if (!value) {
      return NotSupported("expression", "enum or type argument",
                          "function arguments other than values (at " + at + ")");
    }
    CA_ASSIGN_OR_RAISE(auto arg,
                       ExprFromSubstrait(*value, names, ext, JsonPathAppendKey(at, "value")));
    out.push_back(std::move(arg));
  }
  return out;
}

namespace {

Result<engine::ExprPtr> Selection(const JsonValue& body, const std::vector<std::string>& names,
                                  const std::string& path) {
  if (Member(body, "outerReference")) {
    return NotSupported("expression", "outerReference", "outer references (correlated subqueries)");
  }
  const JsonValue* direct = Member(body, "directReference");
  const JsonValue* field = direct ? Member(*direct, "structField") : nullptr;
  if (!field) {
    return NotSupported("expression", "selection",
                        "field references other than a direct struct field (at " + path + ")");
  }
  std::string at = JsonPathAppendKey(JsonPathAppendKey(path, "directReference"), "structField");
  if (Member(*field, "child")) {
    return NotSupported("expression", "nested field reference",
                        "references into nested fields (at " + at + ")");
  }
  CA_ASSIGN_OR_RAISE(int64_t index, IntMember(*field, "field", at));
  if (index < 0 || index >= static_cast<int64_t>(names.size())) {
    return InvalidPlan(JsonPathAppendKey(at, "field"),
                       "field " + std::to_string(index) + " is out of range (the input has " +
                           std::to_string(names.size()) + " columns)");
  }
  return engine::Column(names[static_cast<size_t>(index)]);
}

}  // namespace

Result<engine::ExprPtr> ExprFromSubstrait(const JsonValue& expr,
                                          const std::vector<std::string>& names,
                                          const ExtensionReader& ext, const std::string& path) {
  static const std::vector<std::string> kKinds = {
      "selection",      "literal", "scalarFunction", "ifThen",
      "singularOrList", "cast",    "windowFunction", "switchExpression",
      "multiOrList",    "enum",    "nested",         "subquery"};
  CA_ASSIGN_OR_RAISE(auto kind, OneOf(expr, kKinds, path, "expression"));
  const auto& [name, body] = kind;
  std::string at = JsonPathAppendKey(path, name);
  if (name == "selection") return Selection(*body, names, at);
  if (name == "literal") {
    CA_ASSIGN_OR_RAISE(auto scalar, LiteralFromSubstrait(*body, ext, at));
    return engine::Literal(std::move(scalar));
  }
  if (name == "scalarFunction") {
    CA_ASSIGN_OR_RAISE(auto call, CallFromSubstrait(*body, ext, at));
    CA_ASSIGN_OR_RAISE(auto args, ArgumentsFromSubstrait(*body, names, ext, at));
    // NOT (x IN list) is how the producer writes x NOT IN list.
    if (call.id.name == "not" && args.size() == 1 && args[0]->kind == engine::ExprKind::kInList &&
        !args[0]->negated) {
      auto negated = std::make_shared<engine::Expr>(*args[0]);
      negated->negated = true;
      return engine::ExprPtr(negated);
    }
    return ScalarCallFromSubstrait(call, std::move(args));
  }
  if (name == "ifThen") {
    CA_ASSIGN_OR_RAISE(auto ifs, ArrayMember(*body, "ifs", at));
    if (ifs.empty()) return InvalidPlan(at, "IfThen without clauses");
    std::vector<std::pair<engine::ExprPtr, engine::ExprPtr>> when_then;
    for (size_t i = 0; i < ifs.size(); ++i) {
      std::string clause = JsonPathAppendIndex(JsonPathAppendKey(at, "ifs"), i);
      const JsonValue* cond = Member(*ifs[i], "if");
      const JsonValue* then = Member(*ifs[i], "then");
      if (!cond || !then) return InvalidPlan(clause, "an IfThen clause needs 'if' and 'then'");
      CA_ASSIGN_OR_RAISE(auto c,
                         ExprFromSubstrait(*cond, names, ext, JsonPathAppendKey(clause, "if")));
      CA_ASSIGN_OR_RAISE(auto t,
                         ExprFromSubstrait(*then, names, ext, JsonPathAppendKey(clause, "then")));
      when_then.emplace_back(std::move(c), std::move(t));
    }
    engine::ExprPtr otherwise;
    if (const JsonValue* e = Member(*body, "else")) {
      CA_ASSIGN_OR_RAISE(otherwise,
                         ExprFromSubstrait(*e, names, ext, JsonPathAppendKey(at, "else")));
    }
    return engine::Case(std::move(when_then), std::move(otherwise));
  }
  if (name == "singularOrList") {
    const JsonValue* value = Member(*body, "value");
    if (!value) return InvalidPlan(at, "SingularOrList without a value");
    CA_ASSIGN_OR_RAISE(auto v,
                       ExprFromSubstrait(*value, names, ext, JsonPathAppendKey(at, "value")));
    CA_ASSIGN_OR_RAISE(auto options, ArrayMember(*body, "options", at));
    std::vector<engine::ExprPtr> list;
    for (size_t i = 0; i < options.size(); ++i) {
      CA_ASSIGN_OR_RAISE(
          auto item, ExprFromSubstrait(*options[i], names, ext,
                                       JsonPathAppendIndex(JsonPathAppendKey(at, "options"), i)));
      list.push_back(std::move(item));
    }
    return engine::InList(std::move(v), std::move(list), false);
  }
  if (name == "cast") {
    const JsonValue* type = Member(*body, "type");
    const JsonValue* input = Member(*body, "input");
    if (!type || !input) return InvalidPlan(at, "a cast needs 'type' and 'input'");
    CA_ASSIGN_OR_RAISE(auto t, TypeFromSubstrait(*type, ext, JsonPathAppendKey(at, "type")));
    CA_ASSIGN_OR_RAISE(auto in,
                       ExprFromSubstrait(*input, names, ext, JsonPathAppendKey(at, "input")));
    return engine::Cast(std::move(in), std::move(t));
  }
  return NotSupported("expression", name,
                      "Substrait expression '" + name + "' (at " + path + ") is not supported");
}

}  // namespace codeanatomy::semantic::substrait_internal
