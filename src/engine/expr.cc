#include "engine/expr.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/compute/exec.h>

#include "common/suggest.h"

namespace codeanatomy::engine {

namespace cp = arrow::compute;

// ---------------------------------------------------------------- construction

namespace {
std::shared_ptr<Expr> NewExpr(ExprKind kind) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  return e;
}
}  // namespace

ExprPtr Column(std::string name) {
  auto e = NewExpr(ExprKind::kColumn);
  e->name = std::move(name);
  return e;
}

ExprPtr Literal(std::shared_ptr<arrow::Scalar> value) {
  auto e = NewExpr(ExprKind::kLiteral);
  e->literal = value ? std::move(value) : std::make_shared<arrow::NullScalar>();
  return e;
}

ExprPtr Call(std::string function, std::vector<ExprPtr> args,
             std::shared_ptr<cp::FunctionOptions> options) {
  auto e = NewExpr(ExprKind::kCall);
  e->name = std::move(function);
  e->args = std::move(args);
  e->options = std::move(options);
  return e;
}

ExprPtr Alias(ExprPtr expr, std::string name) {
  auto e = NewExpr(ExprKind::kAlias);
  e->name = std::move(name);
  e->args = {std::move(expr)};
  return e;
}

ExprPtr Cast(ExprPtr expr, std::shared_ptr<arrow::DataType> type) {
  auto e = NewExpr(ExprKind::kCast);
  e->type = std::move(type);
  e->args = {std::move(expr)};
  return e;
}

ExprPtr Case(std::vector<std::pair<ExprPtr, ExprPtr>> when_then, ExprPtr otherwise) {
  auto e = NewExpr(ExprKind::kCase);
  for (auto& [w, t] : when_then) {
    e->args.push_back(std::move(w));
    e->args.push_back(std::move(t));
  }
  if (otherwise) {
    e->args.push_back(std::move(otherwise));
    e->has_else = true;
  }
  return e;
}

ExprPtr InList(ExprPtr value, std::vector<ExprPtr> list, bool negated) {
  auto e = NewExpr(ExprKind::kInList);
  e->args.push_back(std::move(value));
  for (auto& item : list) e->args.push_back(std::move(item));
  e->negated = negated;
  return e;
}

ExprPtr Between(ExprPtr value, ExprPtr low, ExprPtr high, bool negated) {
  auto both = Call("and", {Call(">=", {value, std::move(low)}), Call("<=", {value, std::move(high)})});
  return negated ? Call("not", {both}) : both;
}

ExprPtr Like(ExprPtr value, std::string pattern, bool case_insensitive, bool negated) {
  auto e = NewExpr(ExprKind::kCall);
  e->name = case_insensitive ? "ilike" : "like";
  e->args = {std::move(value), Literal(arrow::MakeScalar(pattern))};
  e->options = std::make_shared<cp::MatchSubstringOptions>(pattern, case_insensitive);
  return negated ? Call("not", {e}) : ExprPtr(e);
}

ExprPtr AggregateCall(std::string function, std::vector<ExprPtr> args, bool distinct) {
  auto e = NewExpr(ExprKind::kCall);
  e->name = std::move(function);
  e->args = std::move(args);
  e->distinct = distinct;
  return e;
}

// ---------------------------------------------------------------- printing

namespace {

const std::unordered_map<std::string, std::string>& InfixOperators() {
  static const std::unordered_map<std::string, std::string> ops = {
      {"+", "+"},        {"add", "+"},        {"-", "-"},          {"subtract", "-"},
      {"*", "*"},        {"multiply", "*"},   {"/", "/"},          {"divide", "/"},
      {"=", "="},        {"equal", "="},      {"!=", "!="},        {"<>", "!="},
      {"not_equal", "!="}, {"<", "<"},        {"less", "<"},       {"<=", "<="},
      {"less_equal", "<="}, {">", ">"},       {"greater", ">"},    {">=", ">="},
      {"greater_equal", ">="}, {"and", "AND"}, {"or", "OR"},       {"||", "||"},
      {"like", "LIKE"},  {"ilike", "ILIKE"}};
  return ops;
}

std::string LiteralText(const arrow::Scalar& s) {
  if (!s.is_valid) return "NULL";
  if (s.type->id() == arrow::Type::STRING || s.type->id() == arrow::Type::LARGE_STRING ||
      s.type->id() == arrow::Type::STRING_VIEW) {
    return "'" + s.ToString() + "'";
  }
  return s.ToString();
}

}  // namespace

