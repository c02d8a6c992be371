"""run_build end to end (CONTRACTS §1–3): input Delta tables written by delta-rs, a v4 spec with
Filter, Relate, Union, Aggregate and Project views, outputs written as Delta by codeanatomy and
read back by delta-rs; every output checked against DuckDB running the same query over the same
data. Errors: each stage and code, with the path."""

from __future__ import annotations

import json
import shutil
import time

import duckdb
import pyarrow as pa
import pytest

deltalake = pytest.importorskip("deltalake")

from codeanatomy.engine import (  # noqa: E402
    EngineExecutionError,
    parse_and_validate_spec,
    run_build,
    spec_hash_hex,
)

FILES = pa.table({
    "file_id": ["f1", "f2", "f3", "f4"],
    "path": ["a.py", "b.py", "c.md", "d.py"],
    "language": ["python", "python", "markdown", "python"],
})
SYMBOLS = pa.table({
    "file_id": ["f1", "f1", "f2", "f3", "f9"],
    "symbol": ["main", "helper", "Model", "Title", "orphan"],
    "size": pa.array([10, 4, 30, 1, 7], pa.int64()),
})


@pytest.fixture
def inputs(tmp_path):
    files, symbols = tmp_path / "in_files", tmp_path / "in_symbols"
    deltalake.write_deltalake(str(files), FILES)
    deltalake.write_deltalake(str(symbols), SYMBOLS)
    return {"files": str(files), "symbols": str(symbols), "out": tmp_path / "out"}


def _view(name, transform, deps=(), columns=None):
    return {"name": name, "view_kind": transform["kind"].lower(), "view_dependencies": list(deps),
            "transform": transform, "output_schema": {"columns": columns or {}}}


def _spec(inputs, **overrides):
    out = inputs["out"]
    spec = {
        "version": 4,
        "input_relations": [
            {"logical_name": "files", "delta_location": inputs["files"]},
            {"logical_name": "symbols", "delta_location": inputs["symbols"]},
        ],
        "view_definitions": [
            _view("py_files", {"kind": "Filter", "source": "files",
                               "predicate": "language = 'python'"},
                  columns={"file_id": "Utf8", "path": "Utf8"}),
            _view("file_symbols", {"kind": "Relate", "left": "py_files", "right": "symbols",
                                   "join_type": "Inner",
                                   "join_keys": [{"left_key": "file_id",
                                                  "right_key": "file_id"}]},
                  deps=["py_files"]),
            _view("sizes", {"kind": "Aggregate", "source": "file_symbols", "group_by": ["path"],
                            "aggregations": [{"column": "size", "function": "sum",
                                              "alias": "total"},
                                             {"column": "*", "function": "count",
                                              "alias": "n"}]},
                  deps=["file_symbols"]),
            _view("names", {"kind": "Union", "sources": ["files_named", "other_named"],
                            "discriminator_column": "origin", "distinct": False},
                  deps=["files_named", "other_named"]),
            _view("files_named", {"kind": "Project", "source": "py_files",
                                  "columns": ["file_id", "path"]}),
            _view("other_files", {"kind": "Filter", "source": "files",
                                  "predicate": "language <> 'python'"}),
            _view("other_named", {"kind": "Project", "source": "other_files",
                                  "columns": ["file_id", "path"]}),
        ],
        "join_graph": {"edges": [], "constraints": []},
        "output_targets": [
            {"table_name": "file_symbols", "source_view": "file_symbols",
             "delta_location": str(out / "file_symbols"),
             "columns": ["file_id", "path", "symbol", "size"]},
            {"table_name": "sizes", "source_view": "sizes", "delta_location": str(out / "sizes"),
             "columns": [], "partition_by": ["path"]},
            {"table_name": "names", "source_view": "names", "delta_location": str(out / "names"),
             "columns": [], "write_metadata": {"team": "graph"}},
        ],
        "rule_intents": [{"name": "span_integrity", "class": "SemanticIntegrity", "params": {}},
                         {"name": "no_cross_join", "class": "Safety", "params": {}}],
        "rulepack_profile": "Default",
    }
    spec.update(overrides)
    return spec


