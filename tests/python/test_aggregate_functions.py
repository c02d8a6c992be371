"""The bundle's aggregates (shared/CONTRACTS.md §5) through SQL and the DataFrame API, grouped
and ungrouped, checked against DuckDB on seeded random tables of several record batches with
NULLs and ties. Each of our functions has a DuckDB spelling of the semantics we chose, e.g.
arg_max(v, k) = first(v ORDER BY k DESC, v) FILTER (WHERE k IS NOT NULL AND v IS NOT NULL).
"""

from __future__ import annotations

import datetime
import math
import random

import pyarrow as pa
import pytest

ca = pytest.importorskip("codeanatomy")
duckdb = pytest.importorskip("duckdb")

from codeanatomy import EngineExecutionError, col, lit
from codeanatomy import functions as F

SEEDS = range(6)
LETTERS = ["a", "b", "B", "é", "ab", "z", ""]


@pytest.fixture
def ctx():
    session = ca.SessionContext()
    session.install_codeanatomy_udfs()
    return session


# ---------------------------------------------------------------- data


def _value(rng: random.Random, kind: str):
    if kind == "int":
        return rng.randint(-4, 4)
    if kind == "str":
        return rng.choice(LETTERS)
    if kind == "float":
        return rng.choice([-2.5, -1.0, 0.5, 3.25, 7.0])
    if kind == "date":
        return datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randint(0, 5))
    raise AssertionError(kind)


VALUE_TYPES = {"int": pa.int64(), "str": pa.string(), "float": pa.float64(), "date": pa.date32()}


def random_table(seed: int, kind: str, n_batches: int = 4, batch_rows: int = 9) -> pa.Table:
    """Columns g (group, may be NULL), v (values of `kind`), k (int key with ties), b (bool),
    s (text), bd (per-row bound); about a fifth of each column NULL; several record batches."""
    rng = random.Random(seed)
    schema = pa.schema([("g", pa.string()), ("v", VALUE_TYPES[kind]), ("k", pa.int64()),
                        ("b", pa.bool_()), ("s", pa.string()), ("bd", pa.int64())])

    def maybe(x):
        return None if rng.random() < 0.2 else x

    batches = []
    for _ in range(n_batches):
        n = rng.randint(0, batch_rows)
        cols = {
            "g": [maybe(rng.choice("xyzw")) for _ in range(n)],
            "v": [maybe(_value(rng, kind)) for _ in range(n)],
            "k": [maybe(rng.randint(0, 5)) for _ in range(n)],
            "b": [maybe(rng.random() < 0.5) for _ in range(n)],
            "s": [maybe(rng.choice(LETTERS)) for _ in range(n)],
            "bd": [maybe(rng.randint(0, 5)) for _ in range(n)],
        }
        batches.append(pa.record_batch([pa.array(cols[f.name], f.type) for f in schema], schema))
    return pa.Table.from_batches(batches, schema)


# ours -> DuckDB spelling of the same semantics
NONNULL_KV = "k IS NOT NULL AND v IS NOT NULL"
ORACLE = {
    "list_unique(v)": "list(DISTINCT v ORDER BY v) FILTER (WHERE v IS NOT NULL)",
    "collect_set(v)": "list(DISTINCT v ORDER BY v) FILTER (WHERE v IS NOT NULL)",
    "count_distinct_agg(v)": "count(DISTINCT v)",
    "count_if(b)": "coalesce(count_if(b), 0)",  # DuckDB gives NULL when no row is true or false
    "any_value_det(v)": "min(v)",
    "arg_max(v, k)": f"first(v ORDER BY k DESC, v) FILTER (WHERE {NONNULL_KV})",
    "arg_min(v, k)": f"first(v ORDER BY k, v) FILTER (WHERE {NONNULL_KV})",
    "asof_select(v, k, 3)": f"first(v ORDER BY k DESC, v) FILTER (WHERE {NONNULL_KV} AND k <= 3)",
    "asof_select(v, k, bd)": (
        f"first(v ORDER BY k DESC, v) FILTER (WHERE {NONNULL_KV} AND bd IS NOT NULL AND k <= bd)"
    ),
    "first_value(v, k)": "first(v ORDER BY k, v NULLS LAST) FILTER (WHERE k IS NOT NULL)",
    "last_value(v, k)": "first(v ORDER BY k DESC, v NULLS LAST) FILTER (WHERE k IS NOT NULL)",
    "first_value_agg(v, k)": "first(v ORDER BY k, v NULLS LAST) FILTER (WHERE k IS NOT NULL)",
    "last_value_agg(v, k)": "first(v ORDER BY k DESC, v NULLS LAST) FILTER (WHERE k IS NOT NULL)",
    "string_agg(s, ', ')": "string_agg(s, ', ' ORDER BY s)",
}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def ours_vs_duckdb(ctx, table: pa.Table, exprs: list[str], grouped: bool):
    ctx.register_arrow("t", table)
    names = [f"c{i}" for i in range(len(exprs))]
    ours_sel = ", ".join(f"{e} AS {n}" for e, n in zip(exprs, names))
    ref_sel = ", ".join(f"{ORACLE[e]} AS {n}" for e, n in zip(exprs, names))
    group = " GROUP BY g" if grouped else ""
    key = "g, " if grouped else ""
    ours = ctx.sql(f"SELECT {key}{ours_sel} FROM t{group}").to_pylist()
    con = duckdb.connect()
    con.register("t", table)
    ref = con.sql(f"SELECT {key}{ref_sel} FROM t{group}").to_arrow_table().to_pylist()
    by_group = (lambda rows: {r["g"]: r for r in rows}) if grouped else (lambda rows: {0: rows[0]})
    return by_group(ours), by_group(ref), names