std::string ToString(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kColumn:
      return e.name;
    case ExprKind::kLiteral:
      return LiteralText(*e.literal);
    case ExprKind::kAlias:
      return ToString(*e.args[0]) + " AS " + e.name;
    case ExprKind::kCast:
      return "CAST(" + ToString(*e.args[0]) + " AS " + e.type->ToString() + ")";
    case ExprKind::kCase: {
      std::string out = "CASE";
      size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        out += " WHEN " + ToString(*e.args[2 * i]) + " THEN " + ToString(*e.args[2 * i + 1]);
      }
      if (e.has_else) out += " ELSE " + ToString(*e.args.back());
      return out + " END";
    }
    case ExprKind::kInList: {
      std::string out = ToString(*e.args[0]) + (e.negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < e.args.size(); ++i) {
        if (i > 1) out += ", ";
        out += ToString(*e.args[i]);
      }
      return out + ")";
    }
    case ExprKind::kCall: {
      const auto& ops = InfixOperators();
      if (auto it = ops.find(e.name); it != ops.end() && e.args.size() == 2) {
        return "(" + ToString(*e.args[0]) + " " + it->second + " " + ToString(*e.args[1]) + ")";
      }
      if (e.name == "not" && e.args.size() == 1) return "NOT " + ToString(*e.args[0]);
      if (e.name == "is_null" && e.args.size() == 1) return ToString(*e.args[0]) + " IS NULL";
      if (e.name == "is_not_null" && e.args.size() == 1) {
        return ToString(*e.args[0]) + " IS NOT NULL";
      }
      if (e.name == "count_all" && e.args.empty()) return "count(*)";
      std::string out = e.name + "(" + (e.distinct ? "DISTINCT " : "");
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) out += ", ";
        out += ToString(*e.args[i]);
      }
      return out + ")";
    }
  }
  return "?";
}

std::string OutputName(const Expr& e) {
  if (e.kind == ExprKind::kAlias || e.kind == ExprKind::kColumn) return e.name;
  return ToString(e);
}

const Expr& Unaliased(const Expr& e) {
  return e.kind == ExprKind::kAlias ? Unaliased(*e.args[0]) : e;
}

namespace {
void CollectColumns(const Expr& e, std::vector<std::string>* out,
                    std::unordered_set<std::string>* seen) {
  if (e.kind == ExprKind::kColumn) {
    if (seen->insert(e.name).second) out->push_back(e.name);
    return;
  }
  for (const auto& a : e.args) CollectColumns(*a, out, seen);
}
}  // namespace

std::vector<std::string> ReferencedColumns(const Expr& expr) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  CollectColumns(expr, &out, &seen);
  return out;
}

ExprPtr ReplaceColumns(const ExprPtr& expr,
                       const std::vector<std::pair<std::string, ExprPtr>>& rename) {
  if (expr->kind == ExprKind::kColumn) {
    for (const auto& [from, to] : rename) {
      if (from == expr->name) return to;
    }
    return expr;
  }
  if (expr->args.empty()) return expr;
  auto copy = std::make_shared<Expr>(*expr);
  for (auto& a : copy->args) a = ReplaceColumns(a, rename);
  return copy;
}

// ---------------------------------------------------------------- functions

