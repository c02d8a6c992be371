"""Delta writes: tables we write are read by delta-rs (the oracle) with equal rows at every
version, partition values included; concurrent appends all land exactly once."""

from __future__ import annotations

import datetime
import multiprocessing
import os
import sys

import deltalake
import pyarrow as pa
import pytest

from codeanatomy.delta import DeltaTable, write_delta
from codeanatomy.errors import EngineExecutionError


def _rows(table: pa.Table, columns: list[str]) -> list[dict]:
    return sorted(table.select(columns).to_pylist(), key=lambda r: repr(sorted(r.items())))


def _data(ids: list[int], parts: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": [f"n {i}/é" for i in ids],
            "day": [datetime.date(2024, 1, 1 + i % 28) for i in ids],
            "score": [i * 1.5 for i in ids],
            "p": parts,
        }
    )


def test_every_version_reads_the_same_in_delta_rs(tmp_path):
    path = str(tmp_path / "t")
    special = ["plain", None, "a b", "x=y", "50%", "slash/ed", "ünï"]
    assert write_delta(path, _data([1, 2, 3], special[:3]), partition_by=["p"])["version"] == 0
    assert write_delta(path, _data([4, 5, 6, 7], special[3:]), mode="append")["version"] == 1
    result = write_delta(path, _data([8, 9], ["plain", None]), mode="overwrite")
    assert result["version"] == 2 and result["num_removed_files"] == 7
    assert write_delta(path, _data([10], ["a b"]), mode="append")["version"] == 3
    columns = ["id", "name", "day", "score", "p"]
    for version in range(4):
        ours = DeltaTable(path, version=version).to_arrow()
        theirs = deltalake.DeltaTable(path, version=version).to_pyarrow_table()
        assert _rows(ours, columns) == _rows(theirs, columns), f"version {version}"
    dt = deltalake.DeltaTable(path)
    assert dt.version() == 3
    assert dt.metadata().partition_columns == ["p"]
    assert DeltaTable(path).snapshot_info()["partition_columns"] == ["p"]


def test_unpartitioned_many_files(tmp_path):
    path = str(tmp_path / "t")
    data = pa.table({"x": pa.array(range(10_000), pa.int64())})
    result = write_delta(path, data, max_rows_per_file=3_000)
    assert result["num_added_files"] == 4 and result["num_output_rows"] == 10_000
    theirs = deltalake.DeltaTable(path).to_pyarrow_table()
    assert sorted(theirs["x"].to_pylist()) == list(range(10_000))
    assert DeltaTable(path).add_actions()["num_records"].to_pylist() == [3000, 3000, 3000, 1000]


def test_we_read_what_delta_rs_appends_to_our_table(tmp_path):
    path = str(tmp_path / "t")
    write_delta(path, pa.table({"k": pa.array([1, 2], pa.int64())}))
    deltalake.write_deltalake(path, pa.table({"k": pa.array([3], pa.int64())}), mode="append")
    assert sorted(DeltaTable(path).to_arrow()["k"].to_pylist()) == [1, 2, 3]


def test_bad_writes_are_typed_errors(tmp_path):
    path = str(tmp_path / "t")
    write_delta(path, pa.table({"k": pa.array([1], pa.int64())}))
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, pa.table({"k": pa.array([1], pa.int64())}))
    assert (info.value.stage, info.value.code) == ("delta", "TABLE_EXISTS")
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, pa.table({"k": ["text"]}), mode="append")
    assert info.value.code == "SCHEMA_MISMATCH"
    with pytest.raises(ValueError):
        write_delta(path, pa.table({"k": pa.array([1], pa.int64())}), mode="upsert")
    assert DeltaTable(path).version == 0  # nothing committed by the failures


def _append_worker(path: str, worker: int, count: int) -> None:
    for i in range(count):
        write_delta(path, pa.table({"w": [worker], "i": [i]}), mode="append")


