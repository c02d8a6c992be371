"""DataFrame queries return what DuckDB returns for the same SQL over the same Arrow tables.

Each case builds a query with the DataFrame API and writes the equivalent DuckDB SQL. Results
are compared as multisets of rows, or in order when the query has a full ORDER BY. Values are
compared as Python values (DuckDB's HUGEINT sums and DECIMAL literals are normalized) and
floats with a relative tolerance.
"""

from __future__ import annotations

from typing import Any, Callable

import pyarrow as pa
import pytest

duckdb = pytest.importorskip("duckdb")
ca = pytest.importorskip("codeanatomy")

from codeanatomy import col, when
from codeanatomy import functions as F

# ---- data -----------------------------------------------------------------------------------

# `t`: nullable ints with duplicates and negatives, strings with mixed case, padding and NULLs.
T = pa.table(
    {
        "id": pa.array(range(1, 15), pa.int64()),
        "a": pa.array([1, 2, 2, None, 3, -4, None, 5, 2, 0, -7, 3, None, 8], pa.int64()),
        "b": pa.array([3, None, 1, 4, 0, 2, None, -3, 5, 6, 2, None, 1, 4], pa.int64()),
        "s": pa.array(
            [
                "apple",
                "Banana",
                None,
                "cherry",
                " kiwi ",
                "apple",
                "ab",
                None,
                "APPLE",
                "b_c",
                "",
                "banana",
                "Abc",
                "zeta",
            ],
            pa.string(),
        ),
        "f": pa.array(
            [1.5, None, -2.25, 0.0, 3.75, 1.5, None, 10.0, -0.5, 2.0, 7.25, None, 4.0, 1.5],
            pa.float64(),
        ),
    }
)

# Join inputs: NULL keys on both sides, duplicate keys on both sides, keys only on one side.
L = pa.table(
    {
        "k": pa.array([1, 1, 2, None, 3, 5, None, 2], pa.int64()),
        "k2": pa.array(["x", "y", "x", "x", None, "z", "y", "x"], pa.string()),
        "lv": pa.array([10, 11, 20, 30, 40, 50, 60, 21], pa.int64()),
    }
)
R = pa.table(
    {
        "k": pa.array([1, 2, 2, None, 4, 1, None], pa.int64()),
        "k2": pa.array(["x", "x", "y", "x", "z", None, "y"], pa.string()),
        "rv": pa.array([15, 19, 25, 35, 45, 5, 65], pa.int64()),
    }
)

# Nested payload carried through a join on an int key.
NESTED = pa.table(
    {
        "nid": pa.array([1, 2, 2, 3, None, 9], pa.int64()),
        "st": pa.array(
            [
                {"x": 1, "y": "one"},
                {"x": 2, "y": None},
                None,
                {"x": 3, "y": "three"},
                {"x": 0, "y": "null-key"},
                {"x": 9, "y": "nine"},
            ],
            pa.struct([("x", pa.int64()), ("y", pa.string())]),
        ),
        "lst": pa.array([[1, 2], [], None, [3, None, 3], [0], [9]], pa.list_(pa.int64())),
    }
)

EMPTY = T.slice(0, 0)

TABLES = {"t": T, "l": L, "r": R, "nested": NESTED, "empty": EMPTY}


def make_session() -> ca.SessionContext:
    session = ca.SessionContext()
    for name, table in TABLES.items():
        session.register_arrow(name, table)
    return session


@pytest.fixture(scope="module")
def ctx():
    return make_session()


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    for name, table in TABLES.items():
        connection.register(name, table)
    yield connection
    connection.close()


from duckdb_compare import assert_same_result  # noqa: E402

Query = Callable[["ca.SessionContext"], "ca.DataFrame"]
CASES: list[Any] = []
BUILDERS: dict[str, Query] = {}


def case(case_id: str, sql: str, ordered: bool = False, marks: Any = ()):
    """Registers a query builder and its DuckDB SQL as one parametrized case."""

    def register(build: Query) -> Query:
        assert case_id not in BUILDERS, case_id
        BUILDERS[case_id] = build
        CASES.append(pytest.param(case_id, sql, ordered, id=case_id, marks=marks))
        return build

    return register


ALL_T = "id, a, b, s, f"

