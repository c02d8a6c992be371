"""Randomized SQL differential tests: a small generator of SELECT queries (filters with
three-valued logic, arithmetic, joins, grouping, HAVING, DISTINCT, set operations) over the
shared test tables; every query runs on codeanatomy and DuckDB and the rows must match."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from sql_slt import duckdb_connection, duckdb_rows, format_table_rows, normalize
from sql_tables import tables

import codeanatomy as ca

_DATA = tables()
_CTX = ca.SessionContext()
for _name, _table in _DATA.items():
    _CTX.register_arrow(_name, _table)
_DUCK = duckdb_connection(_DATA)

# Numeric columns of t1 (alias x) and t2 (alias y), and literals that hit the data.
X_NUM = ["x.a", "x.e", "x.c"]
Y_NUM = ["y.a", "y.y"]
LITERALS = ["0", "1", "2", "3", "7", "20", "-5", "2.5", "NULL"]


def numeric(cols: list[str]) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(cols), st.sampled_from(LITERALS))
    return st.recursive(
        leaf,
        lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        max_leaves=3,
    )


def predicate(cols: list[str]) -> st.SearchStrategy[str]:
    num = numeric(cols)
    atom = st.one_of(
        st.tuples(num, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), num).map(" ".join),
        st.tuples(st.sampled_from(cols), st.sampled_from(["IS NULL", "IS NOT NULL"])).map(" ".join),
        st.tuples(st.sampled_from(cols), st.sampled_from(LITERALS), st.sampled_from(LITERALS)).map(
            lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"
        ),
        st.tuples(st.sampled_from(cols), st.lists(st.sampled_from(LITERALS), min_size=1, max_size=3)).map(
            lambda t: f"{t[0]} IN ({', '.join(t[1])})"
        ),
        st.sampled_from(["x.b = 'x'", "x.b LIKE '%y%'", "x.b IS NULL", "x.b <> ''"]),
    )
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda p: f"NOT ({p})"),
        ),
        max_leaves=4,
    )


@st.composite
def query(draw: st.DrawFn) -> str:
    join = draw(st.sampled_from(["", "JOIN", "LEFT JOIN", "FULL JOIN"]))
    cols = X_NUM + (Y_NUM if join else [])
    source = "t1 x" + (f" {join} t2 y ON x.a = y.a" if join else "")
    where = draw(st.one_of(st.just(""), predicate(cols).map(lambda p: f" WHERE {p}")))
    shape = draw(st.sampled_from(["rows", "group", "distinct", "union"]))
    if shape == "rows":
        exprs = draw(st.lists(numeric(cols), min_size=1, max_size=3))
        return f"SELECT {', '.join(exprs)} FROM {source}{where}"
    if shape == "distinct":
        exprs = draw(st.lists(st.sampled_from(cols + ["x.b"]), min_size=1, max_size=2))
        return f"SELECT DISTINCT {', '.join(exprs)} FROM {source}{where}"
    if shape == "union":
        a = draw(st.sampled_from(cols))
        b = draw(st.sampled_from(["n", "n * 2", "n - 10"]))
        op = draw(st.sampled_from(["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]))
        return f"SELECT {a} FROM {source}{where} {op} SELECT {b} FROM nums"
    key = draw(st.sampled_from(["x.b", "x.a", "x.d"] + (["y.x"] if join else [])))
    agg_col = draw(st.sampled_from(cols))
    aggs = draw(
        st.lists(
            st.sampled_from(["count(*)", f"count({agg_col})", f"sum({agg_col})", f"min({agg_col})",
                             f"max({agg_col})", f"count(DISTINCT {agg_col})"]),
            min_size=1, max_size=3,
        )
    )
    having = draw(st.sampled_from(["", " HAVING count(*) > 1", f" HAVING max({agg_col}) IS NOT NULL"]))
    return f"SELECT {key}, {', '.join(aggs)} FROM {source}{where} GROUP BY {key}{having}"


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(query())
def test_random_queries_match_duckdb(sql: str) -> None:
    ours = normalize(format_table_rows(_CTX.sql(sql).to_arrow(), "rowsort"))
    theirs = normalize(duckdb_rows(_DUCK, sql, "rowsort"))
    assert ours == theirs, f"{sql}\nours:   {ours}\nduckdb: {theirs}"