def test_concurrent_appends_all_land_exactly_once(tmp_path):
    path = str(tmp_path / "t")
    write_delta(path, pa.table({"w": pa.array([], pa.int64()), "i": pa.array([], pa.int64())}))
    workers, count = 4, 6
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_worker, args=(path, w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    table = DeltaTable(path)
    assert table.version == workers * count
    rows = sorted((r["w"], r["i"]) for r in table.to_arrow().to_pylist())
    assert rows == sorted((w, i) for w in range(workers) for i in range(count))
    theirs = deltalake.DeltaTable(path)
    assert theirs.version() == workers * count and theirs.to_pyarrow_table().num_rows == len(rows)


def test_checkpoints_we_write_are_read_by_delta_rs_and_us(tmp_path):
    import pyarrow.compute as pc

    path = str(tmp_path / "t")

    def batch(i: int, p: str | None) -> pa.Table:
        return pa.table({"k": pa.array([i], pa.int64()), "p": pa.array([p], pa.string())})

    write_delta(path, batch(0, "a"), partition_by=["p"])
    for i in range(1, 12):
        write_delta(path, batch(i, None if i % 3 == 0 else "b"), mode="append")
    DeltaTable(path).create_checkpoint()
    log = tmp_path / "t" / "_delta_log"
    assert (log / "00000000000000000011.checkpoint.parquet").exists()
    assert '"version":11' in (log / "_last_checkpoint").read_text()
    write_delta(path, batch(12, "c"), mode="append")
    # Without the commits the checkpoint covers, both readers start from the checkpoint.
    for f in log.glob("*.json"):
        if int(f.name[:20]) < 11:
            f.unlink()
    ours = DeltaTable(path).to_arrow()
    theirs = deltalake.DeltaTable(path).to_pyarrow_table()
    assert sorted(ours["k"].to_pylist()) == sorted(theirs["k"].to_pylist()) == list(range(13))
    assert ours.filter(pc.is_null(ours["p"])).num_rows == 3
    assert theirs.filter(pc.is_null(theirs["p"])).num_rows == 3


_WRITER = """
import sys
import pyarrow as pa
from codeanatomy.delta import write_delta
path = sys.argv[1]
i = 0
while True:
    write_delta(path, pa.table({"i": pa.array([i] * 1000, pa.int64())}), mode="append")
    print(i, flush=True)
    i += 1
"""


def test_a_writer_killed_at_random_points_never_breaks_the_table(tmp_path):
    import random
    import signal
    import subprocess
    import time

    path = str(tmp_path / "t")
    write_delta(path, pa.table({"i": pa.array([], pa.int64())}))
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, path], stdout=subprocess.PIPE,
                                env=os.environ.copy())
        time.sleep(0.3 + rng.random() * 0.7)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Every committed version reads, in both readers, with whole batches only: files of a
        # commit that never landed are not part of any version.
        table = DeltaTable(path)
        rows = table.to_arrow()["i"].to_pylist()
        assert len(rows) % 1000 == 0 and len(rows) == 1000 * table.version
        theirs = deltalake.DeltaTable(path)
        assert theirs.version() == table.version
        assert sorted(theirs.to_pyarrow_table()["i"].to_pylist()) == sorted(rows)


def test_app_transactions_make_writes_idempotent(tmp_path):
    path = str(tmp_path / "t")
    data = pa.table({"k": pa.array([1, 2], pa.int64())})
    first = write_delta(path, data, app_id="loader", app_version=1)
    assert (first["version"], first["skipped"]) == (0, False)
    again = write_delta(path, data, mode="append", app_id="loader", app_version=1)
    assert again["skipped"] and again["version"] == 0  # a retried batch is not written twice
    nxt = write_delta(path, data, mode="append", app_id="loader", app_version=2)
    assert (nxt["version"], nxt["skipped"]) == (1, False)
    assert DeltaTable(path).to_arrow().num_rows == 4
    txns = [a["txn"] for a in _log_actions(tmp_path / "t") if "txn" in a]
    assert [(t["appId"], t["version"]) for t in txns] == [("loader", 1), ("loader", 2)]
    with pytest.raises(ValueError):
        write_delta(path, data, mode="append", app_id="loader")