# ---- filters: three-valued logic ------------------------------------------------------------


@case("filter_and_nulls", f"SELECT {ALL_T} FROM t WHERE a > 1 AND b < 4")
def _(ctx):
    return ctx.table("t").filter((col("a") > 1) & (col("b") < 4))


@case("filter_or_nulls", f"SELECT {ALL_T} FROM t WHERE a > 2 OR b < 1")
def _(ctx):
    return ctx.table("t").filter((col("a") > 2) | (col("b") < 1))


@case("filter_not_nulls", f"SELECT {ALL_T} FROM t WHERE NOT (a > 1)")
def _(ctx):
    return ctx.table("t").filter(~(col("a") > 1))


@case("filter_not_of_or", f"SELECT {ALL_T} FROM t WHERE NOT (a > 2 OR b < 1)")
def _(ctx):
    return ctx.table("t").filter(~((col("a") > 2) | (col("b") < 1)))


@case("filter_not_of_and", f"SELECT {ALL_T} FROM t WHERE NOT (a > 1 AND b < 4)")
def _(ctx):
    return ctx.table("t").filter(~((col("a") > 1) & (col("b") < 4)))


@case(
    "project_three_valued_booleans",
    "SELECT id, a > 1 AND b < 4 AS x, a > 2 OR b < 1 AS y, NOT (a > 1) AS z, "
    "(a = b) IS NULL AS w FROM t",
)
def _(ctx):
    a, b = col("a"), col("b")
    return ctx.table("t").select(
        col("id"),
        ((a > 1) & (b < 4)).alias("x"),
        ((a > 2) | (b < 1)).alias("y"),
        (~(a > 1)).alias("z"),
        (a == b).is_null().alias("w"),
    )


@case("filter_is_null", f"SELECT {ALL_T} FROM t WHERE a IS NULL")
def _(ctx):
    return ctx.table("t").filter(col("a").is_null())


@case("filter_is_not_null_and_is_null", f"SELECT {ALL_T} FROM t WHERE a IS NOT NULL AND b IS NULL")
def _(ctx):
    return ctx.table("t").filter(col("a").is_not_null() & col("b").is_null())


@case("filter_in_list_with_null", f"SELECT {ALL_T} FROM t WHERE a IN (1, 2, NULL)")
def _(ctx):
    return ctx.table("t").filter(col("a").isin([1, 2, None]))


@case("filter_not_in_list_with_null", f"SELECT {ALL_T} FROM t WHERE a NOT IN (1, NULL)")
def _(ctx):
    return ctx.table("t").filter(col("a").isin([1, None], negated=True))


@case("filter_not_in_list", f"SELECT {ALL_T} FROM t WHERE a NOT IN (1, 3)")
def _(ctx):
    return ctx.table("t").filter(col("a").isin([1, 3], negated=True))


@case(
    "project_in_list_values",
    "SELECT id, a IN (1, NULL) AS x, a NOT IN (1, NULL) AS y, s IN ('apple', 'ab') AS z FROM t",
)
def _(ctx):
    return ctx.table("t").select(
        col("id"),
        col("a").isin([1, None]).alias("x"),
        col("a").isin([1, None], negated=True).alias("y"),
        col("s").isin(["apple", "ab"]).alias("z"),
    )


@case("filter_between", f"SELECT {ALL_T} FROM t WHERE a BETWEEN 0 AND 3")
def _(ctx):
    return ctx.table("t").filter(col("a").between(0, 3))


@case("filter_not_between", f"SELECT {ALL_T} FROM t WHERE a NOT BETWEEN 0 AND 3")
def _(ctx):
    return ctx.table("t").filter(col("a").between(0, 3, negated=True))


@case("filter_between_columns", f"SELECT {ALL_T} FROM t WHERE id BETWEEN a AND b + 10")
def _(ctx):
    return ctx.table("t").filter(col("id").between(col("a"), col("b") + 10))


@case("filter_like_prefix", f"SELECT {ALL_T} FROM t WHERE s LIKE 'a%'")
def _(ctx):
    return ctx.table("t").filter(col("s").like("a%"))


@case("filter_like_underscore", f"SELECT {ALL_T} FROM t WHERE s LIKE '_a%a'")
def _(ctx):
    return ctx.table("t").filter(col("s").like("_a%a"))