def _duck(sql):
    con = duckdb.connect()
    con.register("files", FILES)
    con.register("symbols", SYMBOLS)
    return con.sql(sql).to_arrow_table()


def _rows(table, keys):
    return sorted(table.select(keys).to_pylist(), key=lambda r: tuple(str(r[k]) for k in keys))


def test_outputs_equal_duckdb_and_are_read_by_delta_rs(inputs):
    response = run_build({"spec_json": _spec(inputs), "engine_profile": "small"})
    assert response["contract_version"] == 3
    out = inputs["out"]
    joined = deltalake.DeltaTable(str(out / "file_symbols")).to_pyarrow_table()
    expected = _duck("SELECT f.file_id, f.path, s.symbol, s.size FROM files f JOIN symbols s "
                     "ON f.file_id = s.file_id WHERE f.language = 'python'")
    assert joined.column_names == ["file_id", "path", "symbol", "size"]
    assert _rows(joined, joined.column_names) == _rows(expected, joined.column_names)
    sizes = deltalake.DeltaTable(str(out / "sizes"))
    assert sizes.metadata().partition_columns == ["path"]
    expected = _duck("SELECT f.path, sum(s.size) AS total, count(*) AS n FROM files f JOIN "
                     "symbols s ON f.file_id = s.file_id WHERE f.language = 'python' "
                     "GROUP BY f.path")
    assert _rows(sizes.to_pyarrow_table(), ["path", "total", "n"]) == \
        _rows(expected, ["path", "total", "n"])
    names = deltalake.DeltaTable(str(out / "names")).to_pyarrow_table()
    expected = _duck("SELECT file_id, path, 'files_named' AS origin FROM files WHERE language = "
                     "'python' UNION ALL SELECT file_id, path, 'other_named' FROM files "
                     "WHERE language <> 'python'")
    assert names.column_names == ["file_id", "path", "origin"]
    assert _rows(names, names.column_names) == _rows(expected, names.column_names)
    # The response reports what each write did.
    by_name = {o["table_name"]: o for o in response["run_result"]["outputs"]}
    assert by_name["file_symbols"]["rows_written"] == 3
    assert by_name["sizes"]["partition_count"] == 2  # a.py and b.py
    assert by_name["names"]["rows_written"] == 4
    for o in response["outputs"]:
        outcome = o["write_outcome"]
        assert outcome["status"] == "captured"
        assert outcome["delta_version"] == 0
        table = deltalake.DeltaTable(o["delta_location"])
        adds = pa.table(table.get_add_actions(flatten=True)).to_pydict()
        assert outcome["files_added"] == len(adds["path"])
        assert outcome["bytes_written"] == sum(adds["size_bytes"])


def test_commits_carry_the_run_identity(inputs):
    spec = _spec(inputs)
    response = run_build({"spec_json": json.dumps(spec)})
    result = response["run_result"]
    assert result["spec_hash"] == spec_hash_hex(spec)
    for name in ("file_symbols", "names"):
        commit = deltalake.DeltaTable(str(inputs["out"] / name)).history()[0]
        assert commit["codeanatomy.spec_hash"] == result["spec_hash"]
        assert commit["codeanatomy.envelope_hash"] == result["envelope_hash"]
        assert commit["codeanatomy.rulepack_fingerprint"] == result["rulepack_fingerprint"]
        assert commit["codeanatomy.rulepack_profile"] == "Default"
        assert commit["codeanatomy.run_started_at"] == result["started_at"]
    assert deltalake.DeltaTable(str(inputs["out"] / "names")).history()[0]["team"] == "graph"
    # Default drops Safety rules; Strict keeps them and adds strict_safety.
    assert response["artifacts"]["manifest"]["active_rules"] == ["span_integrity"]
    strict = run_build({"spec_json": _spec(inputs, rulepack_profile="Strict")})
    assert strict["artifacts"]["manifest"]["active_rules"] == [
        "span_integrity", "no_cross_join", "strict_safety"]
    assert strict["run_result"]["rulepack_fingerprint"] != result["rulepack_fingerprint"]


