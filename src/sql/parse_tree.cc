#include "sql/parse_tree.h"

#include <pg_query.h>

#include <algorithm>

namespace codeanatomy::sql {

namespace {

const JsonValue& NullValue() {
  static const JsonValue kNull;
  return kNull;
}

// Frees a libpg_query parse result on every path.
struct ParseResult {
  explicit ParseResult(const std::string& text) : result(pg_query_parse(text.c_str())) {}
  ~ParseResult() { pg_query_free_parse_result(result); }
  ParseResult(const ParseResult&) = delete;
  ParseResult& operator=(const ParseResult&) = delete;
  PgQueryParseResult result;
};

}  // namespace

SqlPosition PositionOf(std::string_view text, int byte_offset) {
  SqlPosition pos;
  int end = std::clamp(byte_offset, 0, static_cast<int>(text.size()));
  for (int i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++pos.column;  // count characters, not UTF-8 continuation bytes
    }
  }
  return pos;
}

Status SqlError(std::string_view code, std::string message, std::string_view text, int location,
                std::string extra_details) {
  std::string details;
  if (location >= 0) {
    SqlPosition pos = PositionOf(text, location);
    size_t begin = text.rfind('\n', location > 0 ? location - 1 : 0);
    begin = (begin == std::string_view::npos || location == 0) ? 0 : begin + 1;
    if (location > 0 && text[location - 1] == '\n') begin = location;
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string prefix = "LINE " + std::to_string(pos.line) + ": ";
    message += " (line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) +
               ")\n" + prefix + std::string(text.substr(begin, end - begin)) + "\n" +
               std::string(prefix.size() + pos.column - 1, ' ') + "^";
    details = "\"line\":" + std::to_string(pos.line) + ",\"column\":" + std::to_string(pos.column) +
              ",\"position\":" + std::to_string(location);
  }
  if (!extra_details.empty()) details += (details.empty() ? "" : ",") + extra_details;
  return InvalidError(stage::kSql, code, std::move(message),
                      details.empty() ? "" : "{" + details + "}");
}

Result<std::vector<ParsedStatement>> ParseStatements(const std::string& text) {
  ParseResult parsed(text);
  if (parsed.result.error != nullptr) {
    const PgQueryError& e = *parsed.result.error;
    return SqlError("SYNTAX_ERROR", e.message ? e.message : "syntax error", text,
                    e.cursorpos > 0 ? e.cursorpos - 1 : -1);
  }
  auto tree = JsonValue::Parse(parsed.result.parse_tree);
  if (!tree.ok()) {
    return InvalidError(
        stage::kSql, "PARSE_TREE_INVALID",
        "libpg_query returned an unreadable parse tree: " + tree.status().message());
  }
  std::vector<ParsedStatement> out;
  const JsonValue& stmts = Member(*tree, "stmts");
  if (!stmts.is_array()) return out;
  for (const JsonValue& raw : stmts.array_value()) {
    ParsedStatement st;
    st.node = Member(raw, "stmt");
    if (const JsonValue& loc = Member(raw, "stmt_location"); loc.is_int()) {
      st.location = static_cast<int>(loc.int_value());
    }
    if (const JsonValue& len = Member(raw, "stmt_len"); len.is_int()) {
      st.length = static_cast<int>(len.int_value());
    }
    out.push_back(std::move(st));
  }
  return out;
}

Result<JsonValue> ParseExpression(const std::string& text) {
  // Parsed as the only item of a select list; positions are shifted back to the expression.
  static constexpr std::string_view kPrefix = "SELECT ";
  std::string wrapped = std::string(kPrefix) + text;
  ParseResult parsed(wrapped);
  if (parsed.result.error != nullptr) {
    const PgQueryError& e = *parsed.result.error;
    int pos = e.cursorpos > 0 ? e.cursorpos - 1 - static_cast<int>(kPrefix.size()) : -1;
    return SqlError("SYNTAX_ERROR", e.message ? e.message : "syntax error", text,
                    std::max(pos, pos < 0 ? -1 : 0));
  }
  CA_ASSIGN_OR_RAISE(JsonValue tree, JsonValue::Parse(parsed.result.parse_tree));
  const JsonValue& stmts = Member(tree, "stmts");
  const JsonValue* target = nullptr;
  if (stmts.is_array() && stmts.array_value().size() == 1) {
    const JsonValue& select = NodeBody(Member(stmts.array_value()[0], "stmt"));
    const JsonValue& list = Member(select, "targetList");
    bool plain = Member(select, "fromClause").is_null() &&
                 Member(select, "whereClause").is_null() && list.is_array() &&
                 list.array_value().size() == 1;
    if (plain) {
      const JsonValue& res = NodeBody(list.array_value()[0]);
      if (Member(res, "name").is_null()) target = &Member(res, "val");
    }
  }
  if (target == nullptr || target->is_null()) {
    return SqlError("NOT_AN_EXPRESSION", "expected a single SQL expression", text, -1);
  }
  // Shift every "location" by the prefix length so errors point into `text`.
  JsonValue out = *target;
  std::vector<JsonValue*> stack{&out};
  while (!stack.empty()) {
    JsonValue* v = stack.back();
    stack.pop_back();
    if (v->is_object()) {
      for (auto& [key, child] : v->mutable_object()) {
        if (key == "location" && child.is_int() && child.int_value() >= 0) {
          child = JsonValue(child.int_value() - static_cast<int64_t>(kPrefix.size()));
        } else {
          stack.push_back(&child);
        }
      }
    } else if (v->is_array()) {
      for (auto& child : v->mutable_array()) stack.push_back(&child);
    }
  }
  return out;
}

std::string_view NodeType(const JsonValue& node) {
  if (!node.is_object() || node.object_value().size() != 1) return {};
  return node.object_value().begin()->first;
}

const JsonValue& NodeBody(const JsonValue& node) {
  if (!node.is_object() || node.object_value().size() != 1) return NullValue();
  return node.object_value().begin()->second;
}

const JsonValue& Member(const JsonValue& body, std::string_view key) {
  if (!body.is_object()) return NullValue();
  const JsonValue* v = body.Get(key);
  return v ? *v : NullValue();
}

int LocationOf(const JsonValue& node) {
  const JsonValue* loc = node.is_object() ? node.Get("location") : nullptr;
  if (loc == nullptr) loc = NodeBody(node).is_object() ? NodeBody(node).Get("location") : nullptr;
  return loc && loc->is_int() ? static_cast<int>(loc->int_value()) : -1;
}

std::vector<std::string> StringList(const JsonValue& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const JsonValue& item : list.array_value()) {
    const JsonValue& sval = Member(NodeBody(item), "sval");
    if (NodeType(item) == "A_Star") {
      out.push_back("*");
    } else {
      out.push_back(sval.is_string() ? sval.string_value() : "");
    }
  }
  return out;
}

}  // namespace codeanatomy::sql