@case("filter_not_like", f"SELECT {ALL_T} FROM t WHERE s NOT LIKE '%a%'")
def _(ctx):
    return ctx.table("t").filter(col("s").like("%a%", negated=True))


@case("filter_ilike", f"SELECT {ALL_T} FROM t WHERE s ILIKE 'A%'")
def _(ctx):
    return ctx.table("t").filter(col("s").ilike("A%"))


@case("filter_float_and_string", f"SELECT {ALL_T} FROM t WHERE f >= 1.5 AND s <> 'apple'")
def _(ctx):
    return ctx.table("t").filter((col("f") >= 1.5) & (col("s") != "apple"))


# ---- scalar expressions ---------------------------------------------------------------------


@case(
    "case_when_otherwise",
    "SELECT id, CASE WHEN a > 2 THEN 'big' WHEN a IS NULL THEN 'none' ELSE 'small' END AS c FROM t",
)
def _(ctx):
    a = col("a")
    return ctx.table("t").select(
        col("id"), when(a > 2, "big").when(a.is_null(), "none").otherwise("small").alias("c")
    )


@case(
    "case_when_no_else",
    "SELECT id, CASE WHEN b > 2 THEN b * 10 END AS c FROM t",
)
def _(ctx):
    return ctx.table("t").select(col("id"), when(col("b") > 2, col("b") * 10).end().alias("c"))


@case(
    "cast_int_to_float_and_string",
    "SELECT id, CAST(a AS DOUBLE) AS af, CAST(a AS VARCHAR) AS a_s FROM t",
)
def _(ctx):
    return ctx.table("t").select(
        col("id"), col("a").cast(pa.float64()).alias("af"), col("a").cast(pa.string()).alias("a_s")
    )


@case(
    "cast_string_to_int",
    "SELECT id, CAST(CAST(a AS VARCHAR) AS BIGINT) + 1 AS x FROM t",
)
def _(ctx):
    return ctx.table("t").select(
        col("id"), (col("a").cast(pa.string()).cast(pa.int64()) + 1).alias("x")
    )


@case(
    "arithmetic_ints",
    "SELECT id, a + b AS p, a - b AS m, a * b AS x, -a AS n, 2 * a + 1 AS y FROM t",
)
def _(ctx):
    a, b = col("a"), col("b")
    return ctx.table("t").select(
        col("id"),
        (a + b).alias("p"),
        (a - b).alias("m"),
        (a * b).alias("x"),
        (-a).alias("n"),
        (2 * a + 1).alias("y"),
    )


@case("integer_division_truncates", "SELECT id, a // b AS q FROM t WHERE b <> 0")
def _(ctx):
    return ctx.table("t").filter(col("b") != 0).select(col("id"), (col("a") / col("b")).alias("q"))


@case("arithmetic_float_with_int_literals", "SELECT id, f * 2 AS x, f / 4 AS y, -f AS z FROM t")
def _(ctx):
    f = col("f")
    return ctx.table("t").select(col("id"), (f * 2).alias("x"), (f / 4).alias("y"), (-f).alias("z"))


@case(
    "arithmetic_mixed_int_and_float_columns",
    "SELECT id, f * 2 + a AS x, a - 0.5 AS y, a + f AS z FROM t",
)
def _(ctx):
    f, a = col("f"), col("a")
    return ctx.table("t").select(
        col("id"), (f * 2 + a).alias("x"), (a - 0.5).alias("y"), (a + f).alias("z")
    )


@case(
    "string_case_and_length",
    "SELECT id, lower(s) AS lo, upper(s) AS up, length(s) AS n FROM t",
)
def _(ctx):
    s = col("s")
    return ctx.table("t").select(
        col("id"), F.lower(s).alias("lo"), F.upper(s).alias("up"), F.length(s).alias("n")
    )


@case(
    "string_substr",
    "SELECT id, substr(s, 2, 3) AS x, substr(s, 3) AS y FROM t",
)
def _(ctx):
    s = col("s")
    return ctx.table("t").select(col("id"), F.substr(s, 2, 3).alias("x"), F.substr(s, 3).alias("y"))


