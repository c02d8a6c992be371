"""Randomized tables from hypothesis: filters, joins, group-bys and sorts return what DuckDB
returns for the same SQL.

Small value domains force duplicate keys and NULLs in every column; each template is compared
as a multiset of rows, or in order when it sorts by a full ordering.
"""

from __future__ import annotations

import operator
from typing import Any

import pyarrow as pa
import pytest

duckdb = pytest.importorskip("duckdb")
ca = pytest.importorskip("codeanatomy")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeanatomy import col
from codeanatomy import functions as F

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SMALL_INTS = st.one_of(st.none(), st.integers(-3, 3))
WIDE_INTS = st.one_of(st.none(), st.integers(-(10**6), 10**6))
STRINGS = st.one_of(st.none(), st.sampled_from(["", "a", "A", "ab", "b", "ba", "é"]))


@st.composite
def tables(draw, columns: dict[str, Any], max_rows: int = 12) -> pa.Table:
    """A table with a unique ``id`` column plus ``columns`` drawn from the given strategies."""
    n = draw(st.integers(0, max_rows))
    data: dict[str, pa.Array] = {"id": pa.array(range(n), pa.int64())}
    for name, values in columns.items():
        kind = pa.string() if values is STRINGS else pa.int64()
        data[name] = pa.array(draw(st.lists(values, min_size=n, max_size=n)), kind)
    return pa.table(data)


PLAIN = {"a": SMALL_INTS, "b": WIDE_INTS, "s": STRINGS}
JOIN_LEFT = {"k": SMALL_INTS, "s": STRINGS}
JOIN_RIGHT = {"k": SMALL_INTS, "s": STRINGS, "v": WIDE_INTS}


def run_both(tables_by_name: dict[str, pa.Table], build, sql: str, ordered: bool) -> None:
    ctx = ca.SessionContext()
    con = duckdb.connect()
    try:
        for name, table in tables_by_name.items():
            ctx.register_arrow(name, table)
            con.register(name, table)
        assert_same_result(build(ctx).to_arrow(), con, sql, ordered)
    finally:
        con.close()


from duckdb_compare import assert_same_result  # noqa: E402

# ---- predicates -----------------------------------------------------------------------------

OPS = {
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "<>": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
}


@st.composite
def comparisons(draw) -> tuple[Any, str]:
    """A comparison of a column with a constant, as an Expr and as SQL."""
    name = draw(st.sampled_from(["a", "b", "s"]))
    op = draw(st.sampled_from(sorted(OPS)))
    if name == "s":
        value = draw(st.sampled_from(["", "a", "ab", "b", "z"]))
        sql_value = f"'{value}'"
    else:
        value = draw(st.integers(-4, 4))
        sql_value = str(value)
    return OPS[op](col(name), value), f"({name} {op} {sql_value})"


@st.composite
def predicates(draw) -> tuple[Any, str]:
    """AND or OR of two comparisons, or a NULL test, optionally negated."""
    left, left_sql = draw(comparisons())
    shape = draw(st.sampled_from(["and", "or", "single", "is_null"]))
    if shape == "and":
        right, right_sql = draw(comparisons())
        expr, sql = left & right, f"({left_sql} AND {right_sql})"
    elif shape == "or":
        right, right_sql = draw(comparisons())
        expr, sql = left | right, f"({left_sql} OR {right_sql})"
    elif shape == "is_null":
        name = draw(st.sampled_from(["a", "b", "s"]))
        expr, sql = (left | col(name).is_null()), f"({left_sql} OR {name} IS NULL)"
    else:
        expr, sql = left, left_sql
    if draw(st.booleans()):
        expr, sql = ~expr, f"(NOT {sql})"
    return expr, sql


@SETTINGS
@given(table=tables(PLAIN), predicate=predicates())
def test_random_filter_matches_duckdb(table, predicate):
    expr, sql_predicate = predicate
    run_both(
        {"t": table},
        lambda ctx: ctx.table("t").filter(expr),
        f"SELECT id, a, b, s FROM t WHERE {sql_predicate}",
        ordered=False,
    )