def test_a_second_run_overwrites_and_append_appends(inputs):
    spec = _spec(inputs)
    run_build({"spec_json": spec})
    second = run_build({"spec_json": spec})
    by_name = {o["table_name"]: o for o in second["outputs"]}
    assert by_name["file_symbols"]["write_outcome"]["delta_version"] == 1
    assert deltalake.DeltaTable(str(inputs["out"] / "file_symbols")).to_pyarrow_table().num_rows \
        == 3
    spec["output_targets"][0]["materialization_mode"] = "Append"
    run_build({"spec_json": spec})
    assert deltalake.DeltaTable(str(inputs["out"] / "file_symbols")).to_pyarrow_table().num_rows \
        == 6


def test_same_meaning_same_hash_and_runtime_warnings(inputs):
    spec = _spec(inputs)
    text = json.dumps(spec, indent=2, sort_keys=True)
    with_defaults = dict(spec, runtime={}, typed_parameters=[])
    assert spec_hash_hex(text) == spec_hash_hex(spec) == spec_hash_hex(with_defaults)
    assert parse_and_validate_spec(spec)["output_targets"][0]["materialization_mode"] == \
        "Overwrite"
    response = run_build({"spec_json": spec, "runtime": {"capture_optimizer_lab": True},
                          "orchestration": {"include_run_bundle": True}})
    [warning] = response["warnings"]
    assert (warning["code"], warning["context"]["field"]) == ("RUNTIME_FLAG_IGNORED",
                                                             "runtime.capture_optimizer_lab")
    bundles = response["run_result"]["plan_bundles"]
    assert [b["table_name"] for b in bundles] == ["file_symbols", "sizes", "names"]
    assert all(b["plan_text"] and len(b["plan_fingerprint"]) == 64 for b in bundles)


def test_plan_bundles_carry_substrait_that_replays_to_the_written_rows(inputs):
    """capture_substrait: each output's plan as Substrait (base64), replayed on a fresh session
    over the same inputs, gives the rows that were written; lineage names what was read."""
    import base64

    from codeanatomy import SessionContext
    from codeanatomy.substrait import lineage_from_substrait, replay_substrait_plan

    response = run_build({"spec_json": _spec(inputs), "runtime": {"capture_substrait": True}})
    assert response["warnings"] == []
    bundles = {b["table_name"]: b for b in response["run_result"]["plan_bundles"]}
    ctx = SessionContext()
    ctx.register_delta("files", inputs["files"])
    ctx.register_delta("symbols", inputs["symbols"])
    for table in ("file_symbols", "sizes", "names"):
        data = base64.b64decode(bundles[table]["substrait"])
        replayed = replay_substrait_plan(ctx, data).to_arrow()
        written = deltalake.DeltaTable(str(inputs["out"] / table)).to_pyarrow_table()
        keys = written.schema.names
        assert _rows(replayed, keys) == _rows(written, keys), table
        assert lineage_from_substrait(data) == bundles[table]["lineage"]
    lineage = bundles["file_symbols"]["lineage"]
    assert lineage["referenced_tables"] == ["files", "symbols"]
    assert lineage["required_columns"]["files"] == ["file_id", "language", "path"]


@pytest.mark.parametrize("request_json, code, path", [
    ("[1]", "INVALID_RUN_BUILD_REQUEST", "$"),
    ("{}", "RUN_BUILD_REQUEST_MISSING_SPEC_JSON", "$.spec_json"),
    ('{"spec_json": 4}', "INVALID_RUN_BUILD_REQUEST", "$.spec_json"),
    ('{"spec_json": "{}", "colour": 1}', "INVALID_RUN_BUILD_REQUEST", "$.colour"),
    ('{"spec_json": "{}", "orchestration": {"include_manifest": 1}}',
     "INVALID_RUN_BUILD_REQUEST", "$.orchestration.include_manifest"),
])
def test_bad_requests(request_json, code, path):
    with pytest.raises(EngineExecutionError) as e:
        run_build(request_json)
    assert (e.value.stage, e.value.code, e.value.details["path"]) == ("validation", code, path)


