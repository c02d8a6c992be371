"""Delta table providers from options (CONTRACTS §4/§7): explicit file lists, the file column,
Parquet pushdown on/off, the protocol gate, the "delta_cdf" provider, and typed errors naming
the option at fault. Oracles: pyarrow reading the data files directly, delta-rs, and golden
tables."""

from __future__ import annotations

import os
from pathlib import Path

import delta_golden as dg
import deltalake
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from codeanatomy import SessionContext
from codeanatomy.delta import DeltaTable, write_delta
from codeanatomy.errors import EngineExecutionError


@pytest.fixture()
def table(tmp_path) -> str:
    path = str(tmp_path / "t")
    data = pa.table({"id": pa.array(range(40), pa.int64()),
                     "p": [f"p{i % 4}" for i in range(40)],
                     "v": [float(i) / 3 for i in range(40)]})
    write_delta(path, data, partition_by=["p"])
    write_delta(path, data.slice(0, 8), mode="append")
    return path


def _file_rows(root: str, add: dict) -> list[tuple]:
    """The rows of one data file read by pyarrow, with its partition value from the log."""
    t = pq.read_table(os.path.join(root, add["path"]))
    return sorted((i, add["partition.p"], v) for i, v in zip(t["id"].to_pylist(),
                                                             t["v"].to_pylist()))


def _rows(t: pa.Table) -> list[tuple]:
    return sorted(zip(t["id"].to_pylist(), t["p"].to_pylist(), t["v"].to_pylist()))


def test_a_provider_over_an_explicit_file_list(table):
    adds = DeltaTable(table).add_actions().to_pylist()
    assert len(adds) == 8
    chosen = [adds[1], adds[6]]
    ctx = SessionContext()
    ctx.register_delta("t", table, files=[a["path"] for a in chosen])
    got = _rows(ctx.sql("SELECT * FROM t").to_arrow())
    assert got == sorted(_file_rows(table, chosen[0]) + _file_rows(table, chosen[1]))
    # Filters still prune within the list.
    got = _rows(ctx.sql(f"SELECT * FROM t WHERE p = '{chosen[0]['partition.p']}'").to_arrow())
    assert got == sorted(r for a in chosen for r in _file_rows(table, a)
                         if r[1] == chosen[0]["partition.p"])
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_delta("u", table, files=["part-nope.parquet"])
    assert (e.value.stage, e.value.code) == ("delta", "FILE_NOT_IN_SNAPSHOT")
    assert e.value.details["path"] == "part-nope.parquet"


def test_the_file_column_names_each_rows_file(table):
    ctx = SessionContext()
    ctx.register_delta("t", table, file_column_name="_file")
    assert ctx.schema("t").names == ["id", "p", "v", "_file"]
    out = ctx.sql("SELECT id, p, v, _file FROM t").to_arrow()
    for add in DeltaTable(table).add_actions().to_pylist():
        mine = out.filter(pa.compute.equal(out["_file"], add["path"]))
        assert _rows(mine) == _file_rows(table, add)
    one = DeltaTable(table).add_actions().to_pylist()[3]
    got = ctx.sql(f"SELECT id, p, v FROM t WHERE _file = '{one['path']}'").to_arrow()
    assert _rows(got) == _file_rows(table, one)
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_delta("u", table, file_column_name="v")
    assert e.value.code == "INVALID_PROVIDER_OPTIONS"


def test_parquet_pushdown_off_reads_the_same_rows(table):
    ctx = SessionContext()
    ctx.register_delta("pushed", table)
    ctx.register_delta("unpushed", table, enable_parquet_pushdown=False)
    query = "SELECT * FROM {} WHERE v > 5 AND id < 30"
    assert _rows(ctx.sql(query.format("pushed")).to_arrow()) == _rows(
        ctx.sql(query.format("unpushed")).to_arrow())
    theirs = deltalake.DeltaTable(table).to_pyarrow_table()
    want = [r for r in _rows(theirs) if r[2] > 5 and r[0] < 30]
    assert _rows(ctx.sql(query.format("unpushed")).to_arrow()) == want


