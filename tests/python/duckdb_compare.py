"""Comparing codeanatomy results with DuckDB's: value normalization, a total row order over
NULLs and mixed types, and tolerant equality. Shared by the DuckDB differential tests."""

from __future__ import annotations

import decimal
import math
from typing import Any

import pyarrow as pa


def _norm(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    return value


def _sort_key(value: Any) -> tuple:
    """A total order over NULLs, numbers, strings and nested values."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (2, round(float(value), 9))
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, list):
        return (4, tuple(_sort_key(v) for v in value))
    if isinstance(value, dict):
        return (5, tuple((k, _sort_key(v)) for k, v in value.items()))
    return (6, repr(value))


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float) or isinstance(y, float):
        if x is None or y is None or isinstance(x, bool) or isinstance(y, bool):
            return False
        if math.isnan(x) and math.isnan(y):
            return True
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    return type(x) is type(y) and x == y


def assert_same_result(table: pa.Table, con: Any, sql: str, ordered: bool) -> None:
    got_names = table.column_names
    got = [[_norm(v) for v in row.values()] for row in table.to_pylist()]
    cursor = con.execute(sql)
    want_names = [d[0] for d in cursor.description]
    want = [[_norm(v) for v in row] for row in cursor.fetchall()]
    assert got_names == want_names, f"columns differ: {got_names} vs DuckDB {want_names}"
    if not ordered:
        got = sorted(got, key=lambda r: tuple(_sort_key(v) for v in r))
        want = sorted(want, key=lambda r: tuple(_sort_key(v) for v in r))
    assert len(got) == len(want), f"{len(got)} rows vs DuckDB {len(want)}:\n{got}\n{want}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert all(_same(a, b) for a, b in zip(g, w)), f"row {i}: {g} vs DuckDB {w}"
