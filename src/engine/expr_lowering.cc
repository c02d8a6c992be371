// Lowering logical expressions to bound Arrow compute expressions: name resolution, types,
// SQL forms (CASE, IN, LIKE, CAST), option-taking functions, and constant folding.
#include <algorithm>
#include <limits>

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/compute/exec.h>
#include <arrow/util/string.h>

#include "engine/bind_time_arguments.h"
#include "engine/expr.h"

namespace codeanatomy::engine {

namespace cp = arrow::compute;

namespace {

bool IsAggregateKind(cp::Function::Kind kind) {
  return kind == cp::Function::SCALAR_AGGREGATE || kind == cp::Function::HASH_AGGREGATE;
}

Status PlanningError(std::string_view code, std::string message, std::string details) {
  return InvalidError(stage::kPlanning, code, std::move(message), std::move(details));
}

}  // namespace

namespace {

class Lowerer {
 public:
  Lowerer(const arrow::Schema& schema, const FunctionResolver& resolver)
      : schema_(schema),
        resolver_(resolver),
        ctx_(arrow::default_memory_pool(), nullptr, resolver.registry()) {}

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
      // A function's own planning error (struct_pick's FIELD_NOT_FOUND, ...) keeps its code.
      const auto& detail = bound.status().detail();
      if (detail != nullptr && std::string_view(detail->type_id()) == EngineErrorDetail::kTypeId) {
        auto info = DescribeError(bound.status());
        if (info.stage == stage::kPlanning) {
          return PlanningError(info.code,
                               "cannot plan expression " + ToString(source) + ": " + info.message,
                               info.details_json);
        }
      }
      return PlanningError(
          "TYPE_MISMATCH",
          "cannot plan expression " + ToString(source) + ": " + bound.status().message(),
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
      }
    }
  }

