"""build_spec_json and the schema runtime (CONTRACTS §1, §3): a spec built from a semantic IR runs
through run_build and its Delta outputs equal DuckDB's result of the same query over the same
inputs (written with delta-rs); every error code names its path; the schema runtime's types are
the types delta-rs reads from the written outputs."""

from __future__ import annotations

import copy
import json

import duckdb
import pyarrow as pa
import pytest

deltalake = pytest.importorskip("deltalake")

from codeanatomy.context import SessionFactory  # noqa: E402
from codeanatomy.engine import EngineExecutionError, run_build, spec_hash_hex  # noqa: E402
from codeanatomy.spec_builder import SchemaRuntime, arrow_type, build_spec_json  # noqa: E402

FILES = pa.table({
    "file_id": ["f1", "f2", "f3", "f4"],
    "path": ["a.py", "b.py", "c.md", "d.py"],
    "language": ["python", "python", "markdown", "python"],
})
SYMBOLS = pa.table({
    "file_id": ["f1", "f1", "f2", "f3", "f9"],
    "symbol": ["main", "helper", "Model", "Title", "orphan"],
    "size": pa.array([10, 4, 30, 1, 7], pa.int64()),
    "score": pa.array([0.5, 1.0, 2.5, 0.0, 9.0], pa.float64()),
})

IR = {
    "ir_version": 1,
    "views": [
        {"name": "py_files", "kind": "filter", "inputs": ["files"],
         "predicate": "language = 'python'"},
        # keys from the join edge below
        {"name": "file_symbols", "kind": "relate", "inputs": ["py_files", "symbols"]},
        {"name": "sizes", "kind": "aggregate", "inputs": ["file_symbols"], "group_by": ["path"],
         "aggregations": [{"column": "size", "function": "sum", "alias": "total"},
                          {"column": "score", "function": "max", "alias": "best"},
                          {"column": "*", "function": "count", "alias": "n"}]},
        # keys from the columns both inputs declare in `datasets`
        {"name": "symbol_paths", "kind": "join", "inputs": ["symbols", "files"],
         "join_type": "left"},
        {"name": "size_report", "kind": "diagnostic", "inputs": ["sizes"]},
    ],
    "join_edges": [{"left_relation": "py_files", "right_relation": "symbols",
                    "left_keys": ["file_id"], "right_keys": ["file_id"]}],
    "datasets": {"files": {"columns": ["file_id", "path", "language"]},
                 "symbols": {"columns": ["file_id", "symbol", "size", "score"]}},
}


@pytest.fixture
def request_(tmp_path):
    files, symbols, out = tmp_path / "in_files", tmp_path / "in_symbols", tmp_path / "out"
    deltalake.write_deltalake(str(files), FILES)
    deltalake.write_deltalake(str(symbols), SYMBOLS)
    return {
        "input_locations": {"files": str(files), "symbols": str(symbols)},
        "output_targets": ["file_symbols", {"table_name": "sizes", "source_view": "sizes",
                                            "partition_by": ["path"]}, "symbol_paths"],
        "output_locations": {name: str(out / name)
                             for name in ("file_symbols", "sizes", "symbol_paths")},
    }


def _duck(sql):
    con = duckdb.connect()
    con.register("files", FILES)
    con.register("symbols", SYMBOLS)
    return con.sql(sql).to_arrow_table()


def _rows(table, keys):
    return sorted(table.select(keys).to_pylist(), key=lambda r: tuple(str(r[k]) for k in keys))


def _output(request, name):
    return deltalake.DeltaTable(request["output_locations"][name])


