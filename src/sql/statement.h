// SQL statements on a session: queries, EXPLAIN, views, SQL macros, SHOW TABLES, DESCRIBE,
// each checked against the session's statement policy before anything runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/scalar.h>

#include "common/status.h"
#include "engine/dataframe.h"
#include "engine/session_context.h"

namespace codeanatomy::sql {

/// Values of an SQL text's positional parameters: `$n` is `params[n - 1]`.
using SqlParams = std::vector<std::shared_ptr<arrow::Scalar>>;

/// Which statements a session accepts. A forbidden statement is refused (stage sql, code
/// STATEMENT_NOT_ALLOWED) before any statement of the text runs.
struct StatementPolicy {
  bool allow_ddl = true;         ///< CREATE/DROP VIEW, CREATE/DROP FUNCTION, CREATE TABLE AS
  bool allow_dml = true;         ///< INSERT, UPDATE, DELETE, MERGE
  bool allow_statements = true;  ///< SET, transactions and other non-query statements
};

/// Sets the session's policy (command).
void SetStatementPolicy(engine::SessionState& state, const StatementPolicy& policy);
/// The session's policy (query).
StatementPolicy GetStatementPolicy(engine::SessionState& state);

/// Opens a table of an external format for `CREATE EXTERNAL TABLE name STORED AS <format>
/// LOCATION '<location>'` (higher layers register theirs, e.g. the Delta layer "DELTA").
using ExternalTableFactory =
    std::function<Result<std::shared_ptr<engine::TableProvider>>(const std::string& location)>;
/// Registers (or replaces) the factory of a format name (case-insensitive). Thread-safe.
void RegisterExternalTableFormat(const std::string& format, ExternalTableFactory factory);

/// Runs the statements of `text` in order and returns the last one's result: a query's
/// DataFrame (lazy), or a small table describing what a DDL statement did.
Result<engine::DataFrame> ExecuteSql(engine::SessionContext& ctx, const std::string& text);
/// ExecuteSql with values for the positional parameters `$1`, `$2`, ... (each a typed Arrow
/// scalar, bound as a literal); a `$n` without a value is PARAMETER_MISSING at its position.
Result<engine::DataFrame> ExecuteSql(engine::SessionContext& ctx, const std::string& text,
                                     const SqlParams& params);

}  // namespace codeanatomy::sql