  // Arrow binds a float64 literal that float32 represents exactly as float32, so an int32 or
  // float32 column next to 1.5 would be computed in float32 (and int32 values beyond 2^24
  // refused). Cast such numeric siblings to float64 first, which is what SQL means.
  Status WidenForDoubleLiterals(std::vector<cp::Expression>* args) {
    bool has_double_literal = false;
    for (const auto& a : *args) {
      has_double_literal |=
          a.literal() != nullptr && a.type() && a.type()->id() == arrow::Type::DOUBLE;
    }
    if (!has_double_literal) return Status::OK();
    for (auto& a : *args) {
      const auto* t = a.type();
      if (a.literal() != nullptr || !t) continue;
      if (arrow::is_integer(t->id()) || t->id() == arrow::Type::FLOAT ||
          t->id() == arrow::Type::HALF_FLOAT) {
        CA_ASSIGN_OR_RAISE(a, MakeCast(a, arrow::float64(), resolver_.registry()));
        CA_ASSIGN_OR_RAISE(a, a.Bind(schema_, &ctx_));
      }
    }
    return Status::OK();
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
      if (cond.type() && cond.type()->id() == arrow::Type::NA) {
        // An untyped NULL condition is a boolean NULL (false for CASE); Arrow's case_when
        // crashes on a null-typed condition field.
        cond = cp::literal(arrow::MakeNullScalar(arrow::boolean()));
        CA_ASSIGN_OR_RAISE(cond, cond.Bind(schema_, &ctx_));
      }
      if (cond.type() && cond.type()->id() != arrow::Type::BOOL &&
          cond.type()->id() != arrow::Type::NA) {
        return PlanningError("TYPE_MISMATCH",
                             "CASE WHEN condition must be boolean, got " + cond.type()->ToString() +
                                 ": " + ToString(*e.args[2 * i]),
                             "{\"expression\":" + JsonQuote(ToString(*e.args[2 * i])) + "}");
      }
      CA_ASSIGN_OR_RAISE(auto val, Lower(*e.args[2 * i + 1]));
      conditions.push_back(std::move(cond));
      values.push_back(std::move(val));
      names.push_back(std::string(1, 'c').append(std::to_string(i)));
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
        const auto& item = e.args[i]->literal;
        Result<std::shared_ptr<arrow::Scalar>> cast = item;
        if (!item->type->Equals(*type)) {
          auto datum = cp::Cast(item, type);  // compute's cast covers decimals, unlike CastTo
          cast = datum.ok() ? Result<std::shared_ptr<arrow::Scalar>>(datum->scalar())
                            : Result<std::shared_ptr<arrow::Scalar>>(datum.status());
        }
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
      return PlanningError(
          "LITERAL_ARGUMENT_REQUIRED",
          "argument " + std::to_string(i + 1) + " of " + e.name + " must be a constant",
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
    return PlanningError(
        "WRONG_ARITY",
        "function " + e.name + " takes " + expected + " argument(s), got " + std::to_string(actual),
        "{\"function\":" + JsonQuote(e.name) + ",\"expected\":" + JsonQuote(expected) +
            ",\"actual\":" + std::to_string(actual) + "}");
  }

  Result<cp::Expression> LowerCall(const Expr& e) {
    CA_ASSIGN_OR_RAISE(std::string fname, resolver_.Resolve(e.name));
    CA_ASSIGN_OR_RAISE(auto fn, resolver_.registry()->GetFunction(fname));
    if (IsAggregateKind(fn->kind())) {
      return PlanningError("AGGREGATE_NOT_ALLOWED",
                           "aggregate function " + e.name + " is not allowed here; use aggregate()",
                           "{\"expression\":" + JsonQuote(ToString(e)) + "}");
    }
    const std::string lname = arrow::internal::AsciiToLower(e.name);
    std::shared_ptr<cp::FunctionOptions> options = e.options;
    size_t n_args = e.args.size();
    // Functions whose trailing arguments become Arrow options: check the SQL signature.
    struct Signature {
      const char* function;
      size_t min_args;
      size_t max_args;
    };
    static constexpr Signature kSignatures[] = {{"utf8_slice_codeunits", 2, 3},
                                                {"round", 1, 2},
                                                {"starts_with", 2, 2},
                                                {"ends_with", 2, 2},
                                                {"match_like", 2, 2}};
    for (const auto& sig : kSignatures) {
      if (fname != sig.function || (e.options && fname == std::string("match_like"))) continue;
      if (n_args < sig.min_args || n_args > sig.max_args) {
        std::string expected =
            sig.min_args == sig.max_args
                ? std::to_string(sig.min_args)
                : std::to_string(sig.min_args) + " to " + std::to_string(sig.max_args);
        return PlanningError("WRONG_ARITY",
                             "function " + e.name + " takes " + expected + " argument(s), got " +
                                 std::to_string(n_args),
                             "{\"function\":" + JsonQuote(e.name) +
                                 ",\"expected\":" + JsonQuote(expected) +
                                 ",\"actual\":" + std::to_string(n_args) + "}");
      }
    }
    if (fname == "match_like") {
      n_args = 1;
      if (!options) {
        CA_ASSIGN_OR_RAISE(auto pattern, LiteralArg(e, 1));
        options =
            std::make_shared<cp::MatchSubstringOptions>(pattern->ToString(), lname == "ilike");
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
    } else if (fname == "round") {
      // Ties round away from zero, as in PostgreSQL's numeric and DuckDB.
      int64_t digits = 0;
      if (e.args.size() == 2) {
        CA_ASSIGN_OR_RAISE(digits, IntLiteralArg(e, 1));
      }
      // A caller may choose the tie rule (SQL rounds floats half to even).
      auto mode = e.options ? static_cast<const cp::RoundOptions&>(*e.options).round_mode
                            : cp::RoundMode::HALF_TOWARDS_INFINITY;
      options = std::make_shared<cp::RoundOptions>(digits, mode);
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
    // Arrow's kernels dispatch on exact types, so a NULL takes its typed siblings' type; a
    // session's own functions (the bundle, plugins) accept a null-typed argument as it is.
    if (cp::GetFunctionRegistry()->GetFunction(fname).ok()) UnifyNullLiterals(&args);
    CA_RETURN_NOT_OK(WidenForDoubleLiterals(&args));
    if (!options && WantsBindTimeArguments(*fn)) options = BindTimeArgumentsFor(args);
    return Bind(cp::call(fname, std::move(args), std::move(options)), e);
  }

  // The constants and field metadata of a call's lowered arguments.
  std::shared_ptr<cp::FunctionOptions> BindTimeArgumentsFor(
      const std::vector<cp::Expression>& args) const {
    auto out = std::make_shared<BindTimeArguments>();
    for (const auto& a : args) {
      const arrow::Datum* lit = a.literal();
      out->constants.push_back(lit != nullptr && lit->is_scalar() ? lit->scalar() : nullptr);
      std::shared_ptr<const arrow::KeyValueMetadata> metadata;
      if (const arrow::FieldRef* ref = a.field_ref(); ref != nullptr) {
        auto field = ref->GetOneOrNone(schema_);
        if (field.ok() && *field != nullptr) metadata = (*field)->metadata();
      }
      out->metadata.push_back(std::move(metadata));
    }
    return out;
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
                  all_literal &&
                  !(copy->kind == ExprKind::kCall && resolver.IsAggregate(copy->name));
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