def assert_same(ours, ref, names, context):
    assert ours.keys() == ref.keys(), context
    for g in ref:
        for n in names:
            assert _same(ours[g][n], ref[g][n]), (context, g, n, ours[g][n], ref[g][n])


# ---------------------------------------------------------------- against DuckDB


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["int", "str", "float", "date"])
@pytest.mark.parametrize("grouped", [True, False])
def test_sql_matches_duckdb(ctx, seed, kind, grouped):
    table = random_table(seed * 31 + len(kind), kind)
    ours, ref, names = ours_vs_duckdb(ctx, table, list(ORACLE), grouped)
    assert_same(ours, ref, names, (seed, kind, grouped))


@pytest.mark.parametrize("kind", ["int", "str"])
@pytest.mark.parametrize("grouped", [True, False])
def test_many_batches_in_parallel_match_duckdb(ctx, kind, grouped):
    """Enough batches for the engine to aggregate on several threads and merge the partials."""
    table = random_table(99, kind, n_batches=60, batch_rows=2000)
    ours, ref, names = ours_vs_duckdb(ctx, table, list(ORACLE), grouped)
    assert_same(ours, ref, names, (kind, grouped))


@pytest.mark.parametrize("seed", SEEDS)
def test_arg_max_and_arg_min_agree_with_duckdb_when_keys_are_unique(ctx, seed):
    rng = random.Random(seed)
    n = 40
    keys = rng.sample(range(1000), n)
    table = pa.Table.from_batches([
        pa.record_batch({"g": [rng.choice("xy") for _ in range(10)],
                         "v": [None if rng.random() < 0.2 else rng.randint(0, 9)
                               for _ in range(10)],
                         "k": keys[i:i + 10]})
        for i in range(0, n, 10)
    ])
    ctx.register_arrow("t", table)
    q = "SELECT g, arg_max(v, k) AS mx, arg_min(v, k) AS mn FROM t GROUP BY g ORDER BY g"
    con = duckdb.connect()
    con.register("t", table)
    assert ctx.sql(q).to_pylist() == con.sql(q).to_arrow_table().to_pylist()


def test_dataframe_api_matches_sql(ctx):
    table = random_table(7, "str")
    ctx.register_arrow("t", table)
    aggs = {
        "lu": F.call("list_unique", col("v")),
        "cd": F.call("count_distinct_agg", col("v")),
        "ci": F.call("count_if", col("b")),
        "am": F.call("arg_max", col("v"), col("k")),
        "aso": F.call("asof_select", col("v"), col("k"), lit(3)),
        "fv": F.call("first_value", col("v"), col("k")),
        "sa": F.call("string_agg", col("s"), lit("|")),
    }
    sql = ("SELECT g, list_unique(v) AS lu, count_distinct_agg(v) AS cd, count_if(b) AS ci, "
           "arg_max(v, k) AS am, asof_select(v, k, 3) AS aso, first_value(v, k) AS fv, "
           "string_agg(s, '|') AS sa FROM t GROUP BY g")
    df = ctx.table("t").aggregate(["g"], [e.alias(n) for n, e in aggs.items()])
    by_g = lambda rows: sorted(rows, key=lambda r: (r["g"] is None, r["g"] or ""))  # noqa: E731
    assert by_g(df.to_pylist()) == by_g(ctx.sql(sql).to_pylist())
    ungrouped = ctx.table("t").aggregate(None, [aggs["cd"].alias("cd"), aggs["sa"].alias("sa")])
    assert ungrouped.to_pylist() == ctx.sql(
        "SELECT count_distinct_agg(v) AS cd, string_agg(s, '|') AS sa FROM t").to_pylist()


