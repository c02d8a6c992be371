"""Substrait export, replay and lineage from Python.

Each query is run three ways: as planned, replayed from its exported Substrait plan, and by
DuckDB over the same Arrow tables; the three must agree. Lineage from the DataFrame and from
its plan must be equal. pyarrow's own Substrait consumer runs exported read/filter/project
plans; where it refuses a relation or function, the test pins Arrow's reason.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

duckdb = pytest.importorskip("duckdb")
ca = pytest.importorskip("codeanatomy")

import pyarrow.substrait as pa_substrait  # noqa: E402
from duckdb_compare import assert_same_result  # noqa: E402

from codeanatomy import substrait  # noqa: E402
from codeanatomy.errors import EngineExecutionError  # noqa: E402

T = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
        "g": pa.array(["a", "b", "a", "c", "b", None]),
        "x": pa.array([1.5, 2.0, None, 4.25, -1.0, 0.5]),
        "n": pa.array([10, 20, 30, None, 50, 60], pa.int32()),
    }
)
U = pa.table(
    {
        "id": pa.array([2, 3, 3, 7, None], pa.int64()),
        "w": pa.array(["x", "Y", "z", "q", "n"]),
        "y": pa.array([1.0, 9.0, -2.0, 0.0, 5.0]),
    }
)
TABLES = {"t": T, "u": U}


@pytest.fixture
def ctx():
    c = ca.SessionContext()
    for name, table in TABLES.items():
        c.register_arrow(name, table)
    return c


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    for name, table in TABLES.items():
        c.register(name, table)
    yield c
    c.close()


# (SQL, whether the result is ordered)
QUERIES = [
    ("SELECT id, x * 2 AS x2, g FROM t WHERE id > 1 AND n < 60", False),
    ("SELECT * FROM t", False),
    (
        "SELECT id, CASE WHEN x > 1 THEN 'big' ELSE 'small' END AS c, lower(g) AS l, "
        "upper(g) || '!' AS e FROM t WHERE g IN ('a', 'b') OR id NOT IN (1, 2, 3)",
        False,
    ),
    ("SELECT id FROM t WHERE g LIKE 'a%' OR g ILIKE 'B'", False),
    (
        "SELECT g, sum(x) AS s, count(*) AS c, count(n) AS cn, min(id) AS lo, max(id) AS hi "
        "FROM t GROUP BY g",
        False,
    ),
    ("SELECT count(*) AS c, max(x) AS m FROM t", False),
    ("SELECT DISTINCT g FROM t", False),
    ("SELECT t.id, g, w FROM t JOIN u ON t.id = u.id", False),
    ("SELECT t.id, w FROM t LEFT JOIN u ON t.id = u.id AND u.y > 0", False),
    ("SELECT t.id, w FROM t RIGHT JOIN u ON t.id = u.id", False),
    ("SELECT t.id, u.id AS uid FROM t FULL JOIN u ON t.id = u.id", False),
    ("SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)", False),
    ("SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.id = t.id)", False),
    ("SELECT id, x FROM t ORDER BY x DESC NULLS FIRST, id LIMIT 3 OFFSET 1", True),
    ("SELECT id FROM t UNION ALL SELECT id FROM u", False),
    ("SELECT id FROM t UNION SELECT id FROM u", False),
    (
        "SELECT id, row_number() OVER (PARTITION BY g ORDER BY id) AS rn, "
        "sum(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s "
        "FROM t",
        False,
    ),
]


@pytest.mark.parametrize("sql,ordered", QUERIES, ids=[q for q, _ in QUERIES])
def test_replay_matches_original_and_duckdb(ctx, con, sql, ordered):
    df = ctx.sql(sql)
    plan = substrait.to_substrait(df)
    assert isinstance(plan, bytes) and plan
    replayed = substrait.replay_substrait_plan(ctx, plan)
    original = df.to_arrow()
    again = replayed.to_arrow()
    assert again.schema == original.schema
    if ordered:
        assert again.to_pylist() == original.to_pylist()
    assert_same_result(again, con, sql, ordered)
    assert_same_result(original, con, sql, ordered)
    # The lineage of the plan is the lineage of the DataFrame.
    assert substrait.lineage_from_substrait(plan) == substrait.lineage(df)


def test_export_is_deterministic(ctx):
    df = ctx.sql("SELECT g, sum(x) AS s FROM t WHERE id > 1 GROUP BY g")
    assert substrait.to_substrait(df) == substrait.to_substrait(df)
    assert substrait.replay_substrait_plan(ctx, bytearray(substrait.to_substrait(df))).schema() == (
        df.schema()
    )


def test_lineage_worked_by_hand(ctx):
    df = ctx.sql(
        "SELECT u.w, count(*) AS c, sum(t.x) AS s FROM t JOIN u ON t.id = u.id "
        "WHERE u.y > 0 AND t.g = 'a' GROUP BY u.w"
    )
    assert substrait.lineage(df) == {
        "version": 1,
        "scans": [
            {
                "table_name": "t",
                "projected_columns": ["id", "g", "x"],
                "pushed_filters": ["(g = 'a')"],
            },
            {"table_name": "u", "projected_columns": ["id", "w", "y"], "pushed_filters": ["(y > 0)"]},
        ],
        "required_columns": {"t": ["g", "id", "x"], "u": ["id", "w", "y"]},
        "referenced_tables": ["t", "u"],
        "referenced_functions": ["count_all", "equal", "greater", "sum"],
    }
    assert substrait.lineage_from_substrait(substrait.to_substrait(df)) == substrait.lineage(df)


def test_udfs_replay_where_installed(ctx):
    ctx.install_codeanatomy_udfs()
    df = ctx.sql("SELECT id, stable_hash64(g) AS h FROM t WHERE g IS NOT NULL")
    plan = substrait.to_substrait(df)
    assert b"urn:codeanatomy:functions" in plan
    replayed = substrait.replay_substrait_plan(ctx, plan)
    assert replayed.to_arrow().sort_by("id") == df.to_arrow().sort_by("id")
    assert "stable_hash64" in substrait.lineage_from_substrait(plan)["referenced_functions"]
    bare = ca.SessionContext()
    bare.register_arrow("t", T)
    with pytest.raises(EngineExecutionError) as err:
        substrait.replay_substrait_plan(bare, plan)
    assert (err.value.stage, err.value.code) == ("substrait", "SUBSTRAIT_UNKNOWN_FUNCTION")
    assert err.value.details["function"] == "stable_hash64"


def test_bad_bytes_and_unknown_tables_are_typed_errors(ctx):
    for data in [b"\xff\xff\xff\xff garbage", b"", b"\x0a\x05hello"]:
        with pytest.raises(EngineExecutionError) as err:
            substrait.replay_substrait_plan(ctx, data)
        assert (err.value.stage, err.value.code) == ("substrait", "SUBSTRAIT_INVALID_PLAN")
        with pytest.raises(EngineExecutionError) as err:
            substrait.lineage_from_substrait(data)
        assert err.value.stage == "substrait"
    plan = substrait.to_substrait(ctx.sql("SELECT w FROM u"))
    other = ca.SessionContext()
    with pytest.raises(EngineExecutionError) as err:
        substrait.replay_substrait_plan(other, plan)
    assert err.value.code == "SUBSTRAIT_UNKNOWN_TABLE"
    assert err.value.details == {"table": "u"}
    other.register_arrow("u", T)
    with pytest.raises(EngineExecutionError) as err:
        substrait.replay_substrait_plan(other, plan)
    assert err.value.code == "SUBSTRAIT_SCHEMA_MISMATCH"


def _run_with_arrow(plan: bytes) -> pa.Table:
    def provider(names, schema):
        return TABLES[names[0]]

    return pa_substrait.run_query(pa.py_buffer(plan), table_provider=provider).read_all()


def _rows(table: pa.Table) -> list:
    return sorted(table.to_pylist(), key=repr)


def test_pyarrow_consumer_runs_read_filter_project(ctx):
    for sql in [
        "SELECT id, n + 1 AS n1 FROM t WHERE id > 2",
        "SELECT g, x FROM t WHERE x IS NOT NULL AND id <> 5",
        "SELECT id * 10 AS id10 FROM t",
    ]:
        df = ctx.sql(sql)
        result = _run_with_arrow(substrait.to_substrait(df))
        assert result.column_names == df.schema().names
        assert _rows(result) == _rows(df.to_arrow())


@pytest.mark.parametrize(
    "sql,reason",
    [
        # Arrow's consumer knows no LIKE function and no codeanatomy functions.
        ("SELECT id FROM t WHERE g LIKE 'a%'", "functions_string.yaml#like"),
        ("SELECT g, count(*) AS c FROM t GROUP BY g", None),
        ("SELECT id FROM t ORDER BY id LIMIT 2", None),
        ("SELECT id FROM t UNION ALL SELECT id FROM u", None),
        ("SELECT DISTINCT g FROM t", None),
        ("SELECT t.id, w FROM t JOIN u ON t.id = u.id", None),
        # One equality key and nothing else is all Arrow's join conversion accepts.
        (
            "SELECT t.id, w FROM t LEFT JOIN u ON t.id = u.id AND u.y > 0",
            "Only `equal` or `is_not_distinct_from` are supported for join key comparison",
        ),
        # Acero has no window operator, and Arrow's consumer no window relation.
        (
            "SELECT id, row_number() OVER (ORDER BY id) AS r FROM t",
            "conversion to arrow::acero::Declaration from Substrait relation",
        ),
    ],
)
def test_pyarrow_consumer_beyond_read_filter_project(ctx, sql, reason):
    df = ctx.sql(sql)
    plan = substrait.to_substrait(df)
    if reason is None:
        assert _rows(_run_with_arrow(plan)) == _rows(df.to_arrow())
    else:
        with pytest.raises((pa.ArrowNotImplementedError, pa.ArrowInvalid)) as err:
            _run_with_arrow(plan)
        assert reason in str(err.value)