def test_bad_specs_name_the_field(inputs):
    spec = _spec(inputs)
    spec["view_definitions"][0]["transform"]["predicat"] = "x"
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert (e.value.stage, e.value.code) == ("validation", "INVALID_SPEC_JSON")
    assert e.value.details["path"] == "$.view_definitions[0].transform.predicat"
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": _spec(inputs, version=3)})
    assert (e.value.code, e.value.details["minimum"]) == ("SPEC_VERSION_UNSUPPORTED", 4)
    with pytest.raises(ValueError):
        run_build({"spec_json": _spec(inputs), "engine_profile": "huge"})


def test_views_that_do_not_plan_fail_at_compilation_with_the_view(inputs):
    spec = _spec(inputs)
    spec["view_definitions"][0]["transform"]["predicate"] = "langauge = 'python'"
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert (e.value.stage, e.value.code) == ("compilation", "UNKNOWN_COLUMN")
    assert e.value.details["view"] == "py_files"
    assert e.value.details["path"] == "$.view_definitions[0]"
    assert "language" in e.value.message  # the planner's suggestion survives
    spec = _spec(inputs)
    spec["view_definitions"][0]["output_schema"]["columns"]["size"] = "Int64"
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert (e.value.code, e.value.details["column"]) == ("OUTPUT_SCHEMA_MISMATCH", "size")
    spec = _spec(inputs)
    spec["view_definitions"][6]["transform"]["columns"] = ["file_id", "language"]
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert (e.value.code, e.value.details["view"], e.value.details["column"]) == (
        "UNION_COLUMN_MISSING", "names", "path")
    # Nothing was written by a run that failed to compile.
    assert not (inputs["out"] / "file_symbols").exists()


def test_a_missing_input_table_fails_before_any_write(inputs, tmp_path):
    spec = _spec(inputs)
    spec["input_relations"][1]["delta_location"] = str(tmp_path / "nowhere")
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert e.value.stage == "compilation"
    assert e.value.details["relation"] == "symbols"
    assert not (inputs["out"] / "file_symbols").exists()


def _cpg_spec(inputs, node_columns, edge_kind="EdgesBySrc"):
    out = inputs["out"]
    edge_columns = ["s.file_id || '>' || s.symbol AS edge_id", "'DEFINES' AS edge_kind",
                    "s.file_id AS src_node_id", "s.symbol AS dst_node_id",
                    "'test' AS origin", "'exact' AS resolution_method", "1 AS confidence",
                    "CAST(NULL AS DOUBLE) AS score", "'x.py' AS path", "0 AS bstart",
                    "s.size AS bend"]
    return _spec(
        inputs,
        view_definitions=[
            _view("file_nodes", {"kind": "Project", "source": "files", "columns": node_columns}),
            _view("nodes", {"kind": "CpgEmit", "output_kind": "Nodes",
                            "sources": ["file_nodes", "file_nodes"]}, deps=["file_nodes"]),
            _view("defines", {"kind": "Project", "source": "symbols",
                              "columns": [c.replace("s.", "") for c in edge_columns]}),
            _view("edges", {"kind": "CpgEmit", "output_kind": edge_kind,
                            "sources": ["defines"]}, deps=["defines"]),
        ],
        output_targets=[
            {"table_name": "cpg_nodes", "source_view": "nodes",
             "delta_location": str(out / "cpg_nodes"), "columns": []},
            {"table_name": "cpg_edges", "source_view": "edges",
             "delta_location": str(out / "cpg_edges"), "columns": []},
        ])


NODE_COLUMNS = ["file_id AS node_id", "'FILE' AS node_kind", "path", "0 AS bstart",
                "length(path) AS bend", "file_id", "upper(path) AS name"]


