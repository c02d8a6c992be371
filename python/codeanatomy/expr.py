"""Expressions: ``col("a") + 1 > lit(2)``; operators follow SQL semantics (three-valued logic)."""

from __future__ import annotations

from typing import Any, Iterable

import pyarrow as pa

from . import _native


def _to_expr(value: Any) -> "Expr":
    if isinstance(value, Expr):
        return value
    return lit(value)


class Expr:
    """A logical expression. Build with :func:`col`, :func:`lit` and the operators."""

    __slots__ = ("_expr",)

    def __init__(self, native: "_native.Expr") -> None:
        self._expr = native

    # -- arithmetic ------------------------------------------------------------
    def _binary(self, op: str, other: Any) -> "Expr":
        return Expr(_native.call(op, [self._expr, _to_expr(other)._expr]))

    def _rbinary(self, op: str, other: Any) -> "Expr":
        return Expr(_native.call(op, [_to_expr(other)._expr, self._expr]))

    def __add__(self, other: Any) -> "Expr":
        return self._binary("+", other)

    def __radd__(self, other: Any) -> "Expr":
        return self._rbinary("+", other)

    def __sub__(self, other: Any) -> "Expr":
        return self._binary("-", other)

    def __rsub__(self, other: Any) -> "Expr":
        return self._rbinary("-", other)

    def __mul__(self, other: Any) -> "Expr":
        return self._binary("*", other)

    def __rmul__(self, other: Any) -> "Expr":
        return self._rbinary("*", other)

    def __truediv__(self, other: Any) -> "Expr":
        return self._binary("/", other)

    def __rtruediv__(self, other: Any) -> "Expr":
        return self._rbinary("/", other)

    def __neg__(self) -> "Expr":
        return Expr(_native.call("negate", [self._expr]))

    # -- comparison ------------------------------------------------------------
    def __eq__(self, other: Any) -> "Expr":  # type: ignore[override]
        return self._binary("=", other)

    def __ne__(self, other: Any) -> "Expr":  # type: ignore[override]
        return self._binary("!=", other)

    def __lt__(self, other: Any) -> "Expr":
        return self._binary("<", other)

    def __le__(self, other: Any) -> "Expr":
        return self._binary("<=", other)

    def __gt__(self, other: Any) -> "Expr":
        return self._binary(">", other)

    def __ge__(self, other: Any) -> "Expr":
        return self._binary(">=", other)

    # -- boolean ---------------------------------------------------------------
    def __and__(self, other: Any) -> "Expr":
        return self._binary("and", other)

    def __rand__(self, other: Any) -> "Expr":
        return self._rbinary("and", other)

    def __or__(self, other: Any) -> "Expr":
        return self._binary("or", other)

    def __ror__(self, other: Any) -> "Expr":
        return self._rbinary("or", other)

    def __invert__(self) -> "Expr":
        return Expr(_native.call("not", [self._expr]))

    def __bool__(self) -> bool:
        raise TypeError("an Expr has no truth value; use & | ~ instead of and/or/not")

    __hash__ = None  # type: ignore[assignment]

    # -- methods ---------------------------------------------------------------
    def alias(self, name: str) -> "Expr":
        """Names the expression's output column."""
        return Expr(_native.alias(self._expr, name))

    def cast(self, to: pa.DataType) -> "Expr":
        """Converts to an Arrow type (safe cast: overflow and bad strings are errors)."""
        return Expr(_native.cast(self._expr, to))

    def is_null(self) -> "Expr":
        return Expr(_native.call("is_null", [self._expr]))

    def is_not_null(self) -> "Expr":
        return Expr(_native.call("is_not_null", [self._expr]))

    def isin(self, values: Iterable[Any], negated: bool = False) -> "Expr":
        """SQL ``IN``: NULL when there is no match and the list or the value holds NULL."""
        return Expr(_native.in_list(self._expr, [_to_expr(v)._expr for v in values], negated))

    def between(self, low: Any, high: Any, negated: bool = False) -> "Expr":
        return Expr(
            _native.between(self._expr, _to_expr(low)._expr, _to_expr(high)._expr, negated)
        )

    def like(self, pattern: str, negated: bool = False) -> "Expr":
        """SQL ``LIKE`` with ``%`` and ``_`` wildcards."""
        return Expr(_native.like(self._expr, pattern, False, negated))

    def ilike(self, pattern: str, negated: bool = False) -> "Expr":
        """Case-insensitive ``LIKE``."""
        return Expr(_native.like(self._expr, pattern, True, negated))

    def sort(self, ascending: bool = True, nulls_first: bool = False) -> "SortExpr":
        """A sort key; nulls sort last unless ``nulls_first``."""
        return SortExpr(self, ascending, nulls_first)

    def output_name(self) -> str:
        return self._expr.output_name()

    def __repr__(self) -> str:
        return f"Expr({self._expr!r})"


class SortExpr:
    """An expression with a sort direction and null placement."""

    __slots__ = ("expr", "ascending", "nulls_first")

    def __init__(self, expr: Expr, ascending: bool = True, nulls_first: bool = False) -> None:
        self.expr = expr
        self.ascending = ascending
        self.nulls_first = nulls_first

    def __repr__(self) -> str:
        direction = "ASC" if self.ascending else "DESC"
        nulls = "NULLS FIRST" if self.nulls_first else "NULLS LAST"
        return f"SortExpr({self.expr!r} {direction} {nulls})"


def col(name: str) -> Expr:
    """A column of the input, by name."""
    return Expr(_native.col(name))


def lit(value: Any, type: pa.DataType | None = None) -> Expr:
    """A constant. Python values map to Arrow types as pyarrow maps them."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, pa.Scalar):
        array = pa.array([value.as_py()], type=value.type)
    else:
        array = pa.array([value], type=type)
    return Expr(_native.lit(array))


def when(condition: Expr, value: Any) -> "CaseBuilder":
    """``CASE WHEN condition THEN value ...``; finish with ``.otherwise(v)`` or ``.end()``."""
    return CaseBuilder([(condition, _to_expr(value))])


class CaseBuilder:
    def __init__(self, branches: list[tuple[Expr, Expr]]) -> None:
        self._branches = branches

    def when(self, condition: Expr, value: Any) -> "CaseBuilder":
        return CaseBuilder(self._branches + [(condition, _to_expr(value))])

    def otherwise(self, value: Any) -> Expr:
        pairs = [(c._expr, v._expr) for c, v in self._branches]
        return Expr(_native.case(pairs, _to_expr(value)._expr))

    def end(self) -> Expr:
        pairs = [(c._expr, v._expr) for c, v in self._branches]
        return Expr(_native.case(pairs, None))
