// Binding window calls: f(args) OVER (PARTITION BY ... ORDER BY ... frame). Each call becomes
// a WindowFunction of the query block's window node; the expression sees its output column.
#include "engine/window_function.h"
#include "sql/binder.h"
#include "sql/binder_util.h"
#include "sql/parse_tree.h"

namespace codeanatomy::sql {

using engine::WindowFrame;
using engine::WindowFrameBound;
using engine::WindowFrameUnits;

namespace {

// PostgreSQL's frame option bits (parsenodes.h).
constexpr int64_t kNonDefault = 0x1, kRange = 0x2, kRows = 0x4, kGroups = 0x8,
                  kStartUnboundedPreceding = 0x20, kEndUnboundedPreceding = 0x40,
                  kStartUnboundedFollowing = 0x80, kEndUnboundedFollowing = 0x100,
                  kStartCurrentRow = 0x200, kEndCurrentRow = 0x400, kStartOffsetPreceding = 0x800,
                  kEndOffsetPreceding = 0x1000, kStartOffsetFollowing = 0x2000,
                  kEndOffsetFollowing = 0x4000, kExcludeMask = 0x8000 | 0x10000 | 0x20000;

}  // namespace

Result<WindowFrameBound> Binder::FrameBound(int64_t options, bool start, const JsonValue& offset,
                                            const JsonValue& over) {
  WindowFrameBound b;
  using K = WindowFrameBound::Kind;
  int64_t up = start ? kStartUnboundedPreceding : kEndUnboundedPreceding;
  int64_t uf = start ? kStartUnboundedFollowing : kEndUnboundedFollowing;
  int64_t cr = start ? kStartCurrentRow : kEndCurrentRow;
  int64_t op = start ? kStartOffsetPreceding : kEndOffsetPreceding;
  int64_t of = start ? kStartOffsetFollowing : kEndOffsetFollowing;
  if (options & up) {
    b.kind = K::kUnboundedPreceding;
  } else if (options & uf) {
    b.kind = K::kUnboundedFollowing;
  } else if (options & cr) {
    b.kind = K::kCurrentRow;
  } else if (options & (op | of)) {
    b.kind = (options & op) ? K::kPreceding : K::kFollowing;
    CA_ASSIGN_OR_RAISE(b.offset, ConstantInt(offset, "a window frame offset"));
    if (b.offset < 0)
      return ErrorAt("INVALID_WINDOW_FRAME", "frame offset must not be null", offset);
  } else {
    b.kind = start ? K::kUnboundedPreceding : K::kCurrentRow;
  }
  (void)over;
  return b;
}

Result<ExprPtr> Binder::BindWindowCall(const JsonValue& node, ExprScope& scope, std::string name,
                                       std::vector<ExprPtr> args, bool star) {
  const JsonValue& body = NodeBody(node);
  const JsonValue& over = Member(body, "over");
  if (!scope.allow_windows) {
    return ErrorAt("WINDOW_NOT_ALLOWED",
                   std::string("window functions are not allowed in ") + scope.clause, node,
                   "\"function\":" + JsonQuote(name));
  }
  if (Member(over, "refname").is_string() || Member(over, "name").is_string()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: named windows (WINDOW clause)", node);
  }
  if (!Member(body, "agg_filter").is_null()) {
    return ErrorAt("NOT_SUPPORTED", "not supported: FILTER on a window function", node);
  }
  engine::WindowFunction w;
  w.function = (name == "count" && star) ? "count_all" : name;
  w.args = std::move(args);
  w.distinct = internal::Flag(body, "agg_distinct");
  ExprScope inner = scope;
  inner.allow_windows = false;
  inner.clause = "a window definition";
  for (const JsonValue& p : internal::Items(Member(over, "partitionClause"))) {
    CA_ASSIGN_OR_RAISE(auto e, BindExpr(p, inner));
    w.partition_by.push_back(std::move(e));
  }
  for (const JsonValue& s : internal::Items(Member(over, "orderClause"))) {
    CA_ASSIGN_OR_RAISE(auto e, BindExpr(Member(NodeBody(s), "node"), inner));
    CA_ASSIGN_OR_RAISE(auto key, SortKeyOf(s, std::move(e)));
    w.order_by.push_back(std::move(key));
  }
  const JsonValue& opts = Member(over, "frameOptions");
  int64_t options = opts.is_int() ? opts.int_value() : 0;
  if (options & kNonDefault) {
    if (options & kGroups) return ErrorAt("NOT_SUPPORTED", "not supported: GROUPS frames", node);
    if (options & kExcludeMask) {
      return ErrorAt("NOT_SUPPORTED", "not supported: frame EXCLUDE clauses", node);
    }
    WindowFrame frame;
    frame.units = (options & kRows) ? WindowFrameUnits::kRows : WindowFrameUnits::kRange;
    (void)kRange;
    CA_ASSIGN_OR_RAISE(frame.start, FrameBound(options, true, Member(over, "startOffset"), over));
    CA_ASSIGN_OR_RAISE(frame.end, FrameBound(options, false, Member(over, "endOffset"), over));
    w.frame = frame;
  }
  std::string field = "__win_" + std::to_string(windows_.size());
  w.output_name = field;
  windows_.push_back(std::move(w));
  return engine::Column(field);
}

}  // namespace codeanatomy::sql
