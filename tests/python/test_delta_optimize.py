"""OPTIMIZE compact (``DeltaTable.optimize_compact``) against delta-rs as the oracle.

delta-rs reads the tables we compact (same rows, our OPTIMIZE commit in its history), its own
``optimize.compact()`` on an identical table gives the same plan (files added/removed,
partitions, skipped files) and the same rows, and we read what delta-rs compacted. DuckDB's delta
reader (delta-kernel-rs), when its extension is available, reads our compacted table too.
"""

from __future__ import annotations

import json
from pathlib import Path

import delta_golden as dg
import deltalake
import pyarrow as pa
import pytest

from codeanatomy.delta import DeltaTable, write_delta
from codeanatomy.errors import EngineExecutionError

PLAN_METRICS = ["numFilesAdded", "numFilesRemoved", "partitionsOptimized",
                "totalConsideredFiles", "totalFilesSkipped", "numBatches"]


def _batch(i: int) -> pa.Table:
    ids = [3 * i, 3 * i + 1, 3 * i + 2]
    return pa.table({"id": pa.array(ids, pa.int64()), "name": [f"n{v}" for v in ids],
                     "p": ["a", "b", "a"]})


def _small_appends(path: Path, n: int = 8, partition_by: list[str] | None = None) -> None:
    for i in range(n):
        write_delta(str(path), _batch(i), mode="append", partition_by=partition_by)


def _rows(table: pa.Table) -> list[tuple]:
    cols = sorted(table.column_names)
    return sorted(tuple(r[c] for c in cols) for r in table.to_pylist())


def _active_files(path: Path) -> int:
    return len(deltalake.DeltaTable(str(path)).file_uris())


def test_compact_many_small_appends_read_by_delta_rs(tmp_path):
    path = tmp_path / "t"
    _small_appends(path)
    before = _rows(deltalake.DeltaTable(str(path)).to_pyarrow_table())
    assert _active_files(path) == 8
    metrics = DeltaTable(str(path)).optimize_compact()
    assert metrics["version"] == 8 and metrics["read_version"] == 7 and metrics["committed"]
    assert metrics["numFilesAdded"] == 1 and metrics["numFilesRemoved"] == 8
    assert json.loads(metrics["filesRemoved"])["totalFiles"] == 8
    assert json.loads(metrics["filesAdded"])["totalSize"] == metrics["bytes_added"]
    assert metrics["num_rows"] == 24 and metrics["preserveInsertionOrder"] is True

    theirs = deltalake.DeltaTable(str(path))
    assert theirs.version() == 8
    assert _rows(theirs.to_pyarrow_table()) == before
    assert len(theirs.file_uris()) == 1
    last = theirs.history(1)[0]
    assert last["operation"] == "OPTIMIZE"
    assert last["operationParameters"] == {"targetSize": "104857600", "predicate": "[]"}
    assert last["operationMetrics"]["numFilesRemoved"] == 8
    assert last["readVersion"] == 7
    log = (path / "_delta_log" / f"{8:020d}.json").read_text().splitlines()
    actions = [json.loads(line) for line in log]
    changes = [a.get("add") or a.get("remove") for a in actions if "add" in a or "remove" in a]
    assert len(changes) == 9 and all(c["dataChange"] is False for c in changes)
    # We read it back the same, and a second compaction has nothing to do.
    assert _rows(DeltaTable(str(path)).to_arrow()) == before
    again = DeltaTable(str(path)).optimize_compact()
    assert not again["committed"] and again["version"] == 8
    assert again["numFilesAdded"] == 0 and again["totalFilesSkipped"] == 1