def _log_actions(table_dir):
    import json

    actions = []
    for f in sorted((table_dir / "_delta_log").glob("*.json")):
        actions += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return actions


def test_schema_modes(tmp_path):
    path = str(tmp_path / "t")
    write_delta(path, pa.table({"a": pa.array([1], pa.int64())}))
    wider = pa.table({"a": pa.array([2], pa.int64()), "b": ["x"]})
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, wider, mode="append")
    assert info.value.code == "SCHEMA_MISMATCH" and info.value.details["column"] == "b"
    assert write_delta(path, wider, mode="append", schema_mode="merge")["version"] == 1
    # Columns in another order and a missing nullable column are fine.
    write_delta(path, pa.table({"b": ["y"], "a": pa.array([3], pa.int64())}), mode="append")
    write_delta(path, pa.table({"a": pa.array([4], pa.int64())}), mode="append")
    ours = DeltaTable(path).to_arrow().sort_by("a").to_pylist()
    assert ours == [{"a": 1, "b": None}, {"a": 2, "b": "x"}, {"a": 3, "b": "y"}, {"a": 4, "b": None}]
    theirs = deltalake.DeltaTable(path).to_pyarrow_table().sort_by("a").to_pylist()
    assert theirs == ours
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, pa.table({"a": ["text"]}), mode="append", schema_mode="merge")
    assert info.value.code == "SCHEMA_MISMATCH"
    with pytest.raises(ValueError):
        write_delta(path, pa.table({"z": [1.5]}), mode="append", schema_mode="overwrite")
    result = write_delta(path, pa.table({"z": [1.5]}), mode="overwrite", schema_mode="overwrite")
    assert DeltaTable(path, version=result["version"]).schema().names == ["z"]
    assert deltalake.DeltaTable(path).to_pyarrow_table().to_pylist() == [{"z": 1.5}]
    assert DeltaTable(path, version=1).schema().names == ["a", "b"]  # time travel keeps schemas


def test_overwrite_by_predicate_replaces_only_matching_rows(tmp_path):
    path = str(tmp_path / "t")
    base = pa.table({"id": pa.array(range(10), pa.int64()), "p": ["a"] * 5 + ["b"] * 5})
    write_delta(path, base, partition_by=["p"])
    # A partition predicate: partition a is replaced, b untouched.
    new_a = pa.table({"id": pa.array([100, 101], pa.int64()), "p": ["a", "a"]})
    result = write_delta(path, new_a, mode="overwrite", predicate="p = 'a'")
    assert result["num_removed_files"] == 1
    # A predicate on a data column: files are rewritten without the matching rows.
    new_b = pa.table({"id": pa.array([200], pa.int64()), "p": ["b"]})
    write_delta(path, new_b, mode="overwrite", predicate="p = 'b' AND id >= 8")
    want = sorted([(100, "a"), (101, "a"), (5, "b"), (6, "b"), (7, "b"), (200, "b")])
    ours = sorted((r["id"], r["p"]) for r in DeltaTable(path).to_arrow().to_pylist())
    theirs = sorted((r["id"], r["p"]) for r in deltalake.DeltaTable(path).to_pyarrow_table().to_pylist())
    assert ours == theirs == want
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, new_a, mode="overwrite", predicate="p = 'b'")
    assert info.value.code == "PREDICATE_VIOLATION" and info.value.details["rows"] == 2
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, new_a, mode="overwrite", predicate="nope = 1")
    assert info.value.code == "UNKNOWN_COLUMN"
    with pytest.raises(ValueError):
        write_delta(path, new_a, mode="append", predicate="p = 'a'")


