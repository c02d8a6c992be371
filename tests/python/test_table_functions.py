"""Table functions (CONTRACTS §5): read_delta, read_delta_cdf, delta_snapshot and
delta_add_actions, in SQL (``FROM f(...)``) and through ``ctx.table_function``, natively and
through the first-party plugin (every test runs both ways); their rows equal
delta-rs's own answers (DeltaTable.version/metadata/protocol/get_add_actions/load_cdf), they
join with registered tables, and their errors are typed."""

from __future__ import annotations

import json
from pathlib import Path

import delta_golden as dg
import deltalake
import pyarrow as pa
import pytest

from codeanatomy import SessionContext
from codeanatomy.errors import EngineExecutionError

COLS = ["id", "p", "v"]
CDF_COLS = ["id", "p", "v", "_change_type", "_commit_version"]


@pytest.fixture()
def table(tmp_path) -> str:
    """Versions: 0 create (partitioned by p, change data feed on), 1 append, 2 delete (removes
    and change data files), 3 append with a null partition value."""
    path = str(tmp_path / "t")
    data = pa.table({"id": pa.array(range(12), pa.int64()),
                     "p": [f"p{i % 3}" for i in range(12)],
                     "v": [float(i) / 4 for i in range(12)]})
    deltalake.write_deltalake(path, data, partition_by=["p"], name="things",
                              description="test things",
                              configuration={"delta.enableChangeDataFeed": "true"})
    deltalake.write_deltalake(path, data.slice(0, 4), mode="append")
    deltalake.DeltaTable(path).delete("id % 5 = 1")
    deltalake.write_deltalake(path, pa.table({"id": pa.array([100, 101], pa.int64()),
                                              "p": pa.array([None, None], pa.string()),
                                              "v": [1.0, 2.0]}), mode="append")
    return path


@pytest.fixture(params=["native", "plugin"])
def ctx(request) -> SessionContext:
    """Every test runs twice: with the native bundle, and in a session that has only the
    first-party plugin's functions (its table functions bridged through the ABI)."""
    c = SessionContext()
    if request.param == "native":
        c.install_codeanatomy_udfs()
    else:
        from codeanatomy.plugins import load_plugin, plugin_library_path

        c.register_plugin_udfs(load_plugin(plugin_library_path()))
    return c


def _rows(t: pa.Table, cols=COLS) -> list[tuple]:
    return sorted((tuple(r[c] for c in cols) for r in t.to_pylist()),
                  key=lambda r: tuple((x is None, "" if x is None else str(x)) for x in r))


def _rs(path: str, version: int | None = None) -> deltalake.DeltaTable:
    return deltalake.DeltaTable(path, version=version)


def _rs_adds(path: str, version: int | None = None) -> dict[str, dict]:
    adds = pa.table(_rs(path, version).get_add_actions(flatten=False)).to_pylist()
    return {a["path"]: a for a in adds}


# ---- read_delta -------------------------------------------------------------------------------


def test_read_delta_equals_delta_rs_at_every_version(ctx, table):
    latest = _rs(table).version()
    assert latest == 3
    want = _rows(_rs(table).to_pyarrow_table())
    assert _rows(ctx.sql(f"SELECT * FROM read_delta('{table}')").to_arrow()) == want
    assert _rows(ctx.table_function("read_delta", table).to_arrow()) == want
    assert _rows(ctx.table_function("read_delta", Path(table), None).to_arrow()) == want
    for v in range(latest + 1):
        want = _rows(_rs(table, v).to_pyarrow_table())
        assert _rows(ctx.sql(f"SELECT * FROM read_delta('{table}', {v})").to_arrow()) == want
        assert _rows(ctx.table_function("read_delta", table, v).to_arrow()) == want
        assert _rows(ctx.table_function("READ_DELTA", table, pa.scalar(v, pa.int8()))
                     .to_arrow()) == want