@case(
    "string_trim",
    "SELECT id, trim(s) AS x, ltrim(s) AS y, rtrim(s) AS z FROM t",
)
def _(ctx):
    s = col("s")
    return ctx.table("t").select(
        col("id"), F.trim(s).alias("x"), F.ltrim(s).alias("y"), F.rtrim(s).alias("z")
    )


@case(
    "string_concat_skips_nulls",
    "SELECT id, concat(s, '-', CAST(a AS VARCHAR)) AS x FROM t",
)
def _(ctx):
    return ctx.table("t").select(
        col("id"), F.concat(col("s"), "-", col("a").cast(pa.string())).alias("x")
    )


@case("coalesce", "SELECT id, coalesce(a, b, 0) AS x FROM t")
def _(ctx):
    return ctx.table("t").select(col("id"), F.coalesce(col("a"), col("b"), 0).alias("x"))


@case(
    "with_column_replaces_in_place",
    "SELECT id, a * 10 AS a, b, s, f FROM t",
)
def _(ctx):
    return ctx.table("t").with_column("a", col("a") * 10)


@case(
    "with_column_adds_then_filters_on_it",
    f"SELECT {ALL_T}, upper(s) AS su FROM t WHERE upper(s) LIKE 'A%'",
)
def _(ctx):
    return ctx.table("t").with_column("su", F.upper(col("s"))).filter(col("su").like("A%"))


# ---- joins ----------------------------------------------------------------------------------

JOIN_COLS = "l.k, l.k2, l.lv, r.k AS k_right, r.k2 AS k2_right, r.rv"
OUTER = ["inner", "left", "right", "full"]
SEMI_ANTI = {"semi": "EXISTS", "anti": "NOT EXISTS"}

for _how in OUTER:
    case(
        f"join_single_key_null_and_duplicate_keys_{_how}",
        f"SELECT {JOIN_COLS} FROM l {_how.upper()} JOIN r ON l.k = r.k",
    )(lambda ctx, how=_how: ctx.table("l").join(ctx.table("r"), on="k", how=how))

    case(
        f"join_multi_key_{_how}",
        f"SELECT {JOIN_COLS} FROM l {_how.upper()} JOIN r ON l.k = r.k AND l.k2 = r.k2",
    )(lambda ctx, how=_how: ctx.table("l").join(ctx.table("r"), on=["k", "k2"], how=how))

    case(
        f"join_key_plus_residual_filter_{_how}",
        f"SELECT {JOIN_COLS} FROM l {_how.upper()} JOIN r ON l.k = r.k AND l.lv < r.rv",
    )(
        lambda ctx, how=_how: ctx.table("l").join(
            ctx.table("r"), on="k", how=how, filter=col("lv") < col("rv")
        )
    )

for _how, _exists in SEMI_ANTI.items():
    case(
        f"join_{_how}_null_and_duplicate_keys",
        f"SELECT k, k2, lv FROM l WHERE {_exists} (SELECT 1 FROM r WHERE r.k = l.k)",
    )(lambda ctx, how=_how: ctx.table("l").join(ctx.table("r"), how=how, left_on="k", right_on="k"))

    case(
        f"join_{_how}_multi_key_with_filter",
        f"SELECT k, k2, lv FROM l WHERE {_exists} "
        "(SELECT 1 FROM r WHERE r.k = l.k AND r.k2 = l.k2 AND l.lv < r.rv)",
    )(
        lambda ctx, how=_how: ctx.table("l").join(
            ctx.table("r"), how=how, on=["k", "k2"], filter=col("lv") < col("rv")
        )
    )

for _how in OUTER + list(SEMI_ANTI):
    if _how in SEMI_ANTI:
        _sql = f"SELECT k, k2, lv FROM l WHERE {SEMI_ANTI[_how]} (SELECT 1 FROM r WHERE l.k < r.k)"
    else:
        _sql = f"SELECT {JOIN_COLS} FROM l {_how.upper()} JOIN r ON l.k < r.k"
    case(f"join_without_equality_key_is_nested_loop_{_how}", _sql)(
        lambda ctx, how=_how: ctx.table("l").join(
            ctx.table("r"), how=how, filter=col("k") < col("k_right")
        )
    )

