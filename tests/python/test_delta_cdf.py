"""Change data feed: codeanatomy's load_cdf equals delta-rs's (the oracle) on tables with
change data files (deletes, updates) and without (appends, overwrites); range errors are typed."""

from __future__ import annotations

import deltalake
import pyarrow as pa
import pytest

from codeanatomy.delta import DeltaTable, write_delta
from codeanatomy.errors import EngineExecutionError

COLS = ["id", "v", "_change_type", "_commit_version"]


def _changes(table: pa.Table) -> list[tuple]:
    return sorted(tuple(r.values()) for r in table.select(COLS).to_pylist())


@pytest.fixture()
def cdf_table(tmp_path) -> str:
    path = str(tmp_path / "t")
    deltalake.write_deltalake(
        path,
        pa.table({"id": pa.array([1, 2, 3], pa.int64()), "v": ["a", "b", "c"]}),
        configuration={"delta.enableChangeDataFeed": "true"},
    )
    deltalake.write_deltalake(path, pa.table({"id": pa.array([4], pa.int64()), "v": ["d"]}),
                              mode="append")
    deltalake.DeltaTable(path).delete("id = 2")
    deltalake.DeltaTable(path).update(predicate="id = 3", updates={"v": "'z'"})
    return path


def test_change_feed_equals_delta_rs(cdf_table):
    ours = DeltaTable(cdf_table).load_cdf(starting_version=0)
    theirs = pa.table(deltalake.DeltaTable(cdf_table).load_cdf(starting_version=0))
    assert _changes(ours) == _changes(theirs)
    assert set(ours["_change_type"].to_pylist()) == {
        "insert", "delete", "update_preimage", "update_postimage"}
    window = DeltaTable(cdf_table).load_cdf(starting_version=2, ending_version=3)
    assert {r[3] for r in _changes(window)} == {2, 3}


def test_change_feed_from_adds_and_removes(tmp_path):
    path = str(tmp_path / "t")
    write_delta(path, pa.table({"id": pa.array([1], pa.int64()), "v": ["a"]}))
    write_delta(path, pa.table({"id": pa.array([2], pa.int64()), "v": ["b"]}), mode="append")
    write_delta(path, pa.table({"id": pa.array([3], pa.int64()), "v": ["c"]}), mode="overwrite")
    got = _changes(DeltaTable(path).load_cdf(starting_version=1))
    assert got == [(1, "a", "delete", 2), (2, "b", "delete", 2), (2, "b", "insert", 1),
                   (3, "c", "insert", 2)]


def test_change_feed_ranges(cdf_table):
    table = DeltaTable(cdf_table)
    with pytest.raises(EngineExecutionError) as info:
        table.load_cdf(starting_version=9)
    assert (info.value.stage, info.value.code) == ("delta", "CHANGE_RANGE_OUT_OF_BOUNDS")
    assert table.load_cdf(starting_version=9, allow_out_of_range=True).num_rows == 0
    with pytest.raises(EngineExecutionError) as info:
        table.load_cdf(starting_version=3, ending_version=1)
    assert info.value.code == "INVALID_CHANGE_RANGE"
    with pytest.raises(ValueError):
        table.load_cdf(starting_version=0, starting_timestamp="2020-01-01T00:00:00Z")