def test_read_delta_filters_projects_and_aggregates(ctx, table):
    got = ctx.sql(f"SELECT p, count(*) AS n, sum(id) AS s FROM read_delta('{table}', 2) "
                  "WHERE id >= 2 GROUP BY p ORDER BY p").to_arrow().to_pylist()
    base = _rs(table, 2).to_pyarrow_table().to_pylist()
    want = {}
    for r in base:
        if r["id"] >= 2:
            n, s = want.get(r["p"], (0, 0))
            want[r["p"]] = (n + 1, s + r["id"])
    assert [(r["p"], r["n"], r["s"]) for r in got] == [(p, *want[p]) for p in sorted(want)]
    df = ctx.table_function("read_delta", table)
    df = df.filter(df.parse_sql_expr("p = 'p1'")).select("id")
    assert sorted(df.to_arrow()["id"].to_pylist()) == sorted(
        r["id"] for r in _rs(table).to_pyarrow_table().to_pylist() if r["p"] == "p1")


def test_aliases_rename_relation_and_columns(ctx, table):
    got = ctx.sql(f"SELECT t.a, t.b FROM read_delta('{table}', 0) AS t(a, b) "
                  "WHERE t.a < 3").to_arrow()
    assert got.column_names == ["a", "b"]
    assert sorted(zip(got["a"].to_pylist(), got["b"].to_pylist())) == [
        (0, "p0"), (1, "p1"), (2, "p2")]


# ---- read_delta_cdf ---------------------------------------------------------------------------


def test_read_delta_cdf_equals_delta_rs(ctx, table):
    for start, end in [(0, None), (0, 1), (1, 2), (2, 2), (2, 3)]:
        theirs = pa.table(_rs(table).load_cdf(starting_version=start, ending_version=end))
        want = _rows(theirs, CDF_COLS)
        args = f"'{table}', {start}" + ("" if end is None else f", {end}")
        sql = ctx.sql(f"SELECT * FROM read_delta_cdf({args})").to_arrow()
        assert _rows(sql, CDF_COLS) == want, (start, end)
        call = (table, start) if end is None else (table, start, end)
        assert _rows(ctx.table_function("read_delta_cdf", *call).to_arrow(), CDF_COLS) == want
    got = ctx.sql(f"SELECT * FROM read_delta_cdf('{table}', 0)").to_arrow()
    assert set(got["_change_type"].to_pylist()) == {"insert", "delete"}
    assert "_commit_timestamp" in got.column_names


def test_read_delta_cdf_range_errors_and_allow_out_of_range(ctx, table):
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql(f"SELECT * FROM read_delta_cdf('{table}', 9)").to_arrow()
    assert (e.value.stage, e.value.code) == ("delta", "CHANGE_RANGE_OUT_OF_BOUNDS")
    got = ctx.sql(f"SELECT * FROM read_delta_cdf('{table}', 9, NULL, true)").to_arrow()
    assert got.num_rows == 0
    with pytest.raises(EngineExecutionError) as e:
        ctx.table_function("read_delta_cdf", table, 2, 1).to_arrow()
    assert (e.value.stage, e.value.code) == ("delta", "INVALID_CHANGE_RANGE")


# ---- delta_snapshot ---------------------------------------------------------------------------


def _check_snapshot(row: dict, path: str, version: int | None) -> None:
    rs = _rs(path, version)
    meta, protocol = rs.metadata(), rs.protocol()
    adds = _rs_adds(path, version)
    assert row["version"] == rs.version()
    assert row["id"] == meta.id
    assert row["name"] == meta.name
    assert row["description"] == meta.description
    assert row["partition_columns"] == list(meta.partition_columns)
    assert dict(row["configuration"]) == dict(meta.configuration)
    assert row["min_reader_version"] == protocol.min_reader_version
    assert row["min_writer_version"] == protocol.min_writer_version
    assert row["reader_features"] == (None if protocol.reader_features is None
                                      else list(protocol.reader_features))
    assert (sorted(row["writer_features"]) if row["writer_features"] is not None else None) == (
        None if protocol.writer_features is None else sorted(protocol.writer_features))
    assert json.loads(row["schema_string"]) == json.loads(rs.schema().to_json())
    created = row["created_time"]
    assert int(created.timestamp() * 1000) == meta.created_time
    assert row["num_files"] == len(adds)
    assert row["size_bytes"] == sum(a["size_bytes"] for a in adds.values())


