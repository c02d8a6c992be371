"""Tables written by delta-rs (``deltalake``), read by codeanatomy's Delta reader, at every version.

For each table and each version v, ``codeanatomy.delta.DeltaTable(path, version=v)`` must agree
with ``deltalake.DeltaTable(path, version=v)`` on: the version, the rows (order-insensitive, by
value: delta_golden.assert_tables_equal), the schema's field names, and the add actions (file,
size, record count, partition values). Covered: appends, overwrites (also of the schema),
partitioning by strings with NULLs and special characters, by an int and a date; deletes and
updates (also with deletion vectors enabled); merge; checkpoints; compaction; time travel by
version and by timestamp; SQL through ``SessionContext.register_delta``; bad input (a corrupt
commit, a missing data file, a version gap, an add path climbing out of the table root, both
version and timestamp), which must fail with ``EngineExecutionError`` of stage ``delta``, checked
in a child process so that a crash is reported as one.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import re
import shutil
from pathlib import Path

import delta_golden as dg
import pyarrow as pa
import pytest

deltalake = pytest.importorskip("deltalake")
from deltalake import write_deltalake

ca = pytest.importorskip("codeanatomy")
cdelta = pytest.importorskip("codeanatomy.delta", reason="codeanatomy.delta is not built yet")
from codeanatomy.errors import EngineExecutionError

UTC = datetime.timezone.utc


# ---- the oracle and the checks ------------------------------------------------------------------


def rs_table(path: Path, version: int | None = None):
    return deltalake.DeltaTable(str(path), version=version)


def rs_rows(path: Path, version: int | None = None) -> pa.Table:
    return rs_table(path, version).to_pyarrow_table()


def rs_latest(path: Path) -> int:
    return rs_table(path).version()


def _log_path(path: Path, version: int) -> Path:
    return path / "_delta_log" / f"{version:020d}.json"


def _canon_partition_value(value) -> str | None:
    """A partition value as its Delta string form (the log's), whatever type it came back as."""
    if value is None:
        return None
    if isinstance(value, dg.Day):
        return str(datetime.date(1970, 1, 1) + datetime.timedelta(days=value.days))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ca_partition_columns(actions: pa.Table, column: str):
    """codeanatomy's add actions carry partition values as ``partition.<col>``, ``<col>``, or a
    struct column ``partition`` / ``partition_values``; returns the one found."""
    for name in (f"partition.{column}", f"partition_values.{column}", column):
        if name in actions.column_names:
            return actions.column(name)
    for name in ("partition", "partition_values", "partitionValues"):
        if name in actions.column_names:
            values = dg._combine(actions.column(name))
            if pa.types.is_struct(values.type):
                return values.field(column)
            if pa.types.is_map(values.type):
                return pa.array(
                    [None if m is None else dict(m).get(column) for m in values.to_pylist()],
                    pa.string(),
                )
    raise AssertionError(
        f"no partition values for {column!r} in add_actions() columns {actions.column_names}"
    )


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def check_add_actions(got: pa.Table, path: Path, version: int) -> None:
    rs = rs_table(path, version)
    want = pa.table(rs.get_add_actions(flatten=True))
    parts = list(rs.metadata().partition_columns)
    for column in ("path", "size_bytes", "num_records"):
        assert column in got.column_names, f"add_actions() lacks {column!r}: {got.column_names}"
    assert got.num_rows == want.num_rows, (
        f"v{version}: {got.num_rows} add actions, delta-rs has {want.num_rows}"
    )

    def by_file(table: pa.Table, partition_of) -> dict:
        out = {}
        names = [_basename(p) for p in table.column("path").to_pylist()]
        sizes = table.column("size_bytes").to_pylist()
        records = table.column("num_records").to_pylist()
        pvals = {c: dg.normalize_array(partition_of(table, c)) for c in parts}
        for i, name in enumerate(names):
            out[name] = (
                sizes[i],
                records[i],
                {c: _canon_partition_value(pvals[c][i]) for c in parts},
            )
        return out

    g = by_file(got, _ca_partition_columns)
    w = by_file(want, lambda t, c: t.column(f"partition.{c}"))
    assert g.keys() == w.keys(), f"v{version}: files differ: {sorted(g)} vs delta-rs {sorted(w)}"
    for name in w:
        assert g[name] == w[name], (
            f"v{version} {name}: (size, records, partitions) {g[name]} vs delta-rs {w[name]}"
        )


def check_version(path: Path, version: int | None, *, oracle: Path | None = None) -> None:
    """codeanatomy reads ``path`` at ``version`` (None: latest) as delta-rs reads ``oracle``
    (default: the same table)."""
    oracle = oracle or path
    want_version = version if version is not None else rs_latest(oracle)
    t = cdelta.DeltaTable(str(path), version=version)
    assert t.version == want_version
    rs = rs_table(oracle, want_version)
    want_names = pa.schema(rs.schema().to_arrow()).names
    got_schema = t.schema()
    assert isinstance(got_schema, pa.Schema), type(got_schema)
    assert got_schema.names == want_names, f"v{want_version}: schema {got_schema} vs {want_names}"
    got = t.to_arrow()
    reason = dg.diff_tables(got, rs.to_pyarrow_table())
    assert reason is None, f"v{want_version}: {reason}"
    info = t.snapshot_info()
    assert info["version"] == want_version
    assert list(info["partition_columns"]) == list(rs.metadata().partition_columns)
    if oracle == path:
        check_add_actions(t.add_actions(), path, want_version)


def check_every_version(path: Path, *, oracle: Path | None = None) -> int:
    latest = rs_latest(oracle or path)
    for v in range(latest + 1):
        check_version(path, v, oracle=oracle)
    check_version(path, None, oracle=oracle)
    return latest


def assert_delta_error(report: dict, what: str) -> None:
    assert report["outcome"] == "error", f"{what}: read without error: {report}"
    assert report["type"] == dg.ENGINE_ERROR, f"{what}: raised {report['type']}: {report}"
    assert report["stage"] == "delta", f"{what}: stage {report['stage']!r}: {report}"
    assert report["code"] and report["message"], f"{what}: empty code/message: {report}"


# ---- data ---------------------------------------------------------------------------------------


def batch(start: int, n: int, *, tag: str = "x") -> pa.Table:
    ids = list(range(start, start + n))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": pa.array([None if i % 5 == 3 else f"{tag}{i}" for i in ids], pa.string()),
            "score": pa.array([None if i % 7 == 2 else i * 0.5 for i in ids], pa.float64()),
            "flag": pa.array([i % 2 == 0 for i in ids], pa.bool_()),
            "day": pa.array([datetime.date(2024, 1, 1 + i % 28) for i in ids], pa.date32()),
            "ts": pa.array(
                [
                    datetime.datetime(2024, 3, 1, tzinfo=UTC) + datetime.timedelta(hours=i)
                    for i in ids
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "amount": pa.array(
                [None if i % 6 == 1 else decimal.Decimal(i) / 100 for i in ids],
                pa.decimal128(12, 2),
            ),
            "tags": pa.array(
                [[f"t{i}", None] if i % 3 else [] for i in ids], pa.list_(pa.string())
            ),
            "pt": pa.array(
                [{"x": i, "y": str(i)} for i in ids],
                pa.struct([("x", pa.int32()), ("y", pa.string())]),
            ),
        }
    )


# ---- appends, overwrites ------------------------------------------------------------------------


def test_appends(tmp_path):
    path = tmp_path / "t"
    for k in range(4):
        write_deltalake(str(path), batch(k * 10, 10), mode="append")
    assert check_every_version(path) == 3


def test_overwrite(tmp_path):
    path = tmp_path / "t"
    write_deltalake(str(path), batch(0, 10), mode="append")
    write_deltalake(str(path), batch(10, 5), mode="append")
    write_deltalake(str(path), batch(100, 3, tag="o"), mode="overwrite")
    write_deltalake(str(path), batch(200, 4), mode="append")
    assert check_every_version(path) == 3


def test_overwrite_schema(tmp_path):
    path = tmp_path / "t"
    write_deltalake(str(path), pa.table({"a": [1, 2], "b": ["x", "y"]}))
    write_deltalake(
        str(path),
        pa.table({"a": [3], "c": pa.array([1.5], pa.float64())}),
        mode="overwrite",
        schema_mode="overwrite",
    )
    write_deltalake(
        str(path),
        pa.table({"a": [4], "c": [2.5], "d": ["new"]}),
        mode="append",
        schema_mode="merge",
    )
    assert check_every_version(path) == 2


def test_empty_append_and_empty_table(tmp_path):
    path = tmp_path / "t"
    write_deltalake(str(path), batch(0, 0))
    write_deltalake(str(path), batch(0, 3), mode="append")
    check_every_version(path)


# ---- partitions ---------------------------------------------------------------------------------

SPECIAL = ["plain", "a b", "x=y", "p/q", "50%", "%2F", "ünï ☃", None, "", "a%20b", "tab\tx", "#?&"]


def test_partitioned_by_string_with_special_characters(tmp_path):
    path = tmp_path / "t"
    n = len(SPECIAL)
    data = pa.table(
        {
            "s": pa.array(SPECIAL, pa.string()),
            "id": pa.array(range(n), pa.int64()),
            "v": pa.array([f"v{i}" for i in range(n)], pa.string()),
        }
    )
    write_deltalake(str(path), data, partition_by=["s"])
    write_deltalake(str(path), data.slice(0, 5), partition_by=["s"], mode="append")
    rs_table(path).delete("id = 2")
    check_every_version(path)


def test_partitioned_by_int_and_date(tmp_path):
    path = tmp_path / "t"
    n = 24
    data = pa.table(
        {
            "p": pa.array([None if i % 9 == 4 else i % 3 - 1 for i in range(n)], pa.int32()),
            "d": pa.array(
                [
                    None
                    if i % 11 == 5
                    else datetime.date(2023, 12, 30 + i % 4)
                    if i % 4 < 2
                    else datetime.date(2024, 1, i % 4)
                    for i in range(n)
                ],
                pa.date32(),
            ),
            "id": pa.array(range(n), pa.int64()),
            "x": pa.array([i * 1.25 for i in range(n)], pa.float64()),
        }
    )
    write_deltalake(str(path), data, partition_by=["p", "d"])
    write_deltalake(str(path), data.slice(3, 7), partition_by=["p", "d"], mode="append")
    rs_table(path).delete("p = 0")
    rs_table(path).update(updates={"x": "x + 100"}, predicate="id < 5")
    check_every_version(path)


# ---- deletes, updates, merge --------------------------------------------------------------------


def _drop_variant_feature(path: Path) -> None:
    """delta-rs 1.6 declares the ``variantType`` feature along with deletion vectors; the table has
    no variant column, so the feature is dropped to test deletion vectors alone."""
    log = _log_path(path, 0)
    lines = []
    for line in log.read_text().splitlines():
        action = json.loads(line)
        if "protocol" in action:
            for key in ("readerFeatures", "writerFeatures"):
                features = action["protocol"].get(key)
                if features and "variantType" in features:
                    features.remove("variantType")
            line = json.dumps(action, separators=(",", ":"))
        lines.append(line)
    log.write_text("\n".join(lines) + "\n")


def _dml_history(path: Path, configuration: dict | None) -> None:
    write_deltalake(str(path), batch(0, 30), configuration=configuration)
    _drop_variant_feature(path)
    write_deltalake(str(path), batch(30, 20), mode="append")
    rs_table(path).delete("id % 4 = 1")
    rs_table(path).update(updates={"name": "'updated'", "score": "score * 2"}, predicate="id > 40")
    rs_table(path).delete("name IS NULL")
    rs_table(path).update(new_values={"flag": True}, predicate="id < 3")


def test_deletes_and_updates(tmp_path):
    path = tmp_path / "t"
    _dml_history(path, None)
    assert check_every_version(path) == 5


def test_deletes_and_updates_with_deletion_vectors_enabled(tmp_path):
    """The same history on a table with ``delta.enableDeletionVectors``; its rows must equal those
    of the same history without it (delta-rs cannot read its own DV-enabled tables)."""
    path, twin = tmp_path / "dv", tmp_path / "plain"
    try:
        _dml_history(path, {"delta.enableDeletionVectors": "true"})
    except Exception as e:  # noqa: BLE001 - a delta-rs limitation, not ours
        pytest.skip(f"delta-rs cannot write this history with deletion vectors enabled: {e}")
    _dml_history(twin, None)
    log0 = _log_path(path, 0).read_text()
    assert "deletionVectors" in log0, "the table feature was not set"
    dv_written = any('"deletionVector":{' in _log_path(path, v).read_text() for v in range(6))
    for v in range(6):
        t = cdelta.DeltaTable(str(path), version=v)
        assert t.version == v
        info = t.snapshot_info()
        assert "deletionVectors" in list(info["reader_features"] or []), info
        dg.assert_tables_equal(t.to_arrow(), rs_rows(twin, v))
    # delta-rs 1.6 rewrites files instead of writing deletion vectors (dv_written is False): the
    # rows of a DV-enabled table are checked here; the golden dv-* tables cover DVs themselves.
    del dv_written


def test_merge(tmp_path):
    path = tmp_path / "t"
    write_deltalake(str(path), batch(0, 20))
    source = batch(15, 10, tag="m")
    (
        rs_table(path)
        .merge(source, "t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    (
        rs_table(path)
        .merge(
            pa.table({"id": pa.array([1, 2, 3], pa.int64())}),
            "t.id = s.id",
            source_alias="s",
            target_alias="t",
        )
        .when_matched_delete()
        .execute()
    )
    assert check_every_version(path) == 2


# ---- checkpoints, compaction --------------------------------------------------------------------


def test_checkpoint_then_more_commits(tmp_path):
    path = tmp_path / "t"
    for k in range(5):
        write_deltalake(str(path), batch(k * 10, 10), mode="append")
    rs_table(path).delete("id % 3 = 0")
    rs_table(path).create_checkpoint()
    assert (path / "_delta_log" / f"{5:020d}.checkpoint.parquet").exists()
    write_deltalake(str(path), batch(100, 5), mode="append")
    rs_table(path).update(updates={"name": "'after-cp'"}, predicate="id >= 100")
    assert check_every_version(path) == 7


def test_checkpoint_without_earlier_commits(tmp_path):
    """The JSON commits before a checkpoint are gone (log cleanup): the latest snapshot comes from
    the checkpoint; versions before it cannot be read (a typed error)."""
    path, oracle = tmp_path / "t", tmp_path / "oracle"
    for k in range(4):
        write_deltalake(str(path), batch(k * 10, 10), mode="append")
    rs_table(path).delete("id % 3 = 0")
    rs_table(path).create_checkpoint()  # at version 4
    write_deltalake(str(path), batch(100, 5), mode="append")
    shutil.copytree(path, oracle)
    for v in range(4):
        _log_path(path, v).unlink()
    check_version(path, None, oracle=oracle)
    check_version(path, 4, oracle=oracle)
    check_version(path, 5, oracle=oracle)
    assert_delta_error(dg.read_in_child(path, op="snapshot", version=1), "version 1 after cleanup")


def test_compaction(tmp_path):
    path = tmp_path / "t"
    for k in range(6):
        write_deltalake(str(path), batch(k * 5, 5), mode="append")
    rs_table(path).optimize.compact()
    write_deltalake(str(path), batch(50, 5), mode="append")
    assert check_every_version(path) == 7


# ---- time travel --------------------------------------------------------------------------------

T0 = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
STEP = datetime.timedelta(hours=1)


def _pin_commit_times(path: Path, latest: int) -> None:
    """Commit v happened at T0 + v hours: both its commitInfo timestamp and its file's mtime."""
    for v in range(latest + 1):
        log = _log_path(path, v)
        when = T0 + v * STEP
        millis = int(when.timestamp() * 1000)
        lines = []
        for line in log.read_text().splitlines():
            action = json.loads(line)
            if "commitInfo" in action:
                action["commitInfo"]["timestamp"] = millis
                line = json.dumps(action, separators=(",", ":"))
            lines.append(line)
        log.write_text("\n".join(lines) + "\n")
        os.utime(log, (when.timestamp(), when.timestamp()))


@pytest.fixture
def travel_table(tmp_path) -> Path:
    path = tmp_path / "t"
    write_deltalake(str(path), batch(0, 10))
    write_deltalake(str(path), batch(10, 10), mode="append")
    rs_table(path).delete("id < 5")
    write_deltalake(str(path), batch(100, 2), mode="overwrite")
    _pin_commit_times(path, 3)
    return path


def test_time_travel_by_version(travel_table):
    check_every_version(travel_table)


@pytest.mark.parametrize("form", ["datetime", "iso", "iso-z"])
@pytest.mark.parametrize("offset", [0, 1800, 3599])
def test_time_travel_by_timestamp(travel_table, form, offset):
    for v in range(4):
        when = T0 + v * STEP + datetime.timedelta(seconds=offset)
        stamp = {
            "datetime": when,
            "iso": when.isoformat(),
            "iso-z": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }[form]
        t = cdelta.DeltaTable(str(travel_table), timestamp=stamp)
        assert t.version == v, f"timestamp {stamp!r} -> version {t.version}, want {v}"
        dg.assert_tables_equal(t.to_arrow(), rs_rows(travel_table, v))


def test_time_travel_oracle_agrees(travel_table):
    """delta-rs resolves the pinned timestamps to the same versions (checks the setup)."""
    for v in range(4):
        rs = rs_table(travel_table)
        rs.load_as_version(T0 + v * STEP + datetime.timedelta(minutes=30))
        assert rs.version() == v


def test_time_travel_before_first_commit(travel_table):
    report = dg.read_in_child(
        travel_table, op="snapshot", timestamp=T0 - datetime.timedelta(days=1)
    )
    assert_delta_error(report, "timestamp before the first commit")


def test_time_travel_after_last_commit(travel_table):
    """After the last commit: the latest version, or a typed error (Spark's behaviour)."""
    report = dg.read_in_child(
        travel_table, op="snapshot", timestamp=T0 + datetime.timedelta(days=30)
    )
    if report["outcome"] == "ok":
        assert report["version"] == 3, report
    else:
        assert_delta_error(report, "timestamp after the last commit")


def test_version_beyond_latest(travel_table):
    assert_delta_error(dg.read_in_child(travel_table, op="snapshot", version=4), "version 4 of 3")


def test_negative_version(travel_table):
    with pytest.raises((ValueError, EngineExecutionError)):
        cdelta.DeltaTable(str(travel_table), version=-1)


def test_version_and_timestamp_together(travel_table):
    with pytest.raises((ValueError, EngineExecutionError)):
        cdelta.DeltaTable(str(travel_table), version=1, timestamp=T0)
    ctx = ca.SessionContext()
    with pytest.raises((ValueError, EngineExecutionError)):
        ctx.register_delta("t", str(travel_table), version=1, timestamp=T0.isoformat())


# ---- snapshot_info ------------------------------------------------------------------------------


def test_snapshot_info(tmp_path):
    path = tmp_path / "t"
    write_deltalake(
        str(path),
        batch(0, 5),
        partition_by=["flag"],
        configuration={
            "delta.appendOnly": "false",
            "delta.logRetentionDuration": "interval 7 days",
        },
    )
    write_deltalake(str(path), batch(5, 5), mode="append")
    info = cdelta.DeltaTable(str(path)).snapshot_info()
    keys = {
        "table_uri",
        "version",
        "snapshot_timestamp",
        "min_reader_version",
        "min_writer_version",
        "reader_features",
        "writer_features",
        "table_properties",
        "schema_json",
        "partition_columns",
    }
    assert keys <= set(info), sorted(keys - set(info))
    rs = rs_table(path)
    protocol = rs.protocol()
    assert info["version"] == 1
    assert info["min_reader_version"] == protocol.min_reader_version
    assert info["min_writer_version"] == protocol.min_writer_version
    assert list(info["partition_columns"]) == ["flag"]
    props = info["table_properties"]
    assert props.get("delta.logRetentionDuration") == "interval 7 days", props
    schema = (
        json.loads(info["schema_json"])
        if isinstance(info["schema_json"], str)
        else info["schema_json"]
    )
    assert [f["name"] for f in schema["fields"]] == pa.schema(rs.schema().to_arrow()).names
    assert str(path.resolve()) in str(info["table_uri"]) or path.name in str(info["table_uri"])


# ---- SQL through register_delta -----------------------------------------------------------------

SQL = [
    "SELECT count(*) AS n, sum(id) AS s, min(name) AS lo, max(name) AS hi, count(score) AS c FROM t",
    "SELECT flag, count(*) AS n, sum(id) AS s FROM t GROUP BY flag ORDER BY flag",
    "SELECT day, count(*) AS n FROM t WHERE id > 7 GROUP BY day ORDER BY day",
    "SELECT p, count(*) AS n, max(id) AS m FROM t GROUP BY p ORDER BY p NULLS FIRST",
]


@pytest.fixture(scope="module")
def sql_table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sql") / "t"
    data = batch(0, 40)
    data = data.append_column(
        "p", pa.array([None if i % 10 == 9 else f"p{i % 3}" for i in range(40)])
    )
    write_deltalake(str(path), data, partition_by=["p"])
    rs_table(path).delete("id % 5 = 0")
    write_deltalake(str(path), data.slice(0, 10), mode="append")
    return path


@pytest.mark.parametrize("version", [None, 0, 1])
@pytest.mark.parametrize("sql", SQL, ids=[f"q{i}" for i in range(len(SQL))])
def test_sql_over_register_delta(sql_table, sql, version):
    duckdb = pytest.importorskip("duckdb")
    from duckdb_compare import assert_same_result

    ctx = ca.SessionContext()
    ctx.register_delta("t", str(sql_table), version=version)
    got = ctx.sql(sql).to_arrow()
    con = duckdb.connect()
    con.register("t", rs_rows(sql_table, version))
    assert_same_result(got, con, sql, ordered="ORDER BY" in sql)


def test_register_delta_by_timestamp(travel_table):
    ctx = ca.SessionContext()
    ctx.register_delta("t", str(travel_table), timestamp=T0 + STEP + datetime.timedelta(minutes=1))
    got = ctx.sql("SELECT count(*) AS n, sum(id) AS s FROM t").to_arrow().to_pylist()
    want = rs_rows(travel_table, 1)
    assert got == [{"n": want.num_rows, "s": sum(want.column("id").to_pylist())}]


# ---- bad input ----------------------------------------------------------------------------------


@pytest.fixture
def small_table(tmp_path) -> Path:
    path = tmp_path / "outer" / "inner" / "t"
    path.parent.mkdir(parents=True)
    write_deltalake(str(path), batch(0, 5))
    write_deltalake(str(path), batch(5, 5), mode="append")
    write_deltalake(str(path), batch(10, 5), mode="append")
    return path


@pytest.mark.parametrize("where", ["append", "replace-add"])
def test_corrupt_commit_json(small_table, where):
    log = _log_path(small_table, 2)
    if where == "append":
        log.write_text(log.read_text() + '{"add": {"path": "x.parquet", "size": \n')
    else:
        lines = log.read_text().splitlines()
        lines = [line[: len(line) // 2] if '"add"' in line else line for line in lines]
        log.write_text("\n".join(lines) + "\n")
    assert_delta_error(dg.read_in_child(small_table), f"corrupt commit ({where})")
    check_version(small_table, 1)  # versions before the corrupt commit stay readable


def test_missing_data_file(small_table):
    add = next(
        json.loads(line)["add"]
        for line in _log_path(small_table, 1).read_text().splitlines()
        if '"add"' in line
    )
    (small_table / add["path"]).unlink()
    assert_delta_error(dg.read_in_child(small_table), "missing data file")
    check_version(small_table, 0)


def test_version_gap(small_table):
    write_deltalake(str(small_table), batch(20, 5), mode="append")
    _log_path(small_table, 1).unlink()
    assert_delta_error(dg.read_in_child(small_table, op="snapshot"), "gap in the log")
    assert_delta_error(dg.read_in_child(small_table), "gap in the log")


def test_not_a_delta_table(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_delta_error(dg.read_in_child(tmp_path / "empty", op="snapshot"), "no _delta_log")
    assert_delta_error(dg.read_in_child(tmp_path / "missing", op="snapshot"), "no such folder")


@pytest.mark.parametrize(
    "add_path", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "sub/../../../etc/passwd"]
)
def test_add_path_outside_the_table_root(small_table, tmp_path, add_path):
    """An add path climbing out of the table root fails typed, and nothing outside is opened. A
    valid Parquet file with the table's schema waits at the target, so a reader that follows the
    path would succeed."""
    # <tmp>/outer/inner/t/../../etc/passwd is <tmp>/outer/etc/passwd
    target = small_table.parent.parent / "etc" / "passwd"
    target.parent.mkdir()
    import pyarrow.parquet as pq

    pq.write_table(batch(666, 1, tag="stolen"), target)
    commit = {
        "add": {
            "path": add_path,
            "partitionValues": {},
            "size": target.stat().st_size,
            "modificationTime": 1700000000000,
            "dataChange": True,
        }
    }
    info = {"commitInfo": {"timestamp": 1700000000000, "operation": "WRITE"}}
    _log_path(small_table, 3).write_text(json.dumps(info) + "\n" + json.dumps(commit) + "\n")
    strace = shutil.which("strace")
    trace = tmp_path / "strace.log" if strace else None
    report = dg.read_in_child(small_table, strace_log=trace)
    assert_delta_error(report, f"add path {add_path!r}")
    if trace is not None and trace.exists():
        forbidden = {os.path.normpath(target), "/etc/passwd"}
        opened = [
            line
            for line in trace.read_text().splitlines()
            if (m := re.search(r'open(?:at2?)?\((?:[^,]+, )?"([^"]*)"', line))
            and os.path.normpath(os.path.join(os.getcwd(), m.group(1))) in forbidden
        ]
        assert not opened, "opened outside the table root:\n" + "\n".join(opened[:5])


# ---- random histories (few, deterministic examples) ---------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 6)),
        st.tuples(st.just("overwrite"), st.integers(0, 4)),
        st.tuples(st.just("delete"), st.integers(2, 5)),
        st.tuples(st.just("update"), st.integers(2, 5)),
        st.tuples(st.just("checkpoint"), st.just(0)),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS, partitioned=st.booleans())
def test_random_history(tmp_path_factory, ops, partitioned):
    path = tmp_path_factory.mktemp("random") / "t"
    parts = ["flag"] if partitioned else None
    write_deltalake(str(path), batch(0, 8), partition_by=parts)
    start = 100
    for op, n in ops:
        if op == "append":
            write_deltalake(str(path), batch(start, n), mode="append", partition_by=parts)
        elif op == "overwrite":
            write_deltalake(str(path), batch(start, n), mode="overwrite", partition_by=parts)
        elif op == "delete":
            rs_table(path).delete(f"id % {n} = 0")
        elif op == "update":
            rs_table(path).update(updates={"name": f"'u{n}'"}, predicate=f"id % {n} = 1")
        else:
            rs_table(path).create_checkpoint()
        start += 10
    check_every_version(path)