namespace {

// User-facing names that differ from Arrow's. Checked arithmetic: overflow is an error.
const std::unordered_map<std::string, std::string>& FunctionAliases() {
  static const std::unordered_map<std::string, std::string> aliases = {
      {"+", "add_checked"},
      {"add", "add_checked"},
      {"-", "subtract_checked"},
      {"subtract", "subtract_checked"},
      {"*", "multiply_checked"},
      {"multiply", "multiply_checked"},
      {"/", "divide_checked"},
      {"divide", "divide_checked"},
      {"negate", "negate_checked"},
      {"abs", "abs_checked"},
      {"=", "equal"},
      {"!=", "not_equal"},
      {"<>", "not_equal"},
      {"<", "less"},
      {"<=", "less_equal"},
      {">", "greater"},
      {">=", "greater_equal"},
      {"and", "and_kleene"},
      {"or", "or_kleene"},
      {"not", "invert"},
      {"is_not_null", "is_valid"},
      {"lower", "utf8_lower"},
      {"upper", "utf8_upper"},
      {"length", "utf8_length"},
      {"char_length", "utf8_length"},
      {"character_length", "utf8_length"},
      {"octet_length", "binary_length"},
      {"trim", "utf8_trim_whitespace"},
      {"btrim", "utf8_trim_whitespace"},
      {"ltrim", "utf8_ltrim_whitespace"},
      {"rtrim", "utf8_rtrim_whitespace"},
      {"reverse", "utf8_reverse"},
      {"substr", "utf8_slice_codeunits"},
      {"substring", "utf8_slice_codeunits"},
      {"like", "match_like"},
      {"ilike", "match_like"},
      {"concat", "binary_join_element_wise"},
      {"||", "binary_join_element_wise"},
      {"avg", "mean"},
      {"count_all", "count_all"},
      {"stddev_pop", "stddev"},
      {"var_pop", "variance"},
      {"bool_and", "all"},
      {"bool_or", "any"},
  };
  return aliases;
}

bool IsAggregateKind(cp::Function::Kind kind) {
  return kind == cp::Function::SCALAR_AGGREGATE || kind == cp::Function::HASH_AGGREGATE;
}

Status PlanningError(std::string_view code, std::string message, std::string details) {
  return InvalidError(stage::kPlanning, code, std::move(message), std::move(details));
}

}  // namespace

Result<std::string> FunctionResolver::Resolve(const std::string& name) const {
  std::string lowered = name;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto& aliases = FunctionAliases();
  if (auto it = aliases.find(lowered); it != aliases.end()) return it->second;
  if (registry_->GetFunction(name).ok()) return name;
  if (registry_->GetFunction(lowered).ok()) return lowered;
  auto candidates = ClosestNames(lowered, registry_->GetFunctionNames(), 3);
  return PlanningError("UNKNOWN_FUNCTION", "unknown function '" + name + "'" +
                                               SuggestionText(candidates),
                       "{\"function\":" + JsonQuote(name) +
                           ",\"candidates\":" + JsonStringArray(candidates) + "}");
}

bool FunctionResolver::IsAggregate(const std::string& name) const {
  auto resolved = Resolve(name);
  if (!resolved.ok()) return false;
  auto fn = registry_->GetFunction(*resolved);
  return fn.ok() && IsAggregateKind((*fn)->kind());
}

Result<cp::Expression> MakeCast(cp::Expression arg, const std::shared_ptr<arrow::DataType>& type,
                                cp::FunctionRegistry* registry, bool safe) {
  (void)registry;  // sessions shadow "cast" with a bindable function (arrow_cast.h)
  auto options = safe ? cp::CastOptions::Safe(type) : cp::CastOptions::Unsafe(type);
  return cp::call("cast", {std::move(arg)}, options);
}

bool ContainsAggregate(const Expr& expr, const FunctionResolver& resolver) {
  if (expr.kind == ExprKind::kCall && resolver.IsAggregate(expr.name)) return true;
  for (const auto& a : expr.args) {
    if (ContainsAggregate(*a, resolver)) return true;
  }
  return false;
}

Result<int> ResolveColumn(const arrow::Schema& schema, const std::string& name) {
  auto indices = schema.GetAllFieldIndices(name);
  if (indices.size() == 1) return indices[0];
  if (indices.empty()) {
    auto candidates = ClosestNames(name, schema.field_names(), 3);
    return PlanningError("UNKNOWN_COLUMN",
                         "unknown column '" + name + "'" + SuggestionText(candidates),
                         "{\"column\":" + JsonQuote(name) +
                             ",\"candidates\":" + JsonStringArray(candidates) + "}");
  }
  return PlanningError("AMBIGUOUS_COLUMN", "column reference '" + name + "' is ambiguous",
                       "{\"column\":" + JsonQuote(name) + "}");
}