@pytest.mark.parametrize("partitioned", [False, True])
def test_same_plan_and_rows_as_delta_rs_compact(tmp_path, partitioned):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    partition_by = ["p"] if partitioned else None
    _small_appends(ours, partition_by=partition_by)
    _small_appends(theirs, partition_by=partition_by)
    got = DeltaTable(str(ours)).optimize_compact()
    want = deltalake.DeltaTable(str(theirs)).optimize.compact()
    assert {k: got[k] for k in PLAN_METRICS} == {k: want[k] for k in PLAN_METRICS}
    assert json.loads(got["filesRemoved"]) == json.loads(want["filesRemoved"])
    assert json.loads(got["filesAdded"])["totalFiles"] == json.loads(want["filesAdded"])[
        "totalFiles"]
    assert _active_files(ours) == _active_files(theirs) == (2 if partitioned else 1)
    assert _rows(deltalake.DeltaTable(str(ours)).to_pyarrow_table()) == _rows(
        deltalake.DeltaTable(str(theirs)).to_pyarrow_table())


def test_partition_filters_and_target_size_like_delta_rs(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _small_appends(ours, partition_by=["p"])
    _small_appends(theirs, partition_by=["p"])
    got = DeltaTable(str(ours)).optimize_compact(partition_filters=[("p", "=", "a")])
    want = deltalake.DeltaTable(str(theirs)).optimize.compact(partition_filters=[("p", "=", "a")])
    assert {k: got[k] for k in PLAN_METRICS} == {k: want[k] for k in PLAN_METRICS}
    assert got["numFilesRemoved"] == 8 and got["partitionsOptimized"] == 1
    ours_history = deltalake.DeltaTable(str(ours)).history(1)[0]["operationParameters"]
    theirs_history = deltalake.DeltaTable(str(theirs)).history(1)[0]["operationParameters"]
    assert ours_history == theirs_history == {"targetSize": "104857600",
                                             "predicate": "[\"p = 'a'\"]"}
    # A target of about three files: several bins per partition, the same plan as delta-rs.
    size = max(deltalake.DeltaTable(str(ours)).get_add_actions(flatten=True)
               .column("size_bytes").to_pylist())
    got = DeltaTable(str(ours)).optimize_compact(target_size=3 * size)
    want = deltalake.DeltaTable(str(theirs)).optimize.compact(target_size=3 * size)
    for key in ["numFilesRemoved", "totalConsideredFiles", "totalFilesSkipped"]:
        assert got[key] == want[key], key
    assert _rows(DeltaTable(str(ours)).to_arrow()) == _rows(
        deltalake.DeltaTable(str(theirs)).to_pyarrow_table())


def test_we_read_what_delta_rs_compacted(tmp_path):
    path = tmp_path / "t"
    _small_appends(path, partition_by=["p"])
    before = _rows(DeltaTable(str(path)).to_arrow())
    deltalake.DeltaTable(str(path)).optimize.compact()
    t = DeltaTable(str(path))
    assert t.version == 8
    assert t.add_actions().num_rows == 2
    assert _rows(t.to_arrow()) == before
    assert t.history(1)[0]["commit_info"]["operation"] == "OPTIMIZE"
    # And we compact further what delta-rs wrote (new appends on top of its compacted files).
    for i in range(8, 11):
        deltalake.write_deltalake(str(path), _batch(i), mode="append", partition_by=["p"])
    metrics = DeltaTable(str(path)).optimize_compact()
    assert metrics["numFilesRemoved"] == 8 and metrics["numFilesAdded"] == 2
    assert len(_rows(deltalake.DeltaTable(str(path)).to_pyarrow_table())) == 33


def test_concurrent_delete_of_a_compacted_file_conflicts(tmp_path):
    path = tmp_path / "t"
    _small_appends(path)
    stale = DeltaTable(str(path))
    deltalake.DeltaTable(str(path)).delete("id = 4")
    with pytest.raises(EngineExecutionError) as e:
        stale.optimize_compact()
    assert (e.value.stage, e.value.code) == ("delta", "CONCURRENT_DELETE_DELETE")
    assert e.value.details["winning_version"] == 8
    # A concurrent append is no conflict: the compaction commits after it.
    stale = DeltaTable(str(path))
    deltalake.write_deltalake(str(path), _batch(100), mode="append")
    metrics = stale.optimize_compact(commit_properties={"run": "r1"})
    assert metrics["version"] == 10 and metrics["read_version"] == 8
    history = deltalake.DeltaTable(str(path)).history(1)[0]
    assert history["operation"] == "OPTIMIZE" and history["run"] == "r1"
    assert len(_rows(deltalake.DeltaTable(str(path)).to_pyarrow_table())) == 26


def test_errors(tmp_path):
    path = tmp_path / "t"
    _small_appends(path, n=2, partition_by=["p"])
    t = DeltaTable(str(path))
    with pytest.raises(EngineExecutionError) as e:
        t.optimize_z_order(["id"])
    assert (e.value.stage, e.value.code) == ("delta", "NOT_SUPPORTED")
    assert "z-order" in e.value.message and '"id"' in e.value.message
    with pytest.raises(EngineExecutionError) as e:
        t.optimize_compact(partition_filters=[("name", "=", "x")])
    assert e.value.code == "INVALID_PARTITION_FILTER" and e.value.details["column"] == "name"
    with pytest.raises(ValueError):
        t.optimize_compact(target_size=0)
    with pytest.raises(ValueError):
        t.optimize_compact(partition_filters=[("p", "in", ["a"])])
    assert DeltaTable(str(path)).version == 1


@pytest.mark.skipif(not dg.golden_available(), reason="golden Delta tables not present")
def test_rows_deleted_by_deletion_vectors_stay_deleted(tmp_path):
    """A Spark-written table whose files carry deletion vectors (golden
    dv-partitioned-with-checkpoint; each even partition holds one file, with a DV): after an
    append to every even partition, compaction packs each DV file with the new one, and the
    rows its DV deleted stay deleted."""
    golden = dg.GoldenTables(tmp_path)
    root = golden.table_dir("dv-partitioned-with-checkpoint")
    expected = dg.load_expected(golden.expected_dir("dv-partitioned-with-checkpoint"))
    new = pa.table({"part": pa.array([0, 2, 4, 6, 8], pa.int32()),
                    "col1": pa.array([1000, 1002, 1004, 1006, 1008], pa.int32()),
                    "col2": ["new"] * 5})
    write_delta(str(root), new, mode="append")
    physical = sum(DeltaTable(str(root)).add_actions()["num_records"].to_pylist())
    assert physical > expected.num_rows + new.num_rows  # some rows are deleted by DVs
    metrics = DeltaTable(str(root)).optimize_compact()
    assert metrics["committed"] and metrics["partitionsOptimized"] == 10
    assert metrics["numFilesRemoved"] == 20 and metrics["numFilesAdded"] == 10
    log = (root / "_delta_log" / f"{metrics['version']:020d}.json").read_text()
    removes = [json.loads(line)["remove"] for line in log.splitlines() if '"remove"' in line]
    assert any("deletionVector" in r for r in removes)  # removed with their DVs
    after = DeltaTable(str(root))
    assert not any(after.add_actions()["path"].to_pylist() == r["path"] for r in removes)
    want = pa.concat_tables([expected.select(new.column_names).cast(new.schema), new])
    assert metrics["num_rows"] == want.num_rows
    dg.assert_tables_equal(after.to_arrow(), want)


def test_duckdb_reads_our_compacted_table(tmp_path):
    try:
        import test_delta_duckdb as duck
    except ImportError as e:  # pragma: no cover - the helper module is part of this suite
        pytest.skip(f"DuckDB delta helper unavailable: {e}")
    if not (duck.CACHE / ".complete").exists():
        pytest.skip("DuckDB's delta extension is not installed in the cache "
                    f"({duck.CACHE}); it cannot be downloaded here")
    path = tmp_path / "t"
    _small_appends(path, partition_by=["p"])
    DeltaTable(str(path)).optimize_compact()
    columns, rows = duck._duckdb_rows(duck.CACHE, str(path))
    assert rows == duck._our_rows(str(path), columns)
    assert len(rows) == 24