def test_delta_snapshot_equals_delta_rs(ctx, table):
    for v in [None, 0, 1, 2, 3]:
        arg = "" if v is None else f", {v}"
        rows = ctx.sql(f"SELECT * FROM delta_snapshot('{table}'{arg})").to_arrow().to_pylist()
        assert len(rows) == 1
        _check_snapshot(rows[0], table, v)
        call = (table,) if v is None else (table, v)
        (row,) = ctx.table_function("delta_snapshot", *call).to_arrow().to_pylist()
        _check_snapshot(row, table, v)
    schema = ctx.table_function("delta_snapshot", table).schema()
    assert schema.field("partition_columns").type == pa.list_(pa.string())
    assert schema.field("configuration").type == pa.map_(pa.string(), pa.string())
    assert schema.field("reader_features").type == pa.list_(pa.string())


def test_delta_snapshot_with_table_features(ctx, tmp_path):
    path = str(tmp_path / "dv")
    deltalake.write_deltalake(path, pa.table({"a": [1, 2]}),
                              configuration={"delta.enableDeletionVectors": "true"})
    (row,) = ctx.table_function("delta_snapshot", path).to_arrow().to_pylist()
    _check_snapshot(row, path, None)
    assert "deletionVectors" in row["reader_features"]
    assert row["name"] is None and row["description"] is None


# ---- delta_add_actions ------------------------------------------------------------------------


def _check_adds(rows: list[dict], path: str, version: int | None) -> None:
    theirs = _rs_adds(path, version)
    assert sorted(r["path"] for r in rows) == sorted(theirs)
    for r in rows:
        t = theirs[r["path"]]
        assert r["size_bytes"] == t["size_bytes"]
        assert int(r["modification_time"].timestamp() * 1000) == t["modification_time"]
        assert r["num_records"] == t["num_records"]
        assert r["data_change"] is True
        assert r["has_deletion_vector"] is False
        parts = dict(r["partition_values"])
        assert parts == {k: (None if v is None else str(v)) for k, v in t["partition"].items()}
        stats = json.loads(r["stats"])
        assert stats["numRecords"] == t["num_records"]
        assert stats["minValues"] == {k: v for k, v in t["min"].items() if v is not None}
        assert stats["maxValues"] == {k: v for k, v in t["max"].items() if v is not None}
        assert stats["nullCount"] == t["null_count"]


def test_delta_add_actions_equal_delta_rs(ctx, table):
    for v in [None, 0, 1, 2, 3]:
        arg = "" if v is None else f", {v}"
        rows = ctx.sql(f"SELECT * FROM delta_add_actions('{table}'{arg})").to_arrow().to_pylist()
        _check_adds(rows, table, v)
        call = (table,) if v is None else (table, v)
        _check_adds(ctx.table_function("delta_add_actions", *call).to_arrow().to_pylist(),
                    table, v)
    schema = ctx.table_function("delta_add_actions", table).schema()
    assert schema.names == ["path", "size_bytes", "modification_time", "data_change",
                            "partition_values", "num_records", "stats", "has_deletion_vector"]
    assert schema.field("modification_time").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("partition_values").type == pa.map_(pa.string(), pa.string())
    # The delete at version 2 removed files: they are gone from the listing.
    before = {r["path"] for r in ctx.table_function("delta_add_actions", table, 1)
              .to_arrow().to_pylist()}
    after = {r["path"] for r in ctx.table_function("delta_add_actions", table, 2)
             .to_arrow().to_pylist()}
    assert before - after


@pytest.mark.skipif(not dg.golden_available(), reason="golden Delta tables not present")
def test_delta_add_actions_flags_deletion_vectors(ctx, tmp_path):
    root = str(dg.GoldenTables(Path(tmp_path)).table_dir("dv-partitioned-with-checkpoint"))
    rows = ctx.table_function("delta_add_actions", root).to_arrow().to_pylist()
    flagged = {r["path"] for r in rows if r["has_deletion_vector"]}
    assert flagged and len(flagged) < len(rows) + 1
    try:
        dvs = pa.table(deltalake.DeltaTable(root).deletion_vectors()).to_pylist()
    except Exception as exc:  # noqa: BLE001 - delta-rs may not read every golden table
        pytest.skip(f"delta-rs cannot list this table's deletion vectors: {exc}")
    theirs = {d["filepath"] for d in dvs}
    assert len(theirs) == len(flagged)
    assert all(any(t.endswith(p) for t in theirs) for p in flagged)