for _how in ["inner", "left", "full"]:
    case(
        f"join_carries_struct_and_list_payload_{_how}",
        f"SELECT l.k, l.k2, l.lv, n.nid, n.st, n.lst FROM l {_how.upper()} JOIN nested n "
        "ON l.k = n.nid",
    )(
        lambda ctx, how=_how: ctx.table("l").join(
            ctx.table("nested"), how=how, left_on="k", right_on="nid"
        )
    )


@case("cross_join", f"SELECT {JOIN_COLS} FROM l CROSS JOIN r")
def _(ctx):
    return ctx.table("l").join(ctx.table("r"))


@case(
    "join_different_key_names_on_computed_input",
    "SELECT x.id, x.ak, x.s, r.k, r.rv FROM (SELECT id, a + 1 AS ak, s FROM t) x "
    "LEFT JOIN r ON x.ak = r.k",
)
def _(ctx):
    left = ctx.table("t").select(col("id"), (col("a") + 1).alias("ak"), col("s"))
    right = ctx.table("r").select(col("k"), col("rv"))
    return left.join(right, how="left", left_on="ak", right_on="k")


@case(
    "self_join_suffixes_every_clashing_column",
    "SELECT a.k, a.k2, a.lv, b.k AS k_right, b.k2 AS k2_right, b.lv AS lv_right "
    "FROM l a JOIN l b ON a.k2 = b.k2 AND a.lv < b.lv",
)
def _(ctx):
    return ctx.table("l").join(
        ctx.table("l"), on="k2", how="inner", filter=col("lv") < col("lv_right")
    )


@case(
    "self_join_nested_loop_suffixes_every_clashing_column",
    "SELECT a.k, a.k2, a.lv, b.k AS k_right, b.k2 AS k2_right, b.lv AS lv_right "
    "FROM l a JOIN l b ON a.lv + 5 > b.lv AND a.k2 <> b.k2",
)
def _(ctx):
    return ctx.table("l").join(
        ctx.table("l"),
        how="inner",
        filter=(col("lv") + 5 > col("lv_right")) & (col("k2") != col("k2_right")),
    )


# ---- aggregates -----------------------------------------------------------------------------


@case(
    "group_by_null_keys_all_aggregates",
    "SELECT a, count(*) AS n, count(b) AS nb, count(DISTINCT b) AS db, sum(b) AS sb, "
    "min(b) AS lo, max(b) AS hi, avg(b) AS mb FROM t GROUP BY a",
)
def _(ctx):
    b = col("b")
    return ctx.table("t").aggregate(
        "a",
        [
            F.count().alias("n"),
            F.count(b).alias("nb"),
            F.count_distinct(b).alias("db"),
            F.sum(b).alias("sb"),
            F.min(b).alias("lo"),
            F.max(b).alias("hi"),
            F.mean(b).alias("mb"),
        ],
    )


@case(
    "group_by_string_with_string_and_float_aggregates",
    "SELECT s, min(s) AS lo, max(s) AS hi, sum(f) AS sf, avg(f) AS mf, count(DISTINCT a) AS da "
    "FROM t GROUP BY s",
)
def _(ctx):
    s, f = col("s"), col("f")
    return ctx.table("t").aggregate(
        "s",
        [
            F.min(s).alias("lo"),
            F.max(s).alias("hi"),
            F.sum(f).alias("sf"),
            F.mean(f).alias("mf"),
            F.count_distinct(col("a")).alias("da"),
        ],
    )


@case(
    "group_by_two_keys",
    "SELECT a, b > 1 AS bb, count(*) AS n, sum(id) AS si FROM t GROUP BY a, b > 1",
)
def _(ctx):
    return ctx.table("t").aggregate(
        [col("a"), (col("b") > 1).alias("bb")], [F.count().alias("n"), F.sum(col("id")).alias("si")]
    )


@case(
    "group_by_expression",
    "SELECT lower(s) AS ls, count(*) AS n, max(id) AS mi FROM t GROUP BY lower(s)",
)
def _(ctx):
    return ctx.table("t").aggregate(
        [F.lower(col("s")).alias("ls")], [F.count().alias("n"), F.max(col("id")).alias("mi")]
    )