// ---------------------------------------------------------------- lowering

namespace {

class Lowerer {
 public:
  Lowerer(const arrow::Schema& schema, const FunctionResolver& resolver)
      : schema_(schema), resolver_(resolver), ctx_(arrow::default_memory_pool(), nullptr,
                                                   resolver.registry()) {}

  /// Lowers and binds; the returned expression is bound to schema_.
  Result<cp::Expression> Lower(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kColumn: {
        // By name (unique, checked here) so the expression rebinds to any physical layout.
        CA_ASSIGN_OR_RAISE(int index, ResolveColumn(schema_, e.name));
        (void)index;
        return Bind(cp::field_ref(arrow::FieldRef(e.name)), e);
      }
      case ExprKind::kLiteral:
        return Bind(cp::literal(e.literal), e);
      case ExprKind::kAlias:
        return Lower(*e.args[0]);
      case ExprKind::kCast: {
        CA_ASSIGN_OR_RAISE(auto arg, Lower(*e.args[0]));
        auto cast = MakeCast(arg, e.type, resolver_.registry());
        if (!cast.ok()) {
          return PlanningError("TYPE_MISMATCH",
                               "cannot cast " + ToString(*e.args[0]) + " to " + e.type->ToString() +
                                   ": " + cast.status().message(),
                               "{\"expression\":" + JsonQuote(ToString(e)) + "}");
        }
        return Bind(*cast, e);
      }
      case ExprKind::kCase:
        return LowerCase(e);
      case ExprKind::kInList:
        return LowerInList(e);
      case ExprKind::kCall:
        return LowerCall(e);
    }
    return Status::Invalid("unknown expression kind");
  }

 private:
  Result<cp::Expression> Bind(cp::Expression expr, const Expr& source) {
    auto bound = expr.Bind(schema_, &ctx_);
    if (!bound.ok()) {
      return PlanningError("TYPE_MISMATCH",
                           "cannot plan expression " + ToString(source) + ": " +
                               bound.status().message(),
                           "{\"expression\":" + JsonQuote(ToString(source)) + "}");
    }
    return bound.MoveValueUnsafe();
  }

  // A NULL literal has Arrow's null type; give it the type of its typed siblings so that
  // kernels dispatch (NULL = 1, CASE ... ELSE NULL).
  static void UnifyNullLiterals(std::vector<cp::Expression>* args, size_t begin = 0,
                                size_t step = 1) {
    std::shared_ptr<arrow::DataType> typed;
    for (size_t i = begin; i < args->size(); i += step) {
      const auto* t = (*args)[i].type();
      if (t && t->id() != arrow::Type::NA) {
        typed = (*args)[i].type()->GetSharedPtr();
        break;
      }
    }
    if (!typed) return;
    for (size_t i = begin; i < args->size(); i += step) {
      const auto* t = (*args)[i].type();
      if (t && t->id() == arrow::Type::NA) {
        (*args)[i] = cp::literal(arrow::MakeNullScalar(typed));
        (*args)[i] = (*args)[i];
      }
    }
  }

  Result<std::vector<cp::Expression>> LowerArgs(const std::vector<ExprPtr>& args, size_t begin,
                                                size_t end) {
    std::vector<cp::Expression> out;
    for (size_t i = begin; i < end; ++i) {
      if (ContainsAggregate(*args[i], resolver_)) {
        return PlanningError("AGGREGATE_NOT_ALLOWED",
                             "aggregate function in a scalar context: " + ToString(*args[i]),
                             "{\"expression\":" + JsonQuote(ToString(*args[i])) + "}");
      }
      CA_ASSIGN_OR_RAISE(auto lowered, Lower(*args[i]));
      out.push_back(std::move(lowered));
    }
    return out;
  }