def test_cpg_emit_casts_its_sources_onto_the_cpg_columns(inputs):
    run_build({"spec_json": _cpg_spec(inputs, NODE_COLUMNS)})
    nodes = deltalake.DeltaTable(str(inputs["out"] / "cpg_nodes")).to_pyarrow_table()
    assert nodes.schema.names == ["node_id", "node_kind", "path", "bstart", "bend", "file_id",
                                  "name"]
    assert nodes.schema.field("bstart").type == pa.int64()  # the literal 0 is cast
    expected = _duck("SELECT file_id AS node_id, 'FILE' AS node_kind, path, 0 AS bstart, "
                     "length(path) AS bend, file_id, upper(path) AS name FROM files "
                     "UNION ALL SELECT file_id, 'FILE', path, 0, length(path), file_id, "
                     "upper(path) FROM files")
    assert _rows(nodes, nodes.schema.names) == _rows(expected, nodes.schema.names)
    edges = deltalake.DeltaTable(str(inputs["out"] / "cpg_edges")).to_pyarrow_table()
    assert edges.schema.field("confidence").type == pa.float64()
    src = edges.column("src_node_id").to_pylist()
    assert src == sorted(src) and len(src) == SYMBOLS.num_rows  # EdgesBySrc: ordered by source


def test_cpg_emit_names_a_missing_column(inputs):
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": _cpg_spec(inputs, NODE_COLUMNS[:-1])})
    assert (e.value.stage, e.value.code) == ("compilation", "CPG_COLUMN_MISSING")
    assert (e.value.details["view"], e.value.details["column"]) == ("nodes", "name")
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": _cpg_spec(inputs, NODE_COLUMNS, edge_kind="PropsMap")})
    assert e.value.code == "CPG_COLUMN_MISSING"  # PropsMap reads props, not edges
    assert e.value.details["column"] == "entity_kind"


def test_normalize_equals_duckdb_with_the_cpg_id_rule(inputs):
    """Normalize: text normalized (trim + NFKC), span struct, entity_id = stable_id_parts(view,
    ids..., bstart, bend); the id is worked out with hashlib."""
    import hashlib

    spec = _spec(inputs)
    spec["view_definitions"] = [
        _view("spans", {"kind": "Project", "source": "symbols",
                        "columns": ["file_id", "symbol", "size AS bstart",
                                    "size + 3 AS bend"]}),
        _view("symbols_norm", {"kind": "Normalize", "source": "spans",
                               "id_columns": ["file_id"], "span_columns": ["bstart", "bend"],
                               "text_columns": ["symbol"]}, deps=["spans"]),
    ]
    spec["output_targets"] = [{"table_name": "norm", "source_view": "symbols_norm",
                               "delta_location": str(inputs["out"] / "norm"), "columns": []}]
    run_build({"spec_json": json.dumps(spec)})
    got = deltalake.DeltaTable(str(inputs["out"] / "norm")).to_pyarrow_table()
    assert got.schema.names == ["file_id", "symbol", "bstart", "bend", "span", "entity_id"]
    expected = _duck("SELECT file_id, trim(nfc_normalize(symbol)) AS symbol, size AS bstart, "
                     "size + 3 AS bend FROM symbols")
    keys = ["file_id", "symbol", "bstart", "bend"]
    assert _rows(got, keys) == _rows(expected, keys)
    for row in got.to_pylist():
        text = "\x1f".join([row["file_id"], str(row["bstart"]), str(row["bend"])])
        digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        assert row["entity_id"] == "symbols_norm:" + digest
        assert (row["span"]["bstart"], row["span"]["bend"]) == (row["bstart"], row["bend"])


