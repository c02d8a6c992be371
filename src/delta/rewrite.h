// Replacing the rows of a table that match a predicate (overwrite with `predicate`, Delta's
// replaceWhere): the files that may hold matching rows are removed and their other rows are
// written again.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/table.h>

#include "common/status.h"
#include "delta/snapshot.h"

namespace codeanatomy::delta {

struct PredicateRewrite {
  std::vector<const FileAction*> removed;  ///< files holding at least one matching row
  std::shared_ptr<arrow::Table> kept;      ///< their rows that do not match (to write again)
  /// With collect_changes: the matching rows as they were (deleted, or an update's pre-image)
  /// and, for an update, as they become (post-image); null when there are none.
  std::shared_ptr<arrow::Table> deleted;
  std::shared_ptr<arrow::Table> updated;
  std::vector<const FileAction*> read;     ///< files read (those the predicate may match)
  arrow::compute::Expression read_filter;  ///< the predicate, lowered (unbound)
};

/// Files of `snapshot` with rows matching `predicate` (SQL expression text over the table's
/// columns; NULL counts as not matching). Files the predicate cannot match (by partition values
/// and statistics) are not read.
Result<PredicateRewrite> RewriteForPredicate(const std::shared_ptr<const Snapshot>& snapshot,
                                             const std::string& predicate,
                                             bool collect_changes = false);

/// Files of `snapshot` with rows matching `predicate`, and all their rows with `updates`
/// (column -> SQL expression over the row, cast to the column's type) applied to the matching
/// ones. Unknown columns are errors naming them.
Result<PredicateRewrite> RewriteForUpdate(const std::shared_ptr<const Snapshot>& snapshot,
                                          const std::string& predicate,
                                          const std::map<std::string, std::string>& updates,
                                          bool collect_changes = false);

/// The data checker run before a write: NOT_NULL_VIOLATION when a non-nullable column of
/// `table_schema` has NULLs in `data` (or is missing from it), CHECK_CONSTRAINT_VIOLATION when a
/// row breaks a check constraint (table property "delta.constraints.<name>": a SQL predicate),
/// INVARIANT_VIOLATION when a row breaks a column invariant (field metadata "delta.invariants").
/// Errors name the column or constraint and count the rows.
Status CheckWriteConstraints(const std::shared_ptr<arrow::Table>& data,
                             const arrow::Schema& table_schema,
                             const std::map<std::string, std::string>& table_properties);

/// PREDICATE_VIOLATION when a row of `data` does not satisfy `predicate` (what an overwrite by
/// predicate writes must lie inside what it replaces).
Status CheckRowsSatisfy(const std::shared_ptr<arrow::Table>& data, const std::string& predicate);

}  // namespace codeanatomy::delta