  Result<cp::Expression> LowerCase(const Expr& e) {
    size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
    std::vector<cp::Expression> conditions;
    std::vector<cp::Expression> values;
    std::vector<std::string> names;
    for (size_t i = 0; i < pairs; ++i) {
      CA_ASSIGN_OR_RAISE(auto cond, Lower(*e.args[2 * i]));
      if (cond.type() && cond.type()->id() != arrow::Type::BOOL && cond.type()->id() != arrow::Type::NA) {
        return PlanningError("TYPE_MISMATCH",
                             "CASE WHEN condition must be boolean, got " + cond.type()->ToString() +
                                 ": " + ToString(*e.args[2 * i]),
                             "{\"expression\":" + JsonQuote(ToString(*e.args[2 * i])) + "}");
      }
      CA_ASSIGN_OR_RAISE(auto val, Lower(*e.args[2 * i + 1]));
      conditions.push_back(std::move(cond));
      values.push_back(std::move(val));
      names.push_back("c" + std::to_string(i));
    }
    if (e.has_else) {
      CA_ASSIGN_OR_RAISE(auto other, Lower(*e.args.back()));
      values.push_back(std::move(other));
    }
    UnifyNullLiterals(&values);
    std::vector<cp::Expression> args;
    args.push_back(cp::call("make_struct", conditions, cp::MakeStructOptions(names)));
    for (auto& v : values) args.push_back(std::move(v));
    return Bind(cp::call("case_when", std::move(args)), e);
  }

  Result<cp::Expression> LowerInList(const Expr& e) {
    CA_ASSIGN_OR_RAISE(auto value, Lower(*e.args[0]));
    bool all_literals = std::all_of(e.args.begin() + 1, e.args.end(),
                                    [](const ExprPtr& a) { return a->kind == ExprKind::kLiteral; });
    cp::Expression result;
    if (all_literals && value.type() != nullptr) {
      auto type = value.type()->GetSharedPtr();
      std::unique_ptr<arrow::ArrayBuilder> builder;
      CA_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
      for (size_t i = 1; i < e.args.size(); ++i) {
        auto cast = e.args[i]->literal->CastTo(type);
        if (!cast.ok()) {
          return PlanningError("TYPE_MISMATCH",
                               "IN list value " + ToString(*e.args[i]) + " does not match type " +
                                   type->ToString() + " of " + ToString(*e.args[0]),
                               "{\"expression\":" + JsonQuote(ToString(e)) + "}");
        }
        CA_RETURN_NOT_OK(builder->AppendScalar(**cast));
      }
      CA_ASSIGN_OR_RAISE(auto value_set, builder->Finish());
      result = cp::call("is_in", {value},
                        cp::SetLookupOptions(value_set, cp::SetLookupOptions::INCONCLUSIVE));
    } else {
      std::vector<cp::Expression> terms;
      for (size_t i = 1; i < e.args.size(); ++i) {
        CA_ASSIGN_OR_RAISE(auto item, Lower(*e.args[i]));
        std::vector<cp::Expression> pair = {value, item};
        UnifyNullLiterals(&pair);
        terms.push_back(cp::call("equal", pair));
      }
      result = terms.empty() ? cp::literal(false) : terms[0];
      for (size_t i = 1; i < terms.size(); ++i) {
        result = cp::call("or_kleene", {result, terms[i]});
      }
    }
    if (e.negated) result = cp::call("invert", {result});
    return Bind(std::move(result), e);
  }

  Result<std::shared_ptr<arrow::Scalar>> LiteralArg(const Expr& e, size_t i) {
    if (i >= e.args.size() || e.args[i]->kind != ExprKind::kLiteral) {
      return PlanningError("LITERAL_ARGUMENT_REQUIRED",
                           "argument " + std::to_string(i + 1) + " of " + e.name +
                               " must be a constant",
                           "{\"function\":" + JsonQuote(e.name) + "}");
    }
    return e.args[i]->literal;
  }

  Result<int64_t> IntLiteralArg(const Expr& e, size_t i) {
    CA_ASSIGN_OR_RAISE(auto s, LiteralArg(e, i));
    CA_ASSIGN_OR_RAISE(auto cast, s->CastTo(arrow::int64()));
    if (!cast->is_valid) return PlanningError("LITERAL_ARGUMENT_REQUIRED", "NULL argument", "");
    return std::static_pointer_cast<arrow::Int64Scalar>(cast)->value;
  }

