"""DataFrame: a lazily evaluated query. Every method checks names and types at once and
returns a new DataFrame; nothing runs until ``to_arrow``, ``to_pylist``, ``show`` or
``__arrow_c_stream__``."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import pyarrow as pa

from . import _native
from .expr import Expr, SortExpr, col


def _expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, str):
        return col(value)
    raise TypeError(f"expected an Expr or a column name, got {type(value).__name__}")


def _names(keys: Any) -> list[str]:
    if keys is None:
        return []
    if isinstance(keys, str):
        return [keys]
    return [k if isinstance(k, str) else k.output_name() for k in keys]


class DataFrame:
    """A query over tables of one :class:`SessionContext`."""

    __slots__ = ("_df",)

    def __init__(self, native: "_native.DataFrame") -> None:
        self._df = native

    def schema(self) -> pa.Schema:
        """The output schema, known before execution."""
        return pa.schema(self._df.schema())

    def select(self, *exprs: Expr | str) -> "DataFrame":
        """Projects expressions (or column names)."""
        return DataFrame(self._df.select([_expr(e)._expr for e in exprs]))

    def filter(self, predicate: Expr) -> "DataFrame":
        """Keeps rows where ``predicate`` is true (NULL counts as false)."""
        return DataFrame(self._df.filter(_expr(predicate)._expr))

    where = filter

    def with_column(self, name: str, expr: Expr) -> "DataFrame":
        """Adds a column, or replaces the one of the same name in place."""
        return DataFrame(self._df.with_column(name, _expr(expr)._expr))

    def aggregate(
        self, group_by: Sequence[Expr | str] | Expr | str | None, aggs: Sequence[Expr] | Expr
    ) -> "DataFrame":
        """Groups by ``group_by`` and computes ``aggs`` (e.g. ``functions.count()``)."""
        if group_by is None:
            group_by = []
        elif isinstance(group_by, (Expr, str)):
            group_by = [group_by]
        if isinstance(aggs, Expr):
            aggs = [aggs]
        return DataFrame(
            self._df.aggregate([_expr(g)._expr for g in group_by], [a._expr for a in aggs])
        )

    def join(
        self,
        right: "DataFrame",
        on: str | Sequence[str] | None = None,
        how: str = "inner",
        *,
        left_on: str | Sequence[str] | None = None,
        right_on: str | Sequence[str] | None = None,
        filter: Expr | None = None,
        suffix: str = "_right",
    ) -> "DataFrame":
        """Joins on equal keys plus an optional residual ``filter``.

        ``how`` is inner, left, right, full, semi or anti. Right columns whose names clash with
        left ones get ``suffix``; ``filter`` refers to them by those names. With no keys the
        join is a nested-loop join on ``filter`` (a cross join without one).
        """
        if on is not None:
            left_on = right_on = on
        left_keys, right_keys = _names(left_on), _names(right_on)
        native_filter = None if filter is None else filter._expr
        return DataFrame(
            self._df.join(right._df, how, left_keys, right_keys, native_filter, suffix)
        )

    def sort(self, *keys: SortExpr | Expr | str) -> "DataFrame":
        """Sorts by keys; a bare Expr or name sorts ascending with nulls last."""
        triples = []
        for k in keys:
            if not isinstance(k, SortExpr):
                k = SortExpr(_expr(k))
            triples.append((k.expr._expr, k.ascending, k.nulls_first))
        return DataFrame(self._df.sort(triples))

    order_by = sort

    def limit(self, count: int | None, offset: int = 0) -> "DataFrame":
        """At most ``count`` rows (``None``: all) after skipping ``offset``."""
        if count is not None and count < 0:
            raise ValueError(f"limit count must not be negative, got {count}")
        return DataFrame(self._df.limit(-1 if count is None else count, offset))

    def union(self, other: "DataFrame", distinct: bool = False) -> "DataFrame":
        """``UNION ALL`` (or ``UNION`` with ``distinct=True``)."""
        return DataFrame(self._df.union(other._df, distinct))

    def distinct(self) -> "DataFrame":
        return DataFrame(self._df.distinct())

    def parse_sql_expr(self, text: str) -> Expr:
        """A SQL expression (e.g. ``"a > 1 AND b LIKE 'x%'"``) bound to this DataFrame's
        columns; errors name the position in ``text``."""
        return Expr(_native.parse_sql_expr(self._df, text))

    def explain(self) -> str:
        """The logical, optimized and Acero plans as text."""
        return self._df.explain()

    def logical_plan(self) -> str:
        return self._df.logical_plan()

    # ---- execution ----
    def to_arrow(self) -> pa.Table:
        """Runs the query (GIL released; Ctrl-C stops it) and returns a pyarrow.Table."""
        return pa.table(self._df.collect())

    collect = to_arrow

    def to_pylist(self) -> list[dict[str, Any]]:
        return self.to_arrow().to_pylist()

    def to_pydict(self) -> dict[str, list[Any]]:
        return self.to_arrow().to_pydict()

    def count(self) -> int:
        from . import functions as F

        return self.aggregate([], [F.count().alias("count")]).to_arrow().column(0)[0].as_py()

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Streams the result through the Arrow PyCapsule protocol."""
        return self._df.execute_stream().__arrow_c_stream__(requested_schema)

    def show(self, n: int = 20) -> None:
        """Prints the first ``n`` rows."""
        table = self.limit(n).to_arrow()
        print(_format_table(table))

    def __repr__(self) -> str:
        return f"DataFrame({self.schema()})"


def _format_table(table: pa.Table) -> str:
    names = table.column_names
    rows = [["NULL" if v is None else str(v) for v in row.values()] for row in table.to_pylist()]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(n.ljust(w) for n, w in zip(names, widths)) + " |", line]
    for r in rows:
        out.append("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |")
    out.append(line)
    return "\n".join(out)


def _iter_batches(obj: Any) -> Iterable[pa.RecordBatch]:
    return pa.RecordBatchReader.from_stream(obj)