def test_a_built_spec_runs_and_its_outputs_equal_duckdb(request_):
    spec = json.loads(build_spec_json(IR, request_))
    assert [v["name"] for v in spec["view_definitions"]] == [
        "py_files", "file_symbols", "sizes", "symbol_paths"]  # the diagnostic view is left out
    relate = spec["view_definitions"][1]["transform"]
    assert relate["join_keys"] == [{"left_key": "file_id", "right_key": "file_id"}]
    response = run_build({"spec_json": spec, "engine_profile": "small"})
    assert response["run_result"]["spec_hash"] == spec_hash_hex(spec)

    joined = _output(request_, "file_symbols").to_pyarrow_table()
    expected = _duck("SELECT f.file_id, f.path, f.language, s.symbol, s.size, s.score FROM files f "
                     "JOIN symbols s ON f.file_id = s.file_id WHERE f.language = 'python'")
    assert joined.column_names == expected.column_names
    assert _rows(joined, joined.column_names) == _rows(expected, joined.column_names)

    sizes = _output(request_, "sizes")
    assert sizes.metadata().partition_columns == ["path"]
    expected = _duck("SELECT f.path, sum(s.size) AS total, max(s.score) AS best, count(*) AS n "
                     "FROM files f JOIN symbols s ON f.file_id = s.file_id "
                     "WHERE f.language = 'python' GROUP BY f.path")
    keys = ["path", "total", "best", "n"]
    assert _rows(sizes.to_pyarrow_table(), keys) == _rows(expected, keys)

    paths = _output(request_, "symbol_paths").to_pyarrow_table()
    expected = _duck("SELECT s.file_id, s.symbol, s.size, s.score, f.path, f.language "
                     "FROM symbols s LEFT JOIN files f ON s.file_id = f.file_id")
    assert paths.column_names == expected.column_names
    assert _rows(paths, paths.column_names) == _rows(expected, paths.column_names)


def test_the_same_ir_and_request_give_the_same_spec(request_):
    text = build_spec_json(json.dumps(IR, indent=1), json.dumps(request_))
    assert text == build_spec_json(IR, request_)
    assert json.loads(text)["rulepack_profile"] == "Default"
    strict = dict(request_, rulepack_profile="strict", runtime={"capture_substrait": True})
    spec = json.loads(build_spec_json(IR, strict))
    assert (spec["rulepack_profile"], spec["runtime"]["capture_substrait"]) == ("Strict", True)


def _edited(document, path, value):
    """`document` with the member at `path` (a list of keys and indexes) set to `value`, or
    deleted when value is ...."""
    out = copy.deepcopy(document)
    target = out
    for step in path[:-1]:
        target = target[step]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


@pytest.mark.parametrize("ir_edit, request_edit, code, path", [
    (None, None, "INVALID_SEMANTIC_IR_JSON", "$"),  # the IR is not JSON
    ((["ir_version"], 2), None, "INVALID_SEMANTIC_IR_JSON", "$.ir_version"),
    ((["views", 0, "columns"], ["a"]), None, "INVALID_SEMANTIC_IR_JSON", "$.views[0].columns"),
    ((["views"], []), None, "SEMANTIC_IR_MISSING_VIEWS", "$.views"),
    ((["views"], [{"name": "d", "kind": "diagnostic", "inputs": []}]), None,
     "SEMANTIC_IR_MISSING_EXECUTABLE_VIEWS", "$.views"),
    ((["views", 2, "kind"], "agg"), None, "VIEW_TRANSFORM_DERIVATION_FAILED",
     "$.views[2].kind"),
    ((["views", 0, "predicate"], ...), None, "VIEW_TRANSFORM_DERIVATION_FAILED",
     "$.views[0].predicate"),
    ((["views", 1, "inputs"], ["py_files"]), None, "VIEW_TRANSFORM_DERIVATION_FAILED",
     "$.views[1].inputs"),
    ((["datasets"], ...), None, "JOIN_EDGE_DERIVATION_FAILED", "$.views[3]"),
    (None, (["input_locations", "symbols"], ...), "INVALID_BUILD_SPEC_REQUEST",
     "$.input_locations.symbols"),
    (None, (["output_targets", 0], "size_report"), "INVALID_BUILD_SPEC_REQUEST",
     "$.output_targets[0]"),
    (None, (["engine_profile"], "small"), "INVALID_BUILD_SPEC_REQUEST", "$.engine_profile"),
    (None, (["runtime"], {"tuner_mode": "Sometimes"}), "INVALID_BUILD_SPEC_REQUEST",
     "$.runtime.tuner_mode"),
])
def test_errors_name_their_path(request_, ir_edit, request_edit, code, path):
    ir = "{" if ir_edit is None and request_edit is None else IR
    if ir_edit is not None:
        ir = _edited(IR, *ir_edit)
    request = request_ if request_edit is None else _edited(request_, *request_edit)
    with pytest.raises(EngineExecutionError) as err:
        build_spec_json(ir, request)
    assert (err.value.stage, err.value.code) == ("validation", code)
    assert err.value.details["path"] == path