  Status CheckArity(const Expr& e, const cp::Function& fn, size_t actual) {
    const auto& arity = fn.arity();
    bool ok = arity.is_varargs ? actual >= static_cast<size_t>(arity.num_args)
                               : actual == static_cast<size_t>(arity.num_args);
    if (ok) return Status::OK();
    std::string expected = std::to_string(arity.num_args) + (arity.is_varargs ? " or more" : "");
    return PlanningError("WRONG_ARITY",
                         "function " + e.name + " takes " + expected + " argument(s), got " +
                             std::to_string(actual),
                         "{\"function\":" + JsonQuote(e.name) + ",\"expected\":" +
                             JsonQuote(expected) + ",\"actual\":" + std::to_string(actual) + "}");
  }

  Result<cp::Expression> LowerCall(const Expr& e) {
    CA_ASSIGN_OR_RAISE(std::string fname, resolver_.Resolve(e.name));
    CA_ASSIGN_OR_RAISE(auto fn, resolver_.registry()->GetFunction(fname));
    if (IsAggregateKind(fn->kind())) {
      return PlanningError("AGGREGATE_NOT_ALLOWED",
                           "aggregate function " + e.name + " is not allowed here; use aggregate()",
                           "{\"expression\":" + JsonQuote(ToString(e)) + "}");
    }
    std::string lname = e.name;
    std::transform(lname.begin(), lname.end(), lname.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::shared_ptr<cp::FunctionOptions> options = e.options;
    size_t n_args = e.args.size();
    // Functions whose trailing arguments become Arrow options: check the SQL signature.
    struct Signature { const char* function; size_t min_args; size_t max_args; };
    static constexpr Signature kSignatures[] = {
        {"utf8_slice_codeunits", 2, 3}, {"round", 1, 2}, {"starts_with", 2, 2},
        {"ends_with", 2, 2}, {"match_like", 2, 2}};
    for (const auto& sig : kSignatures) {
      if (fname != sig.function || (e.options && fname == std::string("match_like"))) continue;
      if (n_args < sig.min_args || n_args > sig.max_args) {
        std::string expected = sig.min_args == sig.max_args
                                   ? std::to_string(sig.min_args)
                                   : std::to_string(sig.min_args) + " to " + std::to_string(sig.max_args);
        return PlanningError("WRONG_ARITY",
                             "function " + e.name + " takes " + expected + " argument(s), got " +
                                 std::to_string(n_args),
                             "{\"function\":" + JsonQuote(e.name) + ",\"expected\":" +
                                 JsonQuote(expected) + ",\"actual\":" + std::to_string(n_args) + "}");
      }
    }
    if (fname == "match_like") {
      n_args = 1;
      if (!options) {
        CA_ASSIGN_OR_RAISE(auto pattern, LiteralArg(e, 1));
        options = std::make_shared<cp::MatchSubstringOptions>(pattern->ToString(), lname == "ilike");
      }
    } else if (fname == "utf8_slice_codeunits") {
      // substr(s, start[, length]) with 1-based start, as in SQL.
      CA_ASSIGN_OR_RAISE(int64_t start, IntLiteralArg(e, 1));
      int64_t begin = std::max<int64_t>(start - 1, 0);
      int64_t stop = std::numeric_limits<int64_t>::max();
      if (e.args.size() == 3) {
        CA_ASSIGN_OR_RAISE(int64_t len, IntLiteralArg(e, 2));
        stop = std::max<int64_t>(start - 1 + len, 0);
      }
      options = std::make_shared<cp::SliceOptions>(begin, stop);
      n_args = 1;
    } else if ((fname == "round") && e.args.size() == 2) {
      CA_ASSIGN_OR_RAISE(int64_t digits, IntLiteralArg(e, 1));
      options = std::make_shared<cp::RoundOptions>(digits, cp::RoundMode::HALF_TO_EVEN);
      n_args = 1;
    } else if (fname == "starts_with" || fname == "ends_with" ||
               (fname == "match_substring" && e.args.size() == 2)) {
      CA_ASSIGN_OR_RAISE(auto pattern, LiteralArg(e, 1));
      options = std::make_shared<cp::MatchSubstringOptions>(pattern->ToString());
      n_args = 1;
    }
    if (fname == "binary_join_element_wise") {
      CA_ASSIGN_OR_RAISE(auto args, LowerArgs(e.args, 0, e.args.size()));
      for (auto& a : args) {
        if (a.type() && !arrow::is_base_binary_like(a.type()->id())) {
          CA_ASSIGN_OR_RAISE(a, MakeCast(a, arrow::utf8(), resolver_.registry()));
          CA_ASSIGN_OR_RAISE(a, a.Bind(schema_, &ctx_));
        }
      }
      args.push_back(cp::literal(""));
      auto join = lname == "||" ? cp::JoinOptions(cp::JoinOptions::EMIT_NULL)
                                : cp::JoinOptions(cp::JoinOptions::REPLACE, "");
      return Bind(cp::call(fname, std::move(args), join), e);
    }
    CA_RETURN_NOT_OK(CheckArity(e, *fn, n_args));
    CA_ASSIGN_OR_RAISE(auto args, LowerArgs(e.args, 0, n_args));
    UnifyNullLiterals(&args);
    return Bind(cp::call(fname, std::move(args), std::move(options)), e);
  }

  const arrow::Schema& schema_;
  const FunctionResolver& resolver_;
  cp::ExecContext ctx_;
};

}  // namespace

