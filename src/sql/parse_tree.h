// SQL text to PostgreSQL's parse tree (libpg_query, PostgreSQL 15 grammar) as JSON, and the
// positions and caret excerpts every SQL error carries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace codeanatomy::sql {

/// One parsed statement: its parse-tree node ({"SelectStmt": {...}} etc.) and its text span.
struct ParsedStatement {
  JsonValue node;
  int location = 0;  ///< byte offset of the statement in the text
  int length = 0;    ///< bytes; 0 means "to the end"
};

/// Parses `text` into statements. A syntax error is stage "sql", code SYNTAX_ERROR, with line,
/// column and a caret under the offending position.
Result<std::vector<ParsedStatement>> ParseStatements(const std::string& text);

/// Parses a single SQL expression (the predicate language of Delta operations and filters).
Result<JsonValue> ParseExpression(const std::string& text);

/// Line and column (both 1-based) of a byte offset.
struct SqlPosition {
  int line = 1;
  int column = 1;
};
SqlPosition PositionOf(std::string_view text, int byte_offset);

/// An error of stage "sql": the message is followed by the position and, when `location` is
/// known (>= 0), the offending line with a caret under the position. Details are
/// {"line", "column", "position"} merged with `extra_details` (JSON object members, no braces).
Status SqlError(std::string_view code, std::string message, std::string_view text, int location,
                std::string extra_details = "");

/// The node type of a parse-tree node ({"A_Expr": {...}} -> "A_Expr"); empty when not a node.
std::string_view NodeType(const JsonValue& node);
/// The body of a parse-tree node (the object under its type); a null value when not a node.
const JsonValue& NodeBody(const JsonValue& node);
/// A member of a node body, or a shared null value.
const JsonValue& Member(const JsonValue& body, std::string_view key);
/// The "location" member of a node (or of its body), -1 when absent.
int LocationOf(const JsonValue& node);
/// The strings of a list of {"String": {"sval": ...}} nodes (names, qualified identifiers).
std::vector<std::string> StringList(const JsonValue& list);

}  // namespace codeanatomy::sql