@case(
    "aggregate_over_expression",
    "SELECT a, sum(b * 2 + 1) AS x, count(CASE WHEN f > 1 THEN 1 END) AS y FROM t GROUP BY a",
)
def _(ctx):
    return ctx.table("t").aggregate(
        "a",
        [
            F.sum(col("b") * 2 + 1).alias("x"),
            F.count(when(col("f") > 1, 1).otherwise(None)).alias("y"),
        ],
    )


@case(
    "global_aggregates",
    "SELECT count(*) AS n, count(a) AS na, sum(a) AS sa, min(s) AS lo, max(f) AS hi, "
    "avg(a) AS ma, count(DISTINCT s) AS ds FROM t",
)
def _(ctx):
    return ctx.table("t").aggregate(
        None,
        [
            F.count().alias("n"),
            F.count(col("a")).alias("na"),
            F.sum(col("a")).alias("sa"),
            F.min(col("s")).alias("lo"),
            F.max(col("f")).alias("hi"),
            F.mean(col("a")).alias("ma"),
            F.count_distinct(col("s")).alias("ds"),
        ],
    )


@case(
    "global_aggregates_on_empty_input",
    "SELECT count(*) AS n, count(a) AS na, sum(a) AS sa, min(a) AS lo, max(s) AS hi, "
    "avg(f) AS mf FROM empty",
)
def _(ctx):
    return ctx.table("empty").aggregate(
        [],
        [
            F.count().alias("n"),
            F.count(col("a")).alias("na"),
            F.sum(col("a")).alias("sa"),
            F.min(col("a")).alias("lo"),
            F.max(col("s")).alias("hi"),
            F.mean(col("f")).alias("mf"),
        ],
    )


@case(
    "global_aggregates_after_filter_removes_all_rows",
    "SELECT count(*) AS n, sum(b) AS sb FROM t WHERE a > 100",
)
def _(ctx):
    return (
        ctx.table("t")
        .filter(col("a") > 100)
        .aggregate([], [F.count().alias("n"), F.sum(col("b")).alias("sb")])
    )


@case(
    "group_by_on_empty_input_has_no_groups",
    "SELECT a, count(*) AS n FROM empty GROUP BY a",
)
def _(ctx):
    return ctx.table("empty").aggregate("a", [F.count().alias("n")])


@case(
    "group_by_all_null_column",
    "SELECT a, sum(b) AS sb, min(b) AS lo FROM t WHERE a IS NULL GROUP BY a",
)
def _(ctx):
    return (
        ctx.table("t")
        .filter(col("a").is_null())
        .aggregate("a", [F.sum(col("b")).alias("sb"), F.min(col("b")).alias("lo")])
    )


# ---- sort, limit, set operations -------------------------------------------------------------


@case(
    "sort_asc_nulls_last_ties_by_id", f"SELECT {ALL_T} FROM t ORDER BY a ASC NULLS LAST, id", True
)
def _(ctx):
    return ctx.table("t").sort(col("a").sort(), col("id").sort())


@case(
    "sort_desc_nulls_first_multi_key",
    f"SELECT {ALL_T} FROM t ORDER BY a DESC NULLS FIRST, s ASC NULLS LAST, id DESC",
    True,
)
def _(ctx):
    return ctx.table("t").sort(
        col("a").sort(ascending=False, nulls_first=True),
        col("s").sort(),
        col("id").sort(ascending=False),
    )


@case(
    "sort_strings_nulls_first",
    f"SELECT {ALL_T} FROM t ORDER BY s ASC NULLS FIRST, id",
    True,
)
def _(ctx):
    return ctx.table("t").sort(col("s").sort(nulls_first=True), "id")


@case(
    "sort_float_desc_nulls_last",
    f"SELECT {ALL_T} FROM t ORDER BY f DESC NULLS LAST, id",
    True,
)
def _(ctx):
    return ctx.table("t").sort(col("f").sort(ascending=False), "id")


@case(
    "sort_by_expression",
    f"SELECT {ALL_T} FROM t ORDER BY a + b ASC NULLS FIRST, id DESC",
    True,
)
def _(ctx):
    return ctx.table("t").sort(
        (col("a") + col("b")).sort(nulls_first=True), col("id").sort(ascending=False)
    )


