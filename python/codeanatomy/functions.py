"""Scalar and aggregate functions. ``call(name, *args)`` reaches any function registered in
the session (Arrow's compute functions included)."""

from __future__ import annotations

from typing import Any

from . import _native
from .expr import Expr, _to_expr, col, lit, when  # noqa: F401  (re-exported for convenience)


def call(name: str, *args: Any, distinct: bool = False) -> Expr:
    """Calls a registered function by name."""
    return Expr(_native.call(name, [_to_expr(a)._expr for a in args], distinct))


def _fn(name: str):
    def f(*args: Any) -> Expr:
        return call(name, *args)

    f.__name__ = name
    f.__doc__ = f"SQL ``{name}``."
    return f


# ---- aggregates ----
def count(expr: Any = None, distinct: bool = False) -> Expr:
    """``count(expr)`` counts non-null values; ``count()`` counts rows (``count(*)``)."""
    if expr is None:
        return call("count_all")
    return call("count", expr, distinct=distinct)


def count_distinct(expr: Any) -> Expr:
    """Number of distinct non-null values."""
    return call("count", expr, distinct=True)


sum = _fn("sum")  # noqa: A001
min = _fn("min")  # noqa: A001
max = _fn("max")  # noqa: A001
mean = _fn("mean")
avg = _fn("mean")
stddev = _fn("stddev")
variance = _fn("variance")
first = _fn("first")
last = _fn("last")
bool_and = _fn("bool_and")
bool_or = _fn("bool_or")

# ---- scalars ----
abs = _fn("abs")  # noqa: A001
lower = _fn("lower")
upper = _fn("upper")
length = _fn("length")
trim = _fn("trim")
ltrim = _fn("ltrim")
rtrim = _fn("rtrim")
reverse = _fn("reverse")
coalesce = _fn("coalesce")
sqrt = _fn("sqrt")
floor = _fn("floor")
ceil = _fn("ceil")
ln = _fn("ln")
log10 = _fn("log10")


def round(expr: Any, digits: int = 0) -> Expr:  # noqa: A001
    """Rounds half to even at ``digits`` decimal places."""
    return call("round", expr, lit(digits))


def substr(expr: Any, start: int, length: int | None = None) -> Expr:
    """SQL ``substr`` with a 1-based start, counting characters."""
    args = [expr, lit(start)] + ([] if length is None else [lit(length)])
    return call("substr", *args)


def concat(*args: Any) -> Expr:
    """Concatenation that skips NULLs (PostgreSQL ``concat``)."""
    return call("concat", *args)


def starts_with(expr: Any, prefix: str) -> Expr:
    return call("starts_with", expr, lit(prefix))


def ends_with(expr: Any, suffix: str) -> Expr:
    return call("ends_with", expr, lit(suffix))


def nullif(a: Any, b: Any) -> Expr:
    """NULL when ``a = b``, else ``a``."""
    a = _to_expr(a)
    return when(a == _to_expr(b), lit(None)).otherwise(a)

# ---- the codeanatomy bundle's aggregates (after ``install_codeanatomy_udfs()``) ----
list_unique = _fn("list_unique")
collect_set = _fn("collect_set")
count_distinct_agg = _fn("count_distinct_agg")
count_if = _fn("count_if")
any_value_det = _fn("any_value_det")
arg_max = _fn("arg_max")
arg_min = _fn("arg_min")
asof_select = _fn("asof_select")
first_value = _fn("first_value")
last_value = _fn("last_value")
string_agg = _fn("string_agg")