def test_delete_rows_matches_delta_rs(tmp_path):
    ours_path, theirs_path = str(tmp_path / "ours"), str(tmp_path / "theirs")
    data = pa.table({"id": pa.array(range(20), pa.int64()), "p": ["a", "b"] * 10})
    write_delta(ours_path, data, partition_by=["p"])
    deltalake.write_deltalake(theirs_path, data, partition_by=["p"])
    for predicate in ["id % 3 = 0", "p = 'a' AND id > 10"]:
        DeltaTable(ours_path).delete(predicate)
        deltalake.DeltaTable(theirs_path).delete(predicate)
        ours = sorted(DeltaTable(ours_path).to_arrow()["id"].to_pylist())
        assert ours == sorted(deltalake.DeltaTable(theirs_path).to_pyarrow_table()["id"].to_pylist())
        # delta-rs reads our table after the delete too
        assert ours == sorted(deltalake.DeltaTable(ours_path).to_pyarrow_table()["id"].to_pylist())
    history = DeltaTable(ours_path).history()
    assert history[0]["commit_info"]["operation"] == "DELETE"
    result = DeltaTable(ours_path).delete()
    assert DeltaTable(ours_path).to_arrow().num_rows == 0 and result["num_added_files"] == 0


def test_written_files_carry_column_statistics_that_prune(tmp_path):
    import json

    import codeanatomy as ca

    path = str(tmp_path / "t")
    data = pa.table({"id": pa.array([5, 1, 9, None], pa.int64()), "s": ["b", "a", "zzz", None]})
    write_delta(path, data, max_rows_per_file=2)
    stats = [json.loads(a["add"]["stats"]) for a in _log_actions(tmp_path / "t") if "add" in a]
    assert [(s["minValues"]["id"], s["maxValues"]["id"], s["nullCount"]["id"]) for s in stats] == [
        (1, 5, 0), (9, 9, 1)]
    assert stats[0]["minValues"]["s"] == "a" and stats[1]["maxValues"]["s"] == "zzz"
    ctx = ca.SessionContext()
    ctx.register_delta("t", path)
    assert ctx.sql("SELECT id FROM t WHERE id > 6").to_pylist() == [{"id": 9}]


def test_update_rows_matches_delta_rs(tmp_path):
    ours_path, theirs_path = str(tmp_path / "ours"), str(tmp_path / "theirs")
    data = pa.table({"id": pa.array(range(12), pa.int64()), "v": [f"v{i}" for i in range(12)],
                     "p": ["a", "b", "c"] * 4})
    write_delta(ours_path, data, partition_by=["p"])
    deltalake.write_deltalake(theirs_path, data, partition_by=["p"])
    cases = [("id % 4 = 0", {"v": "'zero mod 4'"}), ("p = 'b'", {"id": "id + 100"}),
             (None, {"v": "upper(v)"})]
    for predicate, updates in cases:
        DeltaTable(ours_path).update(updates, predicate)
        if predicate is None:
            deltalake.DeltaTable(theirs_path).update(updates)
        else:
            deltalake.DeltaTable(theirs_path).update(updates, predicate=predicate)
        ours = _rows(DeltaTable(ours_path).to_arrow(), ["id", "v", "p"])
        theirs = _rows(deltalake.DeltaTable(theirs_path).to_pyarrow_table(), ["id", "v", "p"])
        assert ours == theirs, (predicate, updates)
        assert ours == _rows(deltalake.DeltaTable(ours_path).to_pyarrow_table(), ["id", "v", "p"])
    assert DeltaTable(ours_path).history()[0]["commit_info"]["operation"] == "UPDATE"
    with pytest.raises(EngineExecutionError) as info:
        DeltaTable(ours_path).update({"nope": "1"})
    assert info.value.code == "UNKNOWN_COLUMN"


