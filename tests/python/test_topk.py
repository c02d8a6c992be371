"""ORDER BY ... LIMIT runs as a streaming top-k; results equal DuckDB's for every direction
and null placement, with ties broken by a second key and an offset."""

import duckdb
import numpy as np
import pyarrow as pa
import pytest

import codeanatomy as ca
from codeanatomy import col


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 300_000  # several flushes of the candidate buffer
    v = rng.integers(0, 40, n).astype(float)
    v[rng.random(n) < 0.1] = np.nan
    return pa.table({"id": np.arange(n), "v": pa.array(v, from_pandas=True)})


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("nulls_first", [True, False])
@pytest.mark.parametrize("limit, offset", [(1, 0), (300, 17), (50_000, 1000)])
def test_top_k_equals_duckdb(data, ascending, nulls_first, limit, offset):
    ctx = ca.SessionContext()
    ctx.register_arrow("t", data)
    ours = (
        ctx.table("t")
        .sort(col("v").sort(ascending=ascending, nulls_first=nulls_first), "id")
        .limit(limit, offset=offset)
        .to_arrow()
    )
    direction = "ASC" if ascending else "DESC"
    nulls = "FIRST" if nulls_first else "LAST"
    con = duckdb.connect()
    con.register("t", data)
    ref = con.sql(
        f"SELECT id, v FROM t ORDER BY v {direction} NULLS {nulls}, id "
        f"LIMIT {limit} OFFSET {offset}"
    ).to_arrow_table()
    assert ours.column("id").to_pylist() == ref.column("id").to_pylist()
    assert ours.column("v").to_pylist() == ref.column("v").to_pylist()


def test_top_k_is_planned_without_a_full_sort(data):
    ctx = ca.SessionContext()
    ctx.register_arrow("t", data)
    plan = ctx.table("t").sort(col("v").sort(ascending=False)).limit(10).explain()
    physical = plan.split("== Physical Plan (Acero) ==")[1]
    assert "top_k" in physical and "OrderBy" not in physical