@SETTINGS
@given(table=tables(PLAIN), predicate=predicates())
def test_random_predicate_as_a_column_matches_duckdb(table, predicate):
    """The predicate's own value, NULL included (three-valued logic), not just its filter."""
    expr, sql_predicate = predicate
    run_both(
        {"t": table},
        lambda ctx: ctx.table("t").select(col("id"), expr.alias("p")),
        f"SELECT id, {sql_predicate} AS p FROM t",
        ordered=False,
    )


# ---- joins ----------------------------------------------------------------------------------

JOIN_TYPES = ["inner", "left", "right", "full", "semi", "anti"]


@SETTINGS
@given(
    left=tables(JOIN_LEFT),
    right=tables(JOIN_RIGHT),
    how=st.sampled_from(JOIN_TYPES),
    keys=st.sampled_from([["k"], ["s"], ["k", "s"]]),
)
def test_random_join_matches_duckdb(left, right, how, keys):
    on = " AND ".join(f"l.{k} = r.{k}" for k in keys)
    if how in ("semi", "anti"):
        exists = "EXISTS" if how == "semi" else "NOT EXISTS"
        sql = f"SELECT id, k, s FROM l WHERE {exists} (SELECT 1 FROM r WHERE {on})"
    else:
        sql = (
            "SELECT l.id, l.k, l.s, r.id AS id_right, r.k AS k_right, r.s AS s_right, r.v "
            f"FROM l {how.upper()} JOIN r ON {on}"
        )
    run_both(
        {"l": left, "r": right},
        lambda ctx: ctx.table("l").join(ctx.table("r"), on=keys, how=how),
        sql,
        ordered=False,
    )


# ---- aggregates -----------------------------------------------------------------------------


@SETTINGS
@given(table=tables(PLAIN, max_rows=20), keys=st.sampled_from([[], ["a"], ["s"], ["a", "s"]]))
def test_random_group_by_matches_duckdb(table, keys):
    key_sql = ", ".join(keys)
    select_keys = f"{key_sql}, " if keys else ""
    group_by = f" GROUP BY {key_sql}" if keys else ""
    sql = (
        f"SELECT {select_keys}count(*) AS n, count(b) AS nb, sum(b) AS sb, min(b) AS lo, "
        f"max(b) AS hi, min(s) AS smin, max(s) AS smax, count(DISTINCT a) AS da FROM t{group_by}"
    )
    b = col("b")
    aggs = [
        F.count().alias("n"),
        F.count(b).alias("nb"),
        F.sum(b).alias("sb"),
        F.min(b).alias("lo"),
        F.max(b).alias("hi"),
        F.min(col("s")).alias("smin"),
        F.max(col("s")).alias("smax"),
        F.count_distinct(col("a")).alias("da"),
    ]
    run_both({"t": table}, lambda ctx: ctx.table("t").aggregate(keys, aggs), sql, ordered=False)


# ---- sorts ----------------------------------------------------------------------------------


@SETTINGS
@given(
    table=tables(PLAIN, max_rows=20),
    order=st.permutations(["a", "b", "s"]),
    directions=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=3, max_size=3),
    limit=st.integers(0, 25),
    offset=st.integers(0, 5),
)
def test_random_sort_with_full_ordering_and_limit_matches_duckdb(
    table, order, directions, limit, offset
):
    # `id` last makes the ordering total, so the rows must come back in exactly this order.
    sort_keys = [
        col(name).sort(ascending=asc, nulls_first=nulls_first)
        for name, (asc, nulls_first) in zip(order, directions)
    ] + [col("id").sort()]
    order_sql = ", ".join(
        f"{name} {'ASC' if asc else 'DESC'} NULLS {'FIRST' if nulls_first else 'LAST'}"
        for name, (asc, nulls_first) in zip(order, directions)
    )
    sql = f"SELECT id, a, b, s FROM t ORDER BY {order_sql}, id LIMIT {limit} OFFSET {offset}"
    run_both(
        {"t": table},
        lambda ctx: ctx.table("t").sort(*sort_keys).limit(limit, offset=offset),
        sql,
        ordered=True,
    )