def test_the_protocol_gate(table, tmp_path):
    t = DeltaTable(table)
    t.check_protocol_gate(min_reader_version=1, min_writer_version=2)
    with pytest.raises(EngineExecutionError) as e:
        t.check_protocol_gate(min_writer_version=3)
    assert (e.value.stage, e.value.code) == ("delta", "PROTOCOL_GATE_FAILED")
    assert e.value.details["requirement"] == "min_writer_version"
    # A table with table features (delta-rs, deletion vectors on).
    dv = str(tmp_path / "dv")
    deltalake.write_deltalake(dv, pa.table({"a": [1]}),
                              configuration={"delta.enableDeletionVectors": "true"})
    features = deltalake.DeltaTable(dv).protocol()
    assert "deletionVectors" in features.reader_features
    DeltaTable(dv).check_protocol_gate(min_reader_version=3,
                                       required_reader_features=["deletionVectors"],
                                       required_writer_features=["deletionVectors"])
    with pytest.raises(EngineExecutionError) as e:
        DeltaTable(dv).check_protocol_gate(required_reader_features=["columnMapping"])
    assert e.value.details["requirement"] == "required_reader_features"
    assert "columnMapping" in e.value.message
    ctx = SessionContext()
    with pytest.raises(EngineExecutionError):
        ctx.register_delta("t", table, gate={"min_reader_version": 2})
    ctx.register_table_provider("g", "delta", {"table_uri": dv, "gate": {
        "required_reader_features": ["deletionVectors"]}})
    assert ctx.sql("SELECT a FROM g").to_arrow()["a"].to_pylist() == [1]
    # delta-rs lists variantType with deletion vectors: no variant column, so we read and write.
    # (delta-rs's own pyarrow reader refuses deletionVectors tables, so it checks the version.)
    write_delta(dv, pa.table({"a": [2]}), mode="append")
    assert sorted(DeltaTable(dv).to_arrow()["a"].to_pylist()) == [1, 2]
    assert deltalake.DeltaTable(dv).version() == 1


def test_delta_provider_options(table):
    ctx = SessionContext()
    first = DeltaTable(table, version=0).add_actions()["path"].to_pylist()
    ctx.register_table_provider("t", "delta", {
        "table_uri": table, "version": 0, "files": first[:2],
        "scan_config": {"scan_config_version": 1, "file_column_name": "f",
                        "enable_parquet_pushdown": True, "schema_force_view_types": False,
                        "wrap_partition_values": False}})
    out = ctx.sql("SELECT DISTINCT f FROM t ORDER BY f").to_arrow()
    assert out["f"].to_pylist() == sorted(first[:2])


@pytest.mark.parametrize("options, field", [
    ({}, "table_uri"),
    ({"table_uri": "T", "bogus": 1}, "bogus"),
    ({"table_uri": "T", "version": "x"}, "version"),
    ({"table_uri": "T", "version": 1, "timestamp": 5}, "version"),
    ({"table_uri": "T", "timestamp": "not a time"}, "timestamp"),
    ({"table_uri": "T", "scan_config": {"scan_config_version": 2}},
     "scan_config.scan_config_version"),
    ({"table_uri": "T", "scan_config": {"scan_config_version": 1, "extra": True}},
     "scan_config.extra"),
    ({"table_uri": "T", "scan_config": {"scan_config_version": 1,
                                        "enable_parquet_pushdown": "yes"}},
     "scan_config.enable_parquet_pushdown"),
    ({"table_uri": "T", "gate": {"min_reader_version": "1"}}, "gate.min_reader_version"),
    ({"table_uri": "T", "files": ["a", 3]}, "files[1]"),
])
def test_bad_delta_options_name_the_field(table, options, field):
    options = {k: (table if v == "T" else v) for k, v in options.items()}
    with pytest.raises(EngineExecutionError) as e:
        SessionContext().register_table_provider("t", "delta", options)
    assert (e.value.stage, e.value.code) == ("validation", "INVALID_PROVIDER_OPTIONS")
    assert e.value.details["field"] == field


