#include "sql/binder_util.h"

#include <algorithm>
#include <cctype>

#include <arrow/util/string.h>

#include "sql/parse_tree.h"

namespace codeanatomy::sql::internal {

using engine::Expr;
using engine::ExprKind;

bool IsStringLiteral(const Expr& e) {
  return e.kind == ExprKind::kLiteral && e.literal && e.literal->is_valid &&
         e.literal->type->id() == arrow::Type::STRING;
}

bool Flag(const JsonValue& body, std::string_view key) {
  const JsonValue& v = Member(body, key);
  return v.is_bool() && v.bool_value();
}

const JsonArray& Items(const JsonValue& list) {
  static const JsonArray kEmpty;
  return list.is_array() ? list.array_value() : kEmpty;
}

// The PostgreSQL default name of a select-list item without an alias.
std::string DefaultName(const JsonValue& node) {
  std::string_view type = NodeType(node);
  const JsonValue& body = NodeBody(node);
  if (type == "ColumnRef") {
    auto parts = StringList(Member(body, "fields"));
    return parts.empty() ? "?column?" : parts.back();
  }
  if (type == "FuncCall") {
    auto parts = StringList(Member(body, "funcname"));
    return parts.empty() ? "?column?" : parts.back();
  }
  if (type == "TypeCast") {
    const JsonValue& arg = Member(body, "arg");
    if (NodeType(arg) == "ColumnRef" || NodeType(arg) == "FuncCall") return DefaultName(arg);
    auto names = StringList(Member(Member(body, "typeName"), "names"));
    return names.empty() ? "?column?" : names.back();
  }
  if (type == "CaseExpr") return "case";
  if (type == "CoalesceExpr") return "coalesce";
  if (type == "SubLink") {
    if (Member(body, "subLinkType").string_value() == "EXISTS_SUBLINK") return "exists";
    return "?column?";
  }
  return "?column?";
}

// Whether a parse tree contains an aggregate call of this query level (not inside a subquery
// or a window call).
bool ContainsAggregateNode(const JsonValue& node, const engine::FunctionResolver& fr) {
  if (node.is_array()) {
    for (const auto& v : node.array_value()) {
      if (ContainsAggregateNode(v, fr)) return true;
    }
    return false;
  }
  if (!node.is_object()) return false;
  std::string_view type = NodeType(node);
  if (type == "SubLink") return false;
  if (type == "FuncCall") {
    const JsonValue& body = NodeBody(node);
    auto name = StringList(Member(body, "funcname"));
    if (Member(body, "over").is_null() && !name.empty()) {
      if (fr.IsAggregate(arrow::internal::AsciiToLower(name.back()))) return true;
    }
  }
  for (const auto& [key, child] : node.object_value()) {
    if (ContainsAggregateNode(child, fr)) return true;
  }
  return false;
}

bool ContainsSubLink(const JsonValue& node) {
  if (node.is_array()) {
    for (const auto& v : node.array_value()) {
      if (ContainsSubLink(v)) return true;
    }
    return false;
  }
  if (!node.is_object()) return false;
  if (NodeType(node) == "SubLink") return true;
  for (const auto& [key, child] : node.object_value()) {
    if (ContainsSubLink(child)) return true;
  }
  return false;
}

// The conjuncts of a WHERE parse tree.
void SplitAndNodes(const JsonValue& node, std::vector<const JsonValue*>* out) {
  if (NodeType(node) == "BoolExpr" &&
      Member(NodeBody(node), "boolop").string_value() == "AND_EXPR") {
    for (const auto& a : Items(Member(NodeBody(node), "args"))) SplitAndNodes(a, out);
  } else {
    out->push_back(&node);
  }
}

// The field name of a set operation's i-th column.
std::string PositionalName(size_t i) {
  std::string name = std::to_string(i);
  name.insert(name.begin(), 'c');
  return name;
}

// Rebuilds an expression with new arguments.
ExprPtr WithArgs(const ExprPtr& e, std::vector<ExprPtr> args) {
  auto copy = std::make_shared<Expr>(*e);
  copy->args = std::move(args);
  return copy;
}

// Splits ON-style conjuncts into equi-join keys (a left column = a right column) and a residual.
void SplitJoinCondition(const std::vector<ExprPtr>& conjuncts, const std::set<std::string>& left,
                        const std::set<std::string>& right, std::vector<std::string>* lkeys,
                        std::vector<std::string>* rkeys, std::vector<ExprPtr>* residual) {
  for (const auto& c : conjuncts) {
    if (c->kind == ExprKind::kCall && (c->name == "=" || c->name == "equal") &&
        c->args.size() == 2 && c->args[0]->kind == ExprKind::kColumn &&
        c->args[1]->kind == ExprKind::kColumn) {
      const std::string& a = c->args[0]->name;
      const std::string& b = c->args[1]->name;
      if (left.count(a) && right.count(b)) {
        lkeys->push_back(a), rkeys->push_back(b);
        continue;
      }
      if (left.count(b) && right.count(a)) {
        lkeys->push_back(b), rkeys->push_back(a);
        continue;
      }
    }
    residual->push_back(c);
  }
}

std::set<std::string> FieldSet(const BoundRelation& rel) {
  std::set<std::string> out;
  for (const auto& f : rel.plan->schema->fields()) out.insert(f->name());
  return out;
}

std::shared_ptr<arrow::DataType> CommonType(const std::shared_ptr<arrow::DataType>& a,
                                            const std::shared_ptr<arrow::DataType>& b) {
  if (a->Equals(*b)) return a;
  if (a->id() == arrow::Type::NA) return b;
  if (b->id() == arrow::Type::NA) return a;
  if (arrow::is_integer(a->id()) && arrow::is_integer(b->id())) {
    return arrow::bit_width(a->id()) >= arrow::bit_width(b->id()) ? a : b;
  }
  auto int_digits = [](const arrow::DataType& t) {
    switch (t.id()) {
      case arrow::Type::INT8:
      case arrow::Type::UINT8:
        return 3;
      case arrow::Type::INT16:
      case arrow::Type::UINT16:
        return 5;
      case arrow::Type::INT32:
      case arrow::Type::UINT32:
        return 10;
      default:
        return 20;
    }
  };
  auto widen = [&](const arrow::DataType& dec, const arrow::DataType& integer) {
    const auto& d = static_cast<const arrow::Decimal128Type&>(dec);
    int32_t whole = std::max(d.precision() - d.scale(), int_digits(integer));
    return arrow::decimal128(std::min(38, whole + d.scale()), d.scale());
  };
  if (arrow::is_decimal(a->id()) && arrow::is_integer(b->id())) return widen(*a, *b);
  if (arrow::is_decimal(b->id()) && arrow::is_integer(a->id())) return widen(*b, *a);
  if (arrow::is_decimal(a->id()) && arrow::is_decimal(b->id())) {
    const auto& da = static_cast<const arrow::Decimal128Type&>(*a);
    const auto& db = static_cast<const arrow::Decimal128Type&>(*b);
    int32_t scale = std::max(da.scale(), db.scale());
    int32_t whole = std::max(da.precision() - da.scale(), db.precision() - db.scale());
    return arrow::decimal128(std::min(38, whole + scale), scale);
  }
  if (arrow::is_numeric(a->id()) || arrow::is_decimal(a->id())) {
    if (arrow::is_numeric(b->id()) || arrow::is_decimal(b->id())) return arrow::float64();
  }
  return nullptr;
}

std::vector<ExprPtr> FactorCommonConjuncts(const ExprPtr& predicate) {
  auto is_call = [](const ExprPtr& e, const char* name) {
    return e->kind == ExprKind::kCall && e->name == name && e->args.size() == 2;
  };
  std::vector<ExprPtr> out;
  for (const ExprPtr& c : SplitConjunction(predicate)) {
    if (!is_call(c, "or")) {
      out.push_back(c);
      continue;
    }
    std::vector<ExprPtr> branches;
    std::vector<ExprPtr> stack{c};
    while (!stack.empty()) {
      ExprPtr e = stack.back();
      stack.pop_back();
      if (is_call(e, "or")) {
        stack.push_back(e->args[1]);
        stack.push_back(e->args[0]);
      } else {
        branches.push_back(e);
      }
    }
    std::vector<std::vector<ExprPtr>> parts;
    for (const auto& b : branches) parts.push_back(SplitConjunction(b));
    std::vector<ExprPtr> common;
    for (const auto& candidate : parts[0]) {
      std::string text = engine::ToString(*candidate);
      bool everywhere = true;
      for (size_t i = 1; i < parts.size() && everywhere; ++i) {
        everywhere = std::any_of(parts[i].begin(), parts[i].end(),
                                 [&](const ExprPtr& p) { return engine::ToString(*p) == text; });
      }
      bool seen = std::any_of(common.begin(), common.end(),
                              [&](const ExprPtr& p) { return engine::ToString(*p) == text; });
      if (everywhere && !seen) common.push_back(candidate);
    }
    if (common.empty()) {
      out.push_back(c);
      continue;
    }
    std::set<std::string> common_text;
    for (const auto& p : common) common_text.insert(engine::ToString(*p));
    ExprPtr rest;
    bool some_branch_empty = false;
    for (const auto& branch : parts) {
      std::vector<ExprPtr> left;
      for (const auto& p : branch) {
        if (!common_text.count(engine::ToString(*p))) left.push_back(p);
      }
      if (left.empty()) some_branch_empty = true;  // that branch is just the common part
      ExprPtr conj = Conjunction(left);
      if (conj) rest = rest ? engine::Call("or", {rest, conj}) : conj;
    }
    out.insert(out.end(), common.begin(), common.end());
    if (rest && !some_branch_empty) out.push_back(rest);
  }
  return out;
}

ExprPtr ImpliedDisjunction(const ExprPtr& predicate,
                           const std::function<bool(const ExprPtr&)>& keep) {
  auto is_or = [](const ExprPtr& e) {
    return e->kind == ExprKind::kCall && e->name == "or" && e->args.size() == 2;
  };
  if (!is_or(predicate)) return nullptr;
  std::vector<ExprPtr> branches, stack{predicate};
  while (!stack.empty()) {
    ExprPtr e = stack.back();
    stack.pop_back();
    if (is_or(e)) {
      stack.push_back(e->args[1]);
      stack.push_back(e->args[0]);
    } else {
      branches.push_back(e);
    }
  }
  ExprPtr out;
  for (const auto& b : branches) {
    std::vector<ExprPtr> kept;
    for (const auto& c : SplitConjunction(b)) {
      if (keep(c)) kept.push_back(c);
    }
    if (kept.empty()) return nullptr;
    ExprPtr conj = Conjunction(kept);
    out = out ? engine::Call("or", {out, conj}) : conj;
  }
  return out;
}

}  // namespace codeanatomy::sql::internal