def test_compile_then_materialize_with_the_classes(inputs):
    from codeanatomy.engine import (
        CpgMaterializer,
        SemanticPlanCompiler,
        SessionFactory,
        compile_metadata_json,
    )

    factory = SessionFactory("small")
    spec = _spec(inputs)
    compiled = SemanticPlanCompiler(factory).compile(json.dumps(spec))
    assert compiled.spec_hash_hex() == spec_hash_hex(spec)
    # Every view after the views it reads; nothing written by compiling.
    schedule = compiled.task_schedule()
    assert sorted(schedule) == sorted(v["name"] for v in spec["view_definitions"])
    for view in spec["view_definitions"]:
        for dep in view["view_dependencies"]:
            assert schedule.index(dep) < schedule.index(view["name"])
    assert not inputs["out"].exists()
    metadata = json.loads(compile_metadata_json(factory, spec))
    views = {v["name"]: v for v in metadata["manifest"]["views"]}
    assert views["sizes"]["columns"] == {"path": "string", "total": "int64", "n": "int64"}
    assert [p["name"] for p in metadata["providers"]] == ["files", "symbols"]
    result = CpgMaterializer().execute(factory, compiled)
    assert result.to_dict()["run_result"]["envelope_hash"] == metadata["envelope_hash"]
    assert [o["table_name"] for o in result.outputs] == ["file_symbols", "sizes", "names"]
    assert json.loads(result.to_json())["contract_version"] == 3
    graph = {t["id"]: t for t in compiled.task_graph()}
    assert graph["output:sizes"]["depends_on"] == ["view:sizes"]
    assert graph["view:file_symbols"]["depends_on"] == ["input:symbols", "view:py_files"]
    assert [t["id"] for t in result.task_schedule] == [t["id"] for t in compiled.task_graph()]
    assert compiled.cached_views() == [] and result.metrics["cached_views"] == []
    assert [m["rows_written"] for m in result.metrics["outputs"]] == \
        [o["rows_written"] for o in result.outputs]
    assert result.critical_path["tasks"][-1].startswith("output:") and result.warnings == []
    assert deltalake.DeltaTable(str(inputs["out"] / "sizes")).to_pyarrow_table().num_rows == 2


def test_typed_parameters_equal_duckdb_with_the_same_values(inputs):
    """PlaceholderPos binds `$n` in the views' SQL; FilterEq filters an input relation."""
    spec = _spec(inputs)
    spec["view_definitions"][0]["transform"]["predicate"] = "language = $1"
    spec["typed_parameters"] = [
        {"label": "lang", "target": {"kind": "PlaceholderPos", "position": 1},
         "value": {"type": "Utf8", "value": "python"}},
        {"target": {"kind": "FilterEq", "base_table": "symbols", "filter_column": "file_id"},
         "value": {"type": "Utf8", "value": "f1"}},
    ]
    run_build({"spec_json": spec})
    got = deltalake.DeltaTable(str(inputs["out"] / "file_symbols")).to_pyarrow_table()
    expected = _duck("SELECT f.file_id, f.path, s.symbol, s.size FROM files f JOIN symbols s "
                     "ON f.file_id = s.file_id WHERE f.language = 'python' AND s.file_id = 'f1'")
    keys = ["file_id", "path", "symbol", "size"]
    assert _rows(got, keys) == _rows(expected, keys) and got.num_rows == 2
    spec["typed_parameters"][1]["target"]["filter_column"] = "colour"
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert (e.value.code, e.value.details["path"]) == ("PARAMETER_TARGET_NOT_FOUND",
                                                       "$.typed_parameters[1].target")


def test_strict_enforces_pushdown_contracts(inputs):
    spec = _spec(inputs)
    # stable_hash64 is a codeanatomy UDF: the Delta provider cannot prune with it.
    spec["view_definitions"][0]["transform"]["predicate"] = \
        "language = 'python' AND stable_hash64(path) > 0"
    response = run_build({"spec_json": spec})
    [warning] = [w for w in response["warnings"] if w["code"] == "PUSHDOWN_CONTRACT_VIOLATION"]
    assert (warning["stage"], warning["context"]["table_name"],
            warning["context"]["violation_count"]) == ("compliance", "files", 1)
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": dict(spec, rulepack_profile="Strict")})
    assert (e.value.stage, e.value.code) == ("compliance", "PUSHDOWN_CONTRACT_VIOLATION")
    assert (e.value.details["table_name"], e.value.details["violation_count"]) == ("files", 1)
    spec["view_definitions"][0]["transform"]["predicate"] = "language = 'python'"
    assert run_build({"spec_json": dict(spec, rulepack_profile="Strict")})["warnings"] == []