# ---- joins --------------------------------------------------------------------------------------


def test_joins_with_registered_tables_and_other_calls(ctx, table):
    ctx.register_arrow("owners", pa.table({"p": ["p0", "p1"], "owner": ["ann", "bob"]}))
    got = ctx.sql(f"SELECT r.id, o.owner FROM read_delta('{table}') r "
                  "JOIN owners o ON o.p = r.p").to_arrow()
    base = _rs(table).to_pyarrow_table().to_pylist()
    owners = {"p0": "ann", "p1": "bob"}
    assert sorted(zip(got["id"].to_pylist(), got["owner"].to_pylist())) == sorted(
        (r["id"], owners[r["p"]]) for r in base if r["p"] in owners)
    # Comma join on a WHERE equality, and two calls joined with each other.
    got = ctx.sql(f"SELECT s.version, a.path FROM delta_snapshot('{table}') s, "
                  f"delta_add_actions('{table}') a WHERE s.num_files > 0").to_arrow()
    assert set(got["version"].to_pylist()) == {3}
    assert sorted(got["path"].to_pylist()) == sorted(_rs_adds(table))
    got = ctx.sql(f"SELECT count(*) AS n FROM read_delta('{table}', 0) a "
                  f"JOIN read_delta('{table}', 3) b ON a.id = b.id").to_arrow()
    v0 = {r["id"] for r in _rs(table, 0).to_pyarrow_table().to_pylist()}
    v3 = [r["id"] for r in _rs(table, 3).to_pyarrow_table().to_pylist()]
    assert got["n"].to_pylist() == [sum(1 for i in v3 if i in v0)]
    # The DataFrame API: a call joins like any table.
    joined = ctx.table_function("read_delta", table).join(ctx.table("owners"), on="p")
    assert joined.count() == sum(1 for r in base if r["p"] in owners)


# ---- errors -------------------------------------------------------------------------------------


def test_missing_table_keeps_the_delta_error(ctx, tmp_path):
    missing = str(tmp_path / "nope")
    for fn in ["read_delta", "delta_snapshot", "delta_add_actions"]:
        with pytest.raises(EngineExecutionError) as sql_error:
            ctx.sql(f"SELECT * FROM {fn}('{missing}')").to_arrow()
        with pytest.raises(EngineExecutionError) as call_error:
            ctx.table_function(fn, missing).to_arrow()
        assert sql_error.value.stage == call_error.value.stage == "delta"
        assert sql_error.value.code == call_error.value.code
        assert sql_error.value.code in {"NOT_A_DELTA_TABLE", "TABLE_NOT_FOUND"}


def test_missing_version_is_a_delta_error(ctx, table):
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql(f"SELECT * FROM read_delta('{table}', 42)").to_arrow()
    assert (e.value.stage, e.value.code) == ("delta", "VERSION_NOT_FOUND")


def test_bad_arguments_name_function_and_parameter(ctx, table):
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql(f"SELECT * FROM read_delta('{table}', 'latest')")
    assert (e.value.stage, e.value.code) == ("sql", "INVALID_TABLE_FUNCTION_ARGUMENT")
    assert e.value.details["function"] == "read_delta"
    assert e.value.details["parameter"] == "version"
    assert e.value.details["column"] == 15
    with pytest.raises(EngineExecutionError) as e:
        ctx.table_function("read_delta", 42)
    assert (e.value.stage, e.value.code) == ("planning", "INVALID_TABLE_FUNCTION_ARGUMENT")
    assert e.value.details["parameter"] == "uri"
    with pytest.raises(EngineExecutionError) as e:
        ctx.table_function("read_delta", table, True)
    assert e.value.details["parameter"] == "version"
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql(f"SELECT * FROM read_delta('{table}', 1, 2)")
    assert (e.value.stage, e.value.code) == ("sql", "WRONG_ARITY")
    assert e.value.details["function"] == "read_delta"
    with pytest.raises(EngineExecutionError) as e:
        ctx.table_function("read_delta_cdf", table)
    assert (e.value.stage, e.value.code) == ("planning", "WRONG_ARITY")
    assert e.value.details["function"] == "read_delta_cdf"
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql("SELECT * FROM read_delta(NULL)")
    assert e.value.code == "INVALID_TABLE_FUNCTION_ARGUMENT"
    assert e.value.details["parameter"] == "uri"