def test_unsupported_and_unknown(table):
    ctx = SessionContext()
    for key in ("schema_force_view_types", "wrap_partition_values"):
        with pytest.raises(EngineExecutionError) as e:
            ctx.register_table_provider("t", "delta", {
                "table_uri": table, "scan_config": {"scan_config_version": 1, key: True}})
        assert e.value.code == "NOT_SUPPORTED" and key in e.value.message
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_table_provider("t", "delta", {"table_uri": table,
                                                   "storage_options": {"AWS_REGION": "x"}})
    assert e.value.code == "NOT_SUPPORTED"
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_table_provider("t", "iceberg", {"table_uri": table})
    assert e.value.code == "UNKNOWN_PROVIDER"


@pytest.fixture()
def cdf_table(tmp_path) -> str:
    path = str(tmp_path / "c")
    deltalake.write_deltalake(path, pa.table({"id": pa.array([1, 2, 3], pa.int64())}),
                              configuration={"delta.enableChangeDataFeed": "true"})
    deltalake.write_deltalake(path, pa.table({"id": pa.array([4], pa.int64())}), mode="append")
    deltalake.DeltaTable(path).delete("id = 2")
    deltalake.DeltaTable(path).update(predicate="id = 3", updates={"id": "30"})
    return path


def _changes(t: pa.Table) -> list[tuple]:
    return sorted(zip(t["id"].to_pylist(), t["_change_type"].to_pylist(),
                      t["_commit_version"].to_pylist()))


@pytest.mark.parametrize("options, start, end", [
    ({}, 0, 3),
    ({"starting_version": 1}, 1, 3),
    ({"starting_version": 1, "ending_version": 2}, 1, 2),
    ({"version": 1}, 0, 1),
])
def test_the_delta_cdf_provider_equals_delta_rs(cdf_table, options, start, end):
    ctx = SessionContext()
    ctx.register_table_provider("c", "delta_cdf", {"table_uri": cdf_table, **options})
    got = _changes(ctx.sql("SELECT * FROM c").to_arrow())
    theirs = pa.table(deltalake.DeltaTable(cdf_table).load_cdf(starting_version=start,
                                                               ending_version=end))
    assert got == _changes(theirs) and got


def test_delta_cdf_provider_errors(cdf_table):
    ctx = SessionContext()
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_table_provider("c", "delta_cdf", {"table_uri": cdf_table,
                                                       "starting_version": 9})
    assert e.value.code == "CHANGE_RANGE_OUT_OF_BOUNDS"
    ctx.register_table_provider("c", "delta_cdf", {"table_uri": cdf_table, "starting_version": 9,
                                                   "allow_out_of_range": True})
    assert ctx.sql("SELECT count(*) AS n FROM c").to_arrow()["n"].to_pylist() == [0]
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_table_provider("c", "delta_cdf", {"table_uri": cdf_table,
                                                       "starting_version": 0,
                                                       "starting_timestamp": 0})
    assert e.value.details["field"] == "starting_version"


@pytest.mark.skipif(not dg.golden_available(), reason="golden Delta tables not present")
def test_file_column_on_files_with_deletion_vectors(tmp_path):
    root = dg.GoldenTables(Path(tmp_path)).table_dir("dv-partitioned-with-checkpoint")
    ctx = SessionContext()
    ctx.register_delta("t", str(root), file_column_name="_file")
    ctx.register_delta("plain", str(root))
    out = ctx.sql("SELECT _file, count(*) AS n FROM t GROUP BY _file").to_arrow()
    paths = set(DeltaTable(str(root)).add_actions()["path"].to_pylist())
    assert set(out["_file"].to_pylist()) <= paths
    total = ctx.sql("SELECT count(*) AS n FROM plain").to_arrow()["n"].to_pylist()[0]
    assert sum(out["n"].to_pylist()) == total == dg.load_expected(
        root.parent / "expected").num_rows