def test_maintenance_schedule_and_metrics(inputs):
    spec = _spec(inputs, maintenance={"checkpoint": {"tables": ["sizes"]},
                                      "metadata_cleanup": True,
                                      "constraints": [{"name": "c", "expr": "n > 0"}]})
    response = run_build({"spec_json": spec})
    result = response["run_result"]
    # checkpoint: a Delta checkpoint of the version just written, read back by delta-rs.
    [report] = [m for m in result["maintenance"] if m["operation"] == "checkpoint"]
    assert (report["table_name"], report["status"], report["version"]) == ("sizes", "done", 0)
    log = inputs["out"] / "sizes" / "_delta_log"
    assert (log / "00000000000000000000.checkpoint.parquet").exists()
    assert deltalake.DeltaTable(str(inputs["out"] / "sizes")).to_pyarrow_table().num_rows == 2
    # metadata_cleanup runs (nothing has expired); constraints is not available yet:
    # reported per output and as a warning, never silently.
    cleanup = [m for m in result["maintenance"] if m["operation"] == "metadata_cleanup"]
    assert [(m["status"], m["files"]) for m in cleanup] == [("done", 0)] * 3
    unavailable = [m for m in result["maintenance"] if m["operation"] == "constraints"]
    assert {m["status"] for m in unavailable} == {"unavailable"} and len(unavailable) == 3
    [warning] = [w for w in response["warnings"]
                 if w["code"] == "MAINTENANCE_OPERATION_UNAVAILABLE"]
    assert warning["context"] == {"operation": "constraints",
                                  "tables": ["file_symbols", "sizes", "names"]}
    # The schedule: every view after what it reads, outputs last on their chains.
    tasks = {t["id"]: t for t in result["task_schedule"]}
    order = [t["id"] for t in result["task_schedule"]]
    for t in result["task_schedule"]:
        assert all(order.index(d) < order.index(t["id"]) for d in t["depends_on"])
        assert all(tasks[d]["level"] < t["level"] for d in t["depends_on"])
    path = result["critical_path"]["tasks"]
    assert path[0].startswith("input:") and path[-1].startswith("output:")
    assert all(path[i] in tasks[path[i + 1]]["depends_on"] for i in range(len(path) - 1))
    metrics = result["collected_metrics"]
    assert [m["table_name"] for m in metrics["outputs"]] == ["file_symbols", "sizes", "names"]
    assert result["critical_path"]["seconds"] == max(m["seconds"] for m in metrics["outputs"])
    assert metrics["total_seconds"] >= metrics["compile_seconds"] > 0
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": _spec(inputs, maintenance={"checkpoint": {"tables": ["x"]}})})
    assert e.value.details["path"] == "$.maintenance.checkpoint.tables[0]"
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": _spec(inputs, maintenance={"defrag": True})})
    assert e.value.details["path"] == "$.maintenance.defrag"


def test_a_view_that_fails_while_running_is_a_pipeline_failure(inputs):
    spec = _spec(inputs)
    spec["view_definitions"][0]["transform"]["predicate"] = "CAST(path AS BIGINT) > 0"
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})  # plans (the cast is valid), fails on 'a.py'
    assert (e.value.stage, e.value.code) == ("runtime", "PIPELINE_EXECUTION_FAILED")
    assert (e.value.details["table_name"], e.value.details["path"]) == ("file_symbols",
                                                                        "$.output_targets[0]")
    assert not (inputs["out"] / "file_symbols" / "_delta_log").exists()  # nothing committed