Result<cp::Expression> LowerScalar(const Expr& expr, const arrow::Schema& schema,
                                   const FunctionResolver& resolver) {
  if (expr.kind == ExprKind::kCall && resolver.IsAggregate(expr.name)) {
    return PlanningError("AGGREGATE_NOT_ALLOWED",
                         "aggregate function " + expr.name + " is not allowed here",
                         "{\"expression\":" + JsonQuote(ToString(expr)) + "}");
  }
  Lowerer lowerer(schema, resolver);
  return lowerer.Lower(expr);
}

Result<std::shared_ptr<arrow::Field>> ScalarField(const Expr& expr, const arrow::Schema& schema,
                                                  const FunctionResolver& resolver) {
  CA_ASSIGN_OR_RAISE(auto lowered, LowerScalar(expr, schema, resolver));
  const Expr& inner = Unaliased(expr);
  bool nullable = true;
  if (inner.kind == ExprKind::kColumn) {
    CA_ASSIGN_OR_RAISE(int index, ResolveColumn(schema, inner.name));
    nullable = schema.field(index)->nullable();
  }
  return arrow::field(OutputName(expr), lowered.type()->GetSharedPtr(), nullable);
}

cp::Expression Unbind(const cp::Expression& expr) {
  if (const auto* lit = expr.literal()) return cp::literal(*lit);
  if (const auto* ref = expr.field_ref()) return cp::field_ref(*ref);
  const auto* call = expr.call();
  std::vector<cp::Expression> args;
  for (const auto& a : call->arguments) args.push_back(Unbind(a));
  return cp::call(call->function_name, std::move(args), call->options);
}

ExprPtr FoldConstants(const ExprPtr& expr, const FunctionResolver& resolver) {
  if (expr->args.empty()) return expr;
  auto copy = std::make_shared<Expr>(*expr);
  bool all_literal = true;
  for (auto& a : copy->args) {
    a = FoldConstants(a, resolver);
    all_literal = all_literal && a->kind == ExprKind::kLiteral;
  }
  bool foldable = (copy->kind == ExprKind::kCall || copy->kind == ExprKind::kCast ||
                   copy->kind == ExprKind::kCase || copy->kind == ExprKind::kInList) &&
                  all_literal && !(copy->kind == ExprKind::kCall && resolver.IsAggregate(copy->name));
  if (!foldable) return copy;
  arrow::Schema empty({});
  auto lowered = LowerScalar(*copy, empty, resolver);
  if (!lowered.ok()) return copy;
  cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, resolver.registry());
  auto value = cp::ExecuteScalarExpression(*lowered, cp::ExecBatch({}, 1), &ctx);
  if (!value.ok() || !value->is_scalar()) return copy;  // errors surface at run time
  return Literal(value->scalar());
}

}  // namespace codeanatomy::engine