def test_schema_runtime_types_are_the_types_delta_rs_reads(request_):
    spec = build_spec_json(IR, request_)
    runtime = SchemaRuntime.from_spec(SessionFactory("small"), spec)
    assert runtime.dataset_names() == ["files", "symbols", "py_files", "file_symbols", "sizes",
                                       "symbol_paths"]
    run_build({"spec_json": spec, "engine_profile": "small"})
    for name in ("file_symbols", "sizes", "symbol_paths"):
        written = pa.schema(_output(request_, name).schema().to_arrow())
        ours = runtime.arrow_schema(name)
        assert [(f.name, f.type) for f in ours] == [(f.name, f.type) for f in written], name
        assert runtime.dataset_schema(name)["kind"] == "output"
    # Inputs: the types of the tables delta-rs wrote.
    assert runtime.arrow_schema("symbols").types == [pa.string(), pa.string(), pa.int64(),
                                                     pa.float64()]
    files = runtime.dataset_schema("files")
    assert files["location"] == request_["input_locations"]["files"]
    assert files["contract"] == {"version_pin": None, "requires_lineage": False}
    sizes = runtime.dataset_schema("sizes")
    assert sizes["contract"]["partition_by"] == ["path"]
    assert runtime.dataset_schema("view:sizes")["contract"]["transform"] == "Aggregate"
    # The JSON reads back and is deterministic.
    again = SchemaRuntime.from_spec(SessionFactory("small"), spec)
    assert again.to_json() == runtime.to_json()
    assert SchemaRuntime.from_json(runtime.to_json()).dataset_names() == runtime.dataset_names()


def test_schema_runtime_errors(request_):
    runtime = SchemaRuntime.from_spec(None, build_spec_json(IR, request_))
    with pytest.raises(EngineExecutionError) as err:
        runtime.dataset_schema("size")
    assert (err.value.stage, err.value.code) == ("validation",
                                                 "SCHEMA_RUNTIME_DATASET_NAME_MISSING")
    assert err.value.details["name"] == "size"
    assert "sizes" in err.value.details["available"]
    with pytest.raises(EngineExecutionError) as err:
        SchemaRuntime.from_json("{")
    assert (err.value.code, err.value.details["path"]) == ("INVALID_SCHEMA_RUNTIME_JSON", "$")
    document = json.loads(runtime.to_json())
    document["datasets"][0]["columns"][1]["type"] = 7
    with pytest.raises(EngineExecutionError) as err:
        SchemaRuntime.from_json(json.dumps(document))
    assert err.value.details["path"] == "$.datasets[0].columns[1].type"


@pytest.mark.parametrize("arrow", [
    pa.int32(), pa.string(), pa.large_string(), pa.bool_(), pa.float64(), pa.date32(),
    pa.timestamp("us"), pa.timestamp("us", tz="UTC"), pa.decimal128(10, 2), pa.binary(),
    pa.list_(pa.int64()), pa.list_(pa.field("item", pa.string(), nullable=False)),
    pa.struct([("a", pa.int64()), ("b", pa.list_(pa.string()))]),
    pa.map_(pa.string(), pa.int64()), pa.duration("ms"),
])
def test_arrow_type_reads_arrows_type_text(arrow):
    assert arrow_type(str(arrow)) == arrow


def test_arrow_type_refuses_what_it_cannot_read():
    with pytest.raises(ValueError):
        arrow_type("dictionary<values=string, indices=int32, ordered=0>")