def test_strict_verifies_join_graph_constraints_before_writing(inputs):
    spec = _spec(inputs, rulepack_profile="Strict")
    spec["join_graph"] = {
        "edges": [{"left_relation": "files", "right_relation": "symbols", "join_type": "Inner",
                   "left_keys": ["file_id"], "right_keys": ["file_id"]}],
        "constraints": [{"name": "file_pk", "constraint_type": "primary_key",
                         "relations": ["files"], "columns": ["file_id"]}]}
    # A Relate without keys takes the edge's.
    spec["view_definitions"][1]["transform"]["join_keys"] = []
    spec["view_definitions"][1]["transform"]["left"] = "files"
    spec["view_definitions"][1]["view_dependencies"] = []
    assert run_build({"spec_json": spec})["run_result"]["outputs"][0]["rows_written"] == \
        _duck("SELECT * FROM files f JOIN symbols s ON f.file_id = s.file_id").num_rows
    # symbols.file_id repeats f1: DuckDB counts the extra rows the same way.
    spec["join_graph"]["constraints"].append(
        {"name": "symbol_file_unique", "constraint_type": "unique", "relations": ["symbols"],
         "columns": ["file_id"]})
    extra = _duck("SELECT coalesce(sum(n - 1), 0) AS x FROM (SELECT count(*) AS n FROM symbols "
                  "GROUP BY file_id)").column("x")[0].as_py()
    for output in ("file_symbols", "sizes", "names"):
        shutil.rmtree(inputs["out"] / output, ignore_errors=True)
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert (e.value.stage, e.value.code) == ("compliance", "JOIN_CONSTRAINT_VIOLATION")
    assert (e.value.details["constraint"], e.value.details["violation_count"]) == (
        "symbol_file_unique", extra)
    assert not (inputs["out"] / "file_symbols").exists()  # checked before any write


def test_maintenance_vacuum_deletes_what_the_overwrite_replaced(inputs):
    spec = _spec(inputs)
    run_build({"spec_json": spec})
    old_files = {p.name for p in (inputs["out"] / "names").glob("*.parquet")}
    time.sleep(0.05)
    spec["maintenance"] = {"vacuum": {"retention_hours": 0, "enforce_retention_duration": False,
                                      "tables": ["names"]}}
    response = run_build({"spec_json": spec})  # overwrites, then vacuums the replaced file
    [report] = response["run_result"]["maintenance"]
    assert (report["table_name"], report["status"], report["files"]) == ("names", "done",
                                                                        len(old_files))
    left = {p.name for p in (inputs["out"] / "names").glob("*.parquet")}
    assert not (left & old_files)
    table = deltalake.DeltaTable(str(inputs["out"] / "names"))
    assert table.to_pyarrow_table().num_rows == FILES.num_rows
    spec["maintenance"] = {"vacuum": {"retention_hours": 0}}  # enforced: refused, as a warning
    response = run_build({"spec_json": spec})
    assert {m["status"] for m in response["run_result"]["maintenance"]} == {"failed"}
    assert {w["code"] for w in response["warnings"]} == {"MAINTENANCE_OPERATION_FAILED"}
    spec["maintenance"] = {"vacuum": {"retention": 0}}
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert e.value.details["path"] == "$.maintenance.vacuum.retention"


def test_maintenance_compact_packs_appended_files(inputs):
    spec = _spec(inputs)
    spec["output_targets"][2]["materialization_mode"] = "Append"
    run_build({"spec_json": spec})
    spec["maintenance"] = {"compact": {"tables": ["names"]}}
    response = run_build({"spec_json": spec})  # appends a second file, then packs the two
    [report] = response["run_result"]["maintenance"]
    assert (report["table_name"], report["status"], report["files"]) == ("names", "done", 2)
    table = deltalake.DeltaTable(str(inputs["out"] / "names"))
    assert report["version"] == table.version() == 2
    assert len(table.file_uris()) == 1 and table.to_pyarrow_table().num_rows == 2 * FILES.num_rows
    assert table.history(1)[0]["operation"] == "OPTIMIZE"
    spec["maintenance"] = {"compact": {"target_size": 0}}
    with pytest.raises(EngineExecutionError) as e:
        run_build({"spec_json": spec})
    assert e.value.details["path"] == "$.maintenance.compact.target_size"