def test_the_data_checker_refuses_nulls_and_constraint_violations(tmp_path):
    path = str(tmp_path / "t")
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])
    write_delta(path, pa.table({"id": [1, 2], "v": ["a", None]}, schema=schema))
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, pa.table({"id": pa.array([3, None], pa.int64()), "v": ["b", "c"]}),
                    mode="append")
    assert info.value.code == "NOT_NULL_VIOLATION"
    assert info.value.details == {"column_name": "id", "rows": 1}
    deltalake.DeltaTable(path).alter.add_constraint({"positive_id": "id > 0"})
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, pa.table({"id": [5, -1, -2], "v": ["x", "y", "z"]}, schema=schema),
                    mode="append")
    assert info.value.code == "CHECK_CONSTRAINT_VIOLATION"
    assert info.value.details["constraint"] == "positive_id" and info.value.details["rows"] == 2
    with pytest.raises(EngineExecutionError) as info:
        DeltaTable(path).update({"id": "id - 10"}, "id = 1")
    assert info.value.code == "CHECK_CONSTRAINT_VIOLATION"
    version = DeltaTable(path).version
    write_delta(path, pa.table({"id": [7], "v": ["ok"]}, schema=schema), mode="append")
    assert DeltaTable(path).version == version + 1  # valid rows still go in


def _invariant_schema() -> pa.Schema:
    import json

    rule = json.dumps({"expression": {"expression": "x > 3"}})
    return pa.schema([pa.field("x", pa.int64(), metadata={"delta.invariants": rule}),
                      pa.field("y", pa.string())])


@pytest.mark.parametrize("creator", ["ours", "delta-rs"])
def test_column_invariants_are_enforced_like_delta_rs(tmp_path, creator):
    path = str(tmp_path / "t")
    schema = _invariant_schema()
    first = pa.table({"x": [5, 6], "y": ["a", "b"]}, schema=schema)
    if creator == "ours":
        write_delta(path, first)
    else:
        deltalake.write_deltalake(path, first)
    bad = pa.table({"x": [1, 6, 2], "y": ["c", "d", "e"]})
    with pytest.raises(EngineExecutionError) as info:
        write_delta(path, bad, mode="append")
    assert (info.value.stage, info.value.code) == ("delta", "INVARIANT_VIOLATION")
    assert info.value.details == {"column_name": "x", "expression": "x > 3", "rows": 2}
    with pytest.raises(Exception, match="failed validation"):  # delta-rs refuses them too
        deltalake.write_deltalake(path, bad, mode="append")
    with pytest.raises(EngineExecutionError) as info:
        DeltaTable(path).update({"x": "x - 10"}, "y = 'a'")
    assert info.value.code == "INVARIANT_VIOLATION"
    write_delta(path, pa.table({"x": [4], "y": ["ok"]}), mode="append")
    assert DeltaTable(path).version == 1
    # The invariant stays in the schema we write, and delta-rs enforces it on our table.
    assert sorted(deltalake.DeltaTable(path).to_pyarrow_table().column("x").to_pylist()) == [
        4, 5, 6]


def test_append_only_tables_accept_appends_only(tmp_path):
    path = str(tmp_path / "t")
    data = pa.table({"k": pa.array([1, 2], pa.int64())})
    deltalake.write_deltalake(path, data, configuration={"delta.appendOnly": "true"})
    assert write_delta(path, data, mode="append")["version"] == 1
    for attempt in (lambda: write_delta(path, data, mode="overwrite"),
                    lambda: DeltaTable(path).delete("k = 1")):
        with pytest.raises(EngineExecutionError) as info:
            attempt()
        assert info.value.code == "APPEND_ONLY_TABLE"
    assert DeltaTable(path).to_arrow().num_rows == 4