def test_non_constant_arguments_are_refused_with_position(ctx, table):
    ctx.register_arrow("uris", pa.table({"uri": [table]}))
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql("SELECT * FROM uris, read_delta(uris.uri)")
    assert (e.value.stage, e.value.code) == ("sql", "NON_CONSTANT_ARGUMENT")
    assert e.value.details["parameter"] == "uri"
    assert (e.value.details["line"], e.value.details["column"]) == (1, 32)
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql("SELECT * FROM read_delta((SELECT uri FROM uris))")
    assert e.value.code == "NON_CONSTANT_ARGUMENT"
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql("SELECT * FROM uris, LATERAL read_delta(uris.uri)")
    assert e.value.code == "NOT_SUPPORTED"
    # Constant expressions are folded.
    half = table[: len(table) // 2]
    rest = table[len(table) // 2:]
    got = ctx.sql(f"SELECT count(*) AS n FROM read_delta('{half}' || '{rest}', 1 + 1)").to_arrow()
    assert got["n"].to_pylist() == [_rs(table, 2).to_pyarrow_table().num_rows]


def test_unknown_function_suggests_names(ctx):
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql("SELECT * FROM read_detla('x')")
    assert (e.value.stage, e.value.code) == ("sql", "UNKNOWN_TABLE_FUNCTION")
    assert "read_delta" in e.value.details["candidates"]
    assert "did you mean" in e.value.message
    with pytest.raises(EngineExecutionError) as e:
        ctx.table_function("delta_snapshots", "x")
    assert (e.value.stage, e.value.code) == ("planning", "UNKNOWN_TABLE_FUNCTION")
    assert e.value.details["candidates"][0] == "delta_snapshot"


def test_functions_come_with_the_bundle(table):
    bare = SessionContext()
    with pytest.raises(EngineExecutionError) as e:
        bare.sql(f"SELECT * FROM read_delta('{table}')")
    assert e.value.code == "UNKNOWN_TABLE_FUNCTION"
    from codeanatomy import _native

    bare.install_codeanatomy_udfs()
    assert set(_native.table_function_names(bare._ctx)) >= {
        "read_delta", "read_delta_cdf", "delta_snapshot", "delta_add_actions"}


def test_plugin_table_functions_are_bridged_and_described_as_natively(table):
    from codeanatomy import _native, registry_snapshot
    from codeanatomy.plugins import load_plugin, plugin_library_path

    native = SessionContext()
    native.install_codeanatomy_udfs()
    via_plugin = SessionContext()
    names = via_plugin.register_plugin_udfs(load_plugin(plugin_library_path()))
    assert names[-4:] == ["read_delta", "read_delta_cdf", "delta_snapshot", "delta_add_actions"]
    assert set(_native.table_function_names(via_plugin._ctx)) >= set(names[-4:])
    # The plugin's descriptors give the same signatures, parameter names and docs.
    assert registry_snapshot(via_plugin) == registry_snapshot(native)
    q = ("SELECT r.name, r.parameter_names, r.signatures, d.doc FROM udf_registry() r "
         "JOIN udf_docs() d ON r.name = d.name WHERE r.kind = 'table'")
    assert via_plugin.sql(q).to_arrow().sort_by("name") == native.sql(q).to_arrow().sort_by("name")
    # A scan through the plugin's provider prunes as natively does.
    sql = f"SELECT id, v FROM read_delta('{table}', 3) WHERE p = 'p1' ORDER BY id"
    assert via_plugin.sql(sql).to_arrow() == native.sql(sql).to_arrow()