def test_named_wrappers(ctx):
    ctx.register_arrow("t", pa.table({"v": [3, 1, None, 3], "k": [1, 2, 3, 4]}))
    got = ctx.table("t").aggregate(None, [
        F.list_unique(col("v")).alias("lu"),
        F.arg_min(col("v"), col("k")).alias("am"),
        F.last_value(col("v"), col("k")).alias("lv"),
    ]).to_pylist()
    assert got == [{"lu": [1, 3], "am": 3, "lv": 3}]


# ---------------------------------------------------------------- chosen semantics, by hand


def test_empty_and_all_null_groups(ctx):
    ctx.register_arrow("t", pa.table({"v": pa.array([None, None], pa.int64()),
                                      "k": pa.array([1, 2], pa.int64()),
                                      "b": pa.array([None, None], pa.bool_())}))
    row = ctx.sql(
        "SELECT list_unique(v) AS lu, collect_set(v) AS cs, count_distinct_agg(v) AS cd, "
        "count_if(b) AS ci, any_value_det(v) AS av, arg_max(v, k) AS am, "
        "first_value(v, k) AS fv, string_agg(CAST(v AS VARCHAR), ',') AS sa FROM t"
    ).to_pylist()
    assert row == [{"lu": None, "cs": None, "cd": 0, "ci": 0, "av": None, "am": None,
                    "fv": None, "sa": None}]
    empty = ctx.sql("SELECT count_if(b) AS ci, arg_max(v, k) AS am FROM t WHERE k > 9").to_pylist()
    assert empty == [{"ci": 0, "am": None}]


def test_ties_and_nulls_by_hand(ctx):
    ctx.register_arrow("t", pa.table({
        "v": ["b", None, "a", "c", None],
        "k": [2, 2, 2, 1, 3],
    }))
    row = ctx.sql(
        "SELECT arg_max(v, k) AS amx, arg_min(v, k) AS amn, first_value(v, k) AS fv, "
        "last_value(v, k) AS lv, asof_select(v, k, 2) AS a2, asof_select(v, k, 0) AS a0, "
        "string_agg(v, NULL) AS sa FROM t"
    ).to_pylist()
    # k=3 holds NULL: skipped by arg_max, kept by last_value; k=2 ties pick the smallest "a".
    assert row == [{"amx": "a", "amn": "c", "fv": "c", "lv": None, "a2": "a", "a0": None,
                    "sa": "abc"}]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "query, stage, code",
    [
        ("SELECT arg_max(v) FROM t", "planning", "WRONG_ARITY"),
        ("SELECT count_if(b, b) FROM t", "planning", "WRONG_ARITY"),
        ("SELECT arg_max(v, span_make(k, k)) FROM t", "planning", "TYPE_MISMATCH"),
        ("SELECT count_if(k) FROM t", "planning", "TYPE_MISMATCH"),
        ("SELECT string_agg(k, ',') FROM t", "planning", "TYPE_MISMATCH"),
        ("SELECT asof_select(v, k, 'x') FROM t", "planning", "TYPE_MISMATCH"),
        ("SELECT string_agg(v, v) FROM t", "execution", "ARGUMENT_NOT_CONSTANT"),
        ("SELECT k, string_agg(v, v) FROM t GROUP BY k", "execution", "ARGUMENT_NOT_CONSTANT"),
    ],
)
def test_typed_errors(ctx, query, stage, code):
    ctx.register_arrow("t", pa.table({"v": ["a", "b"], "k": [1, 1], "b": [True, False]}))
    with pytest.raises(EngineExecutionError) as err:
        ctx.sql(query).to_pylist()
    assert (err.value.stage, err.value.code) == (stage, code)


def test_aggregates_need_installing():
    session = ca.SessionContext()
    session.register_arrow("t", pa.table({"v": [1]}))
    with pytest.raises(EngineExecutionError) as err:
        session.sql("SELECT count_if(v > 0) FROM t").to_pylist()
    assert err.value.code == "UNKNOWN_FUNCTION"