@case(
    "sort_then_limit",
    f"SELECT {ALL_T} FROM t ORDER BY b DESC NULLS LAST, id LIMIT 5",
    True,
)
def _(ctx):
    return ctx.table("t").sort(col("b").sort(ascending=False), "id").limit(5)


@case(
    "sort_then_limit_offset",
    f"SELECT {ALL_T} FROM t ORDER BY a ASC NULLS FIRST, id LIMIT 4 OFFSET 3",
    True,
)
def _(ctx):
    return ctx.table("t").sort(col("a").sort(nulls_first=True), "id").limit(4, offset=3)


@case(
    "limit_offset_past_the_end",
    f"SELECT {ALL_T} FROM t ORDER BY id LIMIT 10 OFFSET 12",
    True,
)
def _(ctx):
    return ctx.table("t").sort("id").limit(10, offset=12)


@case(
    "union_all",
    "SELECT a, s FROM t UNION ALL SELECT k AS a, k2 AS s FROM l",
)
def _(ctx):
    left = ctx.table("t").select("a", "s")
    right = ctx.table("l").select(col("k").alias("a"), col("k2").alias("s"))
    return left.union(right)


@case(
    "union_distinct_merges_nulls",
    "SELECT a, s FROM t UNION SELECT k AS a, k2 AS s FROM l",
)
def _(ctx):
    left = ctx.table("t").select("a", "s")
    right = ctx.table("l").select(col("k").alias("a"), col("k2").alias("s"))
    return left.union(right, distinct=True)


@case("distinct_with_nulls", "SELECT DISTINCT a, b > 1 AS bb FROM t")
def _(ctx):
    return ctx.table("t").select(col("a"), (col("b") > 1).alias("bb")).distinct()


@case("distinct_strings", "SELECT DISTINCT k2 FROM l UNION ALL SELECT DISTINCT k2 FROM r")
def _(ctx):
    return ctx.table("l").select("k2").distinct().union(ctx.table("r").select("k2").distinct())


# ---- pipelines ------------------------------------------------------------------------------


@case(
    "chain_select_filter_join_aggregate_sort_limit",
    """
    SELECT x.k2, count(*) AS n, sum(r.rv) AS total, max(x.w) AS wmax
    FROM (SELECT k, k2, lv * 2 AS w FROM l WHERE lv <> 30) x
    JOIN r ON x.k = r.k
    GROUP BY x.k2
    ORDER BY total DESC NULLS LAST, k2 ASC NULLS FIRST
    LIMIT 3
    """,
    True,
)
def _(ctx):
    x = ctx.table("l").select("k", "k2", (col("lv") * 2).alias("w")).filter(col("w") != 60)
    joined = x.join(ctx.table("r").select("k", "rv"), on="k")
    return (
        joined.aggregate(
            "k2",
            [F.count().alias("n"), F.sum(col("rv")).alias("total"), F.max(col("w")).alias("wmax")],
        )
        .sort(col("total").sort(ascending=False), col("k2").sort(nulls_first=True))
        .limit(3)
    )


@case(
    "aggregate_of_full_join_counts_unmatched_sides",
    """
    SELECT l.k IS NULL AS lnull, r.k IS NULL AS rnull, count(*) AS n, count(l.lv) AS nl,
           count(r.rv) AS nr
    FROM l FULL JOIN r ON l.k = r.k
    GROUP BY l.k IS NULL, r.k IS NULL
    """,
)
def _(ctx):
    joined = ctx.table("l").join(ctx.table("r"), on="k", how="full")
    return joined.aggregate(
        [col("k").is_null().alias("lnull"), col("k_right").is_null().alias("rnull")],
        [F.count().alias("n"), F.count(col("lv")).alias("nl"), F.count(col("rv")).alias("nr")],
    )


@case(
    "filter_on_aggregate_output",
    "SELECT a, count(*) AS n FROM t GROUP BY a HAVING count(*) > 1",
)
def _(ctx):
    return ctx.table("t").aggregate("a", [F.count().alias("n")]).filter(col("n") > 1)


@pytest.mark.parametrize("case_id, sql, ordered", CASES)
def test_query_matches_duckdb(ctx, con, case_id, sql, ordered):
    assert_same_result(BUILDERS[case_id](ctx).to_arrow(), con, sql, ordered)
