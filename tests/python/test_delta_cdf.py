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


def _mutate(path: str, engine: str) -> None:
    """The same mutations through us or delta-rs on a partitioned table with the feed on."""
    data = pa.table({"id": pa.array([1, 2, 3, 4, 5], pa.int64()), "v": ["a", "b", "c", "d", "e"],
                     "p": ["x", "x", "y", "y", None]})
    config = {"delta.enableChangeDataFeed": "true"}
    if engine == "ours":
        write_delta(path, data, partition_by=["p"], configuration=config)
        DeltaTable(path).delete("id = 2")
        DeltaTable(path).update({"v": "v || '!'"}, "id >= 3")
        replacement = pa.table({"id": pa.array([9], pa.int64()), "v": ["n"], "p": ["y"]})
        write_delta(path, replacement, mode="overwrite", predicate="p = 'y'")
        DeltaTable(path).delete("p IS NULL")
    else:
        deltalake.write_deltalake(path, data, partition_by=["p"], configuration=config)
        deltalake.DeltaTable(path).delete("id = 2")
        deltalake.DeltaTable(path).update(predicate="id >= 3", updates={"v": "concat(v, '!')"})
        replacement = pa.table({"id": pa.array([9], pa.int64()), "v": ["n"], "p": ["y"]})
        deltalake.write_deltalake(path, replacement, mode="overwrite", predicate="p = 'y'")
        deltalake.DeltaTable(path).delete("p IS NULL")


def _feed(table: pa.Table) -> list[tuple]:
    cols = ["id", "v", "p", "_change_type", "_commit_version"]
    return sorted(tuple(r.values()) for r in table.select(cols).to_pylist())


def test_our_deletes_and_updates_write_change_files_delta_rs_reads(tmp_path):
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    _mutate(ours, "ours")
    _mutate(theirs, "theirs")
    # The protocol asks writers of change files for writer version 4.
    assert deltalake.DeltaTable(ours).protocol().min_writer_version == 4
    expected = _feed(pa.table(deltalake.DeltaTable(theirs).load_cdf(starting_version=0)))
    assert _feed(pa.table(deltalake.DeltaTable(ours).load_cdf(starting_version=0))) == expected
    assert _feed(DeltaTable(ours).load_cdf(starting_version=0)) == expected
    # Versions 1..4 carry cdc actions with files under _change_data/, and no data change.
    import json
    import os

    for version in range(1, 5):
        log = os.path.join(ours, "_delta_log", f"{version:020d}.json")
        cdc = [json.loads(line)["cdc"] for line in open(log) if '"cdc"' in line]
        assert cdc and all(c["path"].startswith("_change_data/") and c["dataChange"] is False
                           for c in cdc)
        for c in cdc:
            assert os.path.getsize(os.path.join(ours, c["path"])) == c["size"]
    assert _rows_of(DeltaTable(ours).to_arrow()) == _rows_of(
        deltalake.DeltaTable(theirs).to_pyarrow_table())


def _rows_of(table: pa.Table) -> list[tuple]:
    return sorted(tuple(r.values()) for r in table.select(["id", "v", "p"]).to_pylist())
