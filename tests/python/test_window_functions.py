"""The bundle's window functions (shared/CONTRACTS.md §5): row_number, lag and lead with their
aliases in SQL, natively and through the first-party plugin, on random partitions with nulls and
ties broken by id: the same rows both ways, and the rows DuckDB gives."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from codeanatomy import SessionContext
from codeanatomy.plugins import load_plugin, plugin_exports, plugin_library_path

OVERS = [
    "PARTITION BY g ORDER BY o NULLS LAST, id",
    "PARTITION BY g ORDER BY o DESC NULLS FIRST, id DESC",
    "ORDER BY v NULLS LAST, id",
    "PARTITION BY g, o ORDER BY id",
]
CALLS = [
    "row_number()",
    "lag(v)",
    "lead(v)",
    "lag(v, 2)",
    "lead(v, 3)",
    "lag(v, 2, -1)",
    "lead(v, 1, 0)",
    "lag(s, 1, 'none')",
    "lead(s, 2)",
]


def _table(seed: int, n: int) -> pa.Table:
    rng = random.Random(seed)

    def maybe(v, p):
        return None if rng.random() < p else v

    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "g": pa.array([maybe(rng.randint(0, 4), 0.1) for _ in range(n)], pa.int64()),
        "o": pa.array([maybe(rng.randint(0, 6), 0.1) for _ in range(n)], pa.int64()),
        "v": pa.array([maybe(rng.randint(-50, 50), 0.25) for _ in range(n)], pa.int64()),
        "s": pa.array([maybe(f"s{rng.randint(0, 9)}", 0.2) for _ in range(n)], pa.string()),
    })


def _query(calls: list[str], over: str) -> str:
    cols = ", ".join(f"{c} OVER ({over}) AS c{i}" for i, c in enumerate(calls))
    return f"SELECT id, {cols} FROM t ORDER BY id"


def _sessions(table: pa.Table) -> tuple[SessionContext, SessionContext]:
    native, via_plugin = SessionContext(), SessionContext()
    native.install_codeanatomy_udfs()
    names = via_plugin.register_plugin(load_plugin(plugin_library_path()))
    assert {"row_number", "lag", "lead"} <= set(names)
    for ctx in (native, via_plugin):
        ctx.register_arrow("t", table)
    return native, via_plugin


def test_the_plugin_exports_the_window_functions():
    plugin = load_plugin(plugin_library_path())
    assert plugin_exports(plugin)["window_functions"] == ["lag", "lead", "row_number"]
    ctx = SessionContext()
    names = ctx.register_plugin_udfs(plugin)
    assert [n for n in names if n in {"lag", "lead", "row_number"}] == ["lag", "lead",
                                                                        "row_number"]


def test_aliases_work_in_sql():
    ctx = SessionContext()
    ctx.install_codeanatomy_udfs()
    ctx.register_arrow("t", _table(1, 200))
    over = "PARTITION BY g ORDER BY o NULLS LAST, id"
    aliased = ctx.sql(_query(["row_number_window()", "dedupe_best_by_score()",
                              "lag_window(v, 2, 0)", "LEAD_WINDOW(s)"], over)).to_arrow()
    canonical = ctx.sql(_query(["row_number()", "row_number()", "lag(v, 2, 0)", "lead(s)"],
                               over)).to_arrow()
    assert aliased.to_pylist() == canonical.to_pylist()
    # dedupe_best_by_score: rank 1 of each group by score.
    best = ctx.sql("SELECT g, id FROM (SELECT g, id, dedupe_best_by_score() OVER "
                   "(PARTITION BY g ORDER BY v DESC NULLS LAST, id) AS r FROM t) x "
                   "WHERE r = 1 ORDER BY g NULLS LAST").to_arrow().to_pylist()
    assert len(best) == len({r["g"] for r in _table(1, 200).to_pylist()})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_native_and_plugin_give_the_same_rows(seed: int):
    table = _table(seed, 500 if seed < 3 else 20000)
    native, via_plugin = _sessions(table)
    calls = CALLS + ["lag(v, -1)", "lead(v, -2, 7)", "lag(v, 0)", "lag_window(v, 3)",
                     "lead_window(s, 1, 'x')", "row_number_window()", "dedupe_best_by_score()"]
    for over in OVERS:
        q = _query(calls, over)
        got, want = via_plugin.sql(q).to_arrow(), native.sql(q).to_arrow()
        assert got.schema == want.schema, over
        assert got.to_pylist() == want.to_pylist(), over


@pytest.mark.parametrize("seed", [4, 5])
def test_native_and_plugin_equal_duckdb(seed: int):
    duckdb = pytest.importorskip("duckdb")
    table = _table(seed, 700)
    native, via_plugin = _sessions(table)
    con = duckdb.connect()
    con.register("t", table)
    for over in OVERS:
        q = _query(CALLS, over)
        cursor = con.execute(q)
        names = [d[0] for d in cursor.description]
        want = [dict(zip(names, row)) for row in cursor.fetchall()]
        assert native.sql(q).to_arrow().to_pylist() == want, over
        assert via_plugin.sql(q).to_arrow().to_pylist() == want, over