def test_target_file_size_sizes_the_data_files(tmp_path):
    import pyarrow.compute as pc

    n = 400_000
    data = pa.table({"id": pa.array(range(n), pa.int64()),
                     "s": pc.cast(pa.array(range(n), pa.int64()), pa.string())})
    target = 512 * 1024
    path = str(tmp_path / "t")
    result = write_delta(path, data, target_file_size=target)
    sizes = deltalake.DeltaTable(path).get_add_actions(flatten=True).column("size_bytes")
    sizes = sizes.to_pylist()
    total = sum(sizes)
    # About total/target files, each near the target (the last one may be short).
    assert result["num_added_files"] == len(sizes) >= 3
    assert abs(len(sizes) - total / target) <= 2
    assert all(size <= 1.5 * target for size in sizes)
    assert sorted(DeltaTable(path).to_arrow().column("id").to_pylist()) == list(range(n))
    # The table property applies to later writes too.
    other = str(tmp_path / "u")
    write_delta(other, data.slice(0, 1000), configuration={"delta.targetFileSize": "256kb"})
    r = write_delta(other, data, mode="append")
    assert r["num_added_files"] >= 2 * len(sizes) - 2
    with pytest.raises(EngineExecutionError) as info:
        write_delta(str(tmp_path / "v"), data.slice(0, 10),
                    configuration={"delta.targetFileSize": "lots"})
    assert info.value.code == "INVALID_TABLE_PROPERTY"


def test_checkpoint_tombstones_match_delta_rs(tmp_path):
    import glob
    import shutil

    import pyarrow.parquet as pq

    base = str(tmp_path / "base")
    deltalake.write_deltalake(base, _data([1, 2, 3], ["a", "b", "c"]), partition_by=["p"])
    deltalake.write_deltalake(base, _data([4], ["a"]), mode="append")
    deltalake.DeltaTable(base).delete("id = 2")
    deltalake.write_deltalake(base, _data([5], ["c"]), mode="overwrite", predicate="p = 'c'")
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    shutil.copytree(base, ours)
    shutil.copytree(base, theirs)
    DeltaTable(ours).create_checkpoint()
    deltalake.DeltaTable(theirs).create_checkpoint()

    def removes(path):
        (cp,) = glob.glob(os.path.join(path, "_delta_log", "*.checkpoint.parquet"))
        rows = pq.read_table(cp, columns=["remove"]).column("remove").to_pylist()
        return sorted((r["path"], r["size"], r["deletionTimestamp"]) for r in rows if r)

    assert removes(ours) == removes(theirs) and len(removes(ours)) == 2
    # Both read each other's checkpoints to the same rows.
    for path in (ours, theirs):
        assert _rows(DeltaTable(path).to_arrow(), ["id", "p"]) == _rows(
            deltalake.DeltaTable(path).to_pyarrow_table(), ["id", "p"])


def _stats_columns(path: str) -> list[set]:
    adds = pa.table(deltalake.DeltaTable(path).get_add_actions(flatten=False)).to_pylist()
    return [set(a.get("null_count") or {}) for a in adds]


@pytest.mark.parametrize("config", [
    {"delta.dataSkippingNumIndexedCols": "2"},
    {"delta.dataSkippingNumIndexedCols": "0"},
    {"delta.dataSkippingStatsColumns": "score,id"},
])
def test_statistics_columns_follow_the_table_properties_like_delta_rs(tmp_path, config):
    data = _data([1, 2, 3], ["a", "a", None])
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    write_delta(ours, data, partition_by=["p"], configuration=config)
    deltalake.write_deltalake(theirs, data, partition_by=["p"], configuration=config)
    assert _stats_columns(ours) and _stats_columns(ours)[0] == _stats_columns(theirs)[0]
    # And later writes follow the property of the table.
    write_delta(ours, data, mode="append")
    assert all(s == _stats_columns(theirs)[0] for s in _stats_columns(ours))


def test_zstd_compression(tmp_path):
    import pyarrow.parquet as pq

    path = str(tmp_path / "t")
    data = _data(list(range(50)), ["a"] * 50)
    write_delta(path, data, compression="zstd")
    (add,) = pa.table(deltalake.DeltaTable(path).get_add_actions(flatten=True)).to_pylist()
    meta = pq.ParquetFile(os.path.join(path, add["path"])).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert _rows(deltalake.DeltaTable(path).to_pyarrow_table(), ["id", "p"]) == _rows(
        data, ["id", "p"])
    with pytest.raises(ValueError):
        write_delta(path, data, mode="append", compression="lz5")
