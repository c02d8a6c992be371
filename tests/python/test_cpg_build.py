"""The Code Property Graph of the fixture repository (tests/python/fixtures/extract_repo, see
test_extract.py), built end to end by build_cpg (extraction, Delta evidence, run_build of the
CPG spec): nodes and edges checked by hand and against ast, the syntax-error file, props,
determinism across output directories, and the `build` and `query` commands."""

import ast
import hashlib
import json
import pathlib

import pytest

from codeanatomy import cli
from codeanatomy.cpg import CPG_OUTPUTS, EDGE_KINDS, NODE_KINDS, build_cpg, build_cpg_spec
from codeanatomy.delta import DeltaTable
from codeanatomy.engine import parse_and_validate_spec

FIXTURE = pathlib.Path(__file__).resolve().parent / "fixtures" / "extract_repo"
SOURCES = ("app.py", "pkg/__init__.py", "pkg/models.py", "pkg/util.py")
SORT_KEYS = {"cpg_nodes": ("node_id",), "cpg_edges": ("edge_id",), "cpg_props_map": ("entity_id",),
             "cpg_edges_by_src": ("edge_id",), "cpg_edges_by_dst": ("edge_id",),
             "cpg_props": ("entity_id", "prop_key")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("cpg")
    stages = []
    summary = build_cpg(FIXTURE, out, profile="small",
                        progress=lambda stage, done, total: stages.append((stage, done, total)))
    return {"out": out, "summary": summary, "stages": stages}


@pytest.fixture(scope="module")
def graph(built):
    return Graph(built["out"])


class Graph:
    """The written tables as rows, with lookups by id."""

    def __init__(self, out):
        self.tables = {name: DeltaTable(str(out / name)).to_arrow() for name in CPG_OUTPUTS}
        self.nodes = {n["node_id"]: n for n in self.tables["cpg_nodes"].to_pylist()}
        self.edges = self.tables["cpg_edges"].to_pylist()
        self.props = {(p["entity_id"], p["prop_key"]): p
                      for p in self.tables["cpg_props"].to_pylist()}

    def qualified_name(self, node_id):
        return self.props[(node_id, "qualified_name")]["value_string"]

    def node(self, kind, *, path=None, name=None, qualified_name=None):
        found = [n for n in self.nodes.values() if n["node_kind"] == kind
                 and (path is None or n["path"] == path) and (name is None or n["name"] == name)
                 and (qualified_name is None
                      or self.qualified_name(n["node_id"]) == qualified_name)]
        assert len(found) == 1, (kind, path, name, qualified_name, found)
        return found[0]

    def edges_of(self, kind):
        return [e for e in self.edges if e["edge_kind"] == kind]

    def describe(self, node_id):
        """A node as (kind, path, name), or its qualified name for definitions."""
        node = self.nodes[node_id]
        if (node_id, "qualified_name") in self.props:
            return (node["node_kind"], self.qualified_name(node_id))
        return (node["node_kind"], node["path"], node["name"])


def source(path):
    return (FIXTURE / path).read_bytes()


def ast_counts():
    """Nodes per kind of the parsable files, counted with ast (plus one FILE per file)."""
    counts = {"FILE": len(SOURCES) + 1, "MODULE": len(SOURCES)}
    for path in SOURCES:
        for node in ast.walk(ast.parse(source(path))):
            kind = {ast.ClassDef: "CLASS", ast.FunctionDef: "FUNCTION",
                    ast.AsyncFunctionDef: "FUNCTION", ast.arg: "PARAMETER", ast.Call: "CALL",
                    ast.Name: "NAME_REF", ast.alias: "IMPORT"}.get(type(node))
            if kind is not None:
                counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_nodes_per_kind_are_the_fixture_ones(built, graph):
    expected = {"FILE": 5, "MODULE": 4, "CLASS": 3, "FUNCTION": 13, "PARAMETER": 13,
                "IMPORT": 6, "CALL": 12, "NAME_REF": 31}
    assert built["summary"]["nodes_by_kind"] == expected == ast_counts()
    assert set(expected) == set(NODE_KINDS)
    assert len(graph.nodes) == graph.tables["cpg_nodes"].num_rows == 87  # ids are unique
    for kind, path, name in [
        ("FILE", "broken.py", "broken.py"), ("FILE", "pkg/util.py", "pkg/util.py"),
        ("MODULE", "pkg/__init__.py", "pkg"), ("MODULE", "pkg/models.py", "models"),
        ("CLASS", "pkg/models.py", "Model"), ("CLASS", "pkg/util.py", "Local"),
        ("FUNCTION", "pkg/models.py", "inner"), ("FUNCTION", "pkg/util.py", "registered"),
        ("PARAMETER", "pkg/models.py", "suffix"), ("PARAMETER", "app.py", "argv"),
        ("IMPORT", "pkg/models.py", "h"), ("IMPORT", "pkg/models.py", "osp"),
        ("CALL", "pkg/models.py", "util.helper"), ("CALL", "pkg/util.py", "str(value).upper"),
        ("NAME_REF", "pkg/models.py", "COUNT"),
    ]:
        graph.node(kind, path=path, name=name)


def test_nodes_keep_the_evidence_spans_and_paths(graph):
    for node in graph.nodes.values():
        src = source(node["path"])
        assert node["path"] and node["file_id"] == "file:" + hashlib.blake2b(
            node["path"].encode(), digest_size=16).hexdigest()
        assert 0 <= node["bstart"] <= node["bend"] <= len(src)
        text = src[node["bstart"]:node["bend"]]
        if node["node_kind"] in ("NAME_REF", "PARAMETER"):
            assert text == node["name"].encode()
        elif node["node_kind"] == "CALL":
            assert text.startswith(node["name"].encode() + b"(")
        elif node["node_kind"] in ("FILE", "MODULE"):
            assert (node["bstart"], node["bend"]) == (0, len(src))
    helper = graph.node("IMPORT", name="h")
    assert source("pkg/models.py")[helper["bstart"]:helper["bend"]] == b"helper as h"


def test_calls_through_local_names_and_imports(graph):
    got = {(graph.nodes[e["src_node_id"]]["path"], graph.nodes[e["src_node_id"]]["name"],
            graph.qualified_name(e["dst_node_id"]), e["resolution_method"],
            round(e["confidence"], 6))
           for e in graph.edges_of("CALLS")}
    assert got == {
        # by name among the file's definitions
        ("pkg/models.py", "inner", "pkg.models.Model.helped.<locals>.inner", "local_name", 1.0),
        ("pkg/models.py", "self.describe", "pkg.models.Base.describe", "local_name", 1.0),
        ("pkg/models.py", "model.path", "pkg.models.Model.path", "local_name", 1.0),
        # `from .util import helper as h`, then h(value)
        ("pkg/models.py", "h", "pkg.util.helper", "import", 0.9),
        # `from . import util`, then util.helper(...)
        ("pkg/models.py", "util.helper", "pkg.util.helper", "import", 0.9),
        # `from pkg import Model`, which pkg/__init__.py re-exports from .models
        ("app.py", "Model", "pkg.models.Model", "import_reexport", 0.8),
    }
    # osp.join goes through an import of os.path, outside the repository: no local guess
    join = graph.node("CALL", name="osp.join")
    assert not [e for e in graph.edges if e["src_node_id"] == join["node_id"]]


def test_contains_defines_and_imports(graph):
    helped = graph.node("FUNCTION", qualified_name="pkg.models.Model.helped")
    inner = graph.node("FUNCTION", name="inner")
    contains = {(e["src_node_id"], e["dst_node_id"]): e for e in graph.edges_of("CONTAINS")}
    edge = contains[(helped["node_id"], inner["node_id"])]
    assert (edge["path"], edge["bstart"], edge["bend"]) == ("pkg/models.py", inner["bstart"],
                                                            inner["bend"])
    for path, module in [("app.py", "app"), ("pkg/__init__.py", "pkg"),
                         ("pkg/models.py", "pkg.models"), ("pkg/util.py", "pkg.util")]:
        file_node = graph.node("FILE", path=path)
        module_node = graph.node("MODULE", qualified_name=module)
        assert (file_node["node_id"], module_node["node_id"]) in contains
    # every definition but the modules has exactly one parent; plus the four files' modules
    assert len(contains) == len(graph.edges_of("CONTAINS")) == 29 + 4

    defines = {(graph.describe(e["src_node_id"]), graph.describe(e["dst_node_id"]))
               for e in graph.edges_of("DEFINES")}
    assert (("MODULE", "pkg.models"), ("IMPORT", "pkg/models.py", "h")) in defines
    assert (("FUNCTION", "pkg.models.Model.helped"),
            ("FUNCTION", "pkg.models.Model.helped.<locals>.inner")) in defines
    # `global registered` inside install(): the module's name, though nested in install
    assert (("MODULE", "pkg.util"), ("FUNCTION", "pkg.util.registered")) in defines
    assert (("FUNCTION", "pkg.util.install"), ("FUNCTION", "pkg.util.registered")) not in \
        defines
    assert len(defines) == 29 + 6  # every nested definition and every import

    imports = sorted((graph.describe(e["src_node_id"]), graph.nodes[e["dst_node_id"]]["name"])
                     for e in graph.edges_of("IMPORTS"))
    assert imports == [(("MODULE", "app"), "Model"), (("MODULE", "app"), "sys"),
                       (("MODULE", "pkg"), "Model"), (("MODULE", "pkg.models"), "h"),
                       (("MODULE", "pkg.models"), "osp"), (("MODULE", "pkg.models"), "util")]


def test_imports_resolve_to_repository_definitions(graph):
    got = {(graph.describe(e["src_node_id"]), graph.describe(e["dst_node_id"]),
            e["resolution_method"]) for e in graph.edges_of("RESOLVES_TO")}
    assert got == {
        (("IMPORT", "app.py", "Model"), ("CLASS", "pkg.models.Model"), "import_reexport"),
        (("IMPORT", "pkg/__init__.py", "Model"), ("CLASS", "pkg.models.Model"), "import"),
        (("IMPORT", "pkg/models.py", "util"), ("MODULE", "pkg.util"), "import"),
        (("IMPORT", "pkg/models.py", "h"), ("FUNCTION", "pkg.util.helper"), "import"),
    }


def test_inherits_from(graph):
    [edge] = graph.edges_of("INHERITS_FROM")
    assert graph.describe(edge["src_node_id"]) == ("CLASS", "pkg.models.Model")
    assert graph.describe(edge["dst_node_id"]) == ("CLASS", "pkg.models.Base")
    assert (edge["resolution_method"], edge["confidence"]) == ("local_name", 1.0)


def test_references_resolve_through_the_scope_chain(graph):
    def referenced(path, name):
        found = {graph.describe(e["dst_node_id"]) for e in graph.edges_of("REFERENCES")
                 if graph.nodes[e["src_node_id"]]["path"] == path
                 and graph.nodes[e["src_node_id"]]["name"] == name}
        return found

    # a parameter of the enclosing function; an import of the module, seen from a nested
    # function; a module-level function used as a decorator in a class body
    assert referenced("pkg/models.py", "value") == {
        ("PARAMETER", "pkg.models.Model.helped.<locals>.inner.value")}
    assert referenced("pkg/models.py", "h") == {("IMPORT", "pkg/models.py", "h")}
    assert referenced("pkg/models.py", "traced") == {("FUNCTION", "pkg.models.traced")}
    assert referenced("pkg/models.py", "Base") == {("CLASS", "pkg.models.Base")}
    assert referenced("pkg/util.py", "Local") == {("CLASS", "pkg.util.factory.<locals>.Local")}
    # each method's `self` is its own parameter
    describe_self = graph.node("PARAMETER", qualified_name="pkg.models.Base.describe.self")
    assert all(graph.nodes[e["dst_node_id"]]["node_kind"] == "PARAMETER"
               and e["dst_node_id"] != describe_self["node_id"]
               for e in graph.edges_of("REFERENCES")
               if graph.nodes[e["src_node_id"]]["name"] == "self")
    # builtins and names bound only by assignment have no binding node; Store refs no edge
    resolved = {e["src_node_id"] for e in graph.edges_of("REFERENCES")}
    unresolved = sorted((n["path"], n["name"]) for n in graph.nodes.values()
                        if n["node_kind"] == "NAME_REF" and n["node_id"] not in resolved
                        and graph.props[(n["node_id"], "ctx")]["value_string"] == "Load")
    assert unresolved == [("app.py", "model"), ("app.py", "print"), ("pkg/models.py", "LABEL"),
                          ("pkg/models.py", "len"), ("pkg/util.py", "str")]
    assert len(resolved) == len(graph.edges_of("REFERENCES")) == 22


def test_edges_are_well_formed(built, graph):
    assert built["summary"]["edges_by_kind"] == {
        "CALLS": 6, "CONTAINS": 33, "DEFINES": 35, "IMPORTS": 6, "INHERITS_FROM": 1,
        "REFERENCES": 22, "RESOLVES_TO": 4}
    assert set(built["summary"]["edges_by_kind"]) == set(EDGE_KINDS)
    assert len({e["edge_id"] for e in graph.edges}) == len(graph.edges)
    for e in graph.edges:
        assert e["src_node_id"] in graph.nodes and e["dst_node_id"] in graph.nodes, e
        parts = "\x1f".join([e["edge_kind"], e["src_node_id"], e["dst_node_id"]])
        assert e["edge_id"] == "edge:" + hashlib.blake2b(parts.encode(),
                                                          digest_size=16).hexdigest()
        assert e["path"] == graph.nodes[e["src_node_id"]]["path"]
        assert e["origin"] and e["resolution_method"]
        assert 0 < e["confidence"] <= 1 and e["score"] == e["confidence"]
    columns = graph.tables["cpg_edges"].column_names
    assert columns == ["edge_id", "edge_kind", "src_node_id", "dst_node_id", "origin",
                       "resolution_method", "confidence", "score", "path", "bstart", "bend"]
    for table, key in (("cpg_edges_by_src", "src_node_id"), ("cpg_edges_by_dst", "dst_node_id")):
        rows = graph.tables[table].to_pylist()
        assert sorted(rows, key=lambda r: r["edge_id"]) == sorted(graph.edges,
                                                                   key=lambda r: r["edge_id"])
        assert [r[key] for r in rows] == sorted(r[key] for r in rows), table


def test_props(graph):
    def prop(node, key):
        return graph.props[(node["node_id"], key)]

    fetch = graph.node("FUNCTION", name="fetch")
    assert prop(fetch, "qualified_name")["value_string"] == "pkg.models.fetch"
    assert (prop(fetch, "is_async")["value_type"], prop(fetch, "is_async")["value_bool"]) == (
        "bool", True)
    assert prop(graph.node("FUNCTION", name="traced"), "is_async")["value_bool"] is False
    join = prop(graph.node("CALL", name="osp.join"), "n_args")
    assert (join["value_type"], join["value_int"], join["value_string"]) == ("int", 2, None)
    assert prop(graph.node("CALL", name="self.describe"), "n_args")["value_int"] == 0
    assert prop(graph.node("CLASS", name="Model"), "bases")["value_string"] == "Base"
    assert prop(graph.node("IMPORT", name="h"), "module")["value_string"] == "pkg.util"
    assert prop(graph.node("IMPORT", name="h"), "level")["value_int"] == 1
    definitions = [n for n in graph.nodes.values()
                   if n["node_kind"] in ("MODULE", "CLASS", "FUNCTION", "PARAMETER")]
    assert all((n["node_id"], "qualified_name") in graph.props for n in definitions)
    assert {p["entity_kind"] for p in graph.props.values()} == {"node"}


def test_the_syntax_error_file_is_a_file_node_and_a_diagnostic(built, graph):
    broken = graph.node("FILE", path="broken.py")
    assert [n for n in graph.nodes.values() if n["path"] == "broken.py"] == [broken]
    assert graph.props[(broken["node_id"], "diagnostic")]["value_string"].startswith("parse: ")
    [diagnostic] = built["summary"]["diagnostics"]
    assert (diagnostic["path"], diagnostic["kind"], diagnostic["stage"],
            diagnostic["line_no"]) == ("broken.py", "syntax_error", "parse", 1)


def test_summary_and_progress(built, graph):
    summary = built["summary"]
    assert summary["files"] == 5
    assert summary["lines"] == sum(source(p).count(b"\n") for p in (*SOURCES, "broken.py"))
    assert summary["nodes"] == 87 and summary["edges"] == 107
    assert summary["seconds"] > 0 and set(summary["stage_seconds"]) == {
        "extract", "write evidence", "build graph", "count"}
    outputs = {o["table_name"]: o["rows_written"] for o in summary["run_result"]["outputs"]}
    entities = {(p["entity_kind"], p["entity_id"]) for p in graph.props.values()}
    assert outputs == {"cpg_nodes": 87, "cpg_edges": 107, "cpg_props": 122,
                       "cpg_props_map": len(entities), "cpg_edges_by_src": 107,
                       "cpg_edges_by_dst": 107}
    assert built["stages"] == [("extract", 0, 4), ("write evidence", 1, 4),
                               ("build graph", 2, 4), ("count", 3, 4), ("done", 4, 4)]
    json.dumps(summary)  # plain data


def test_two_builds_are_identical(built, tmp_path):
    again = tmp_path / "elsewhere" / "out"
    build_cpg(str(FIXTURE), str(again), profile="medium")
    for name, keys in SORT_KEYS.items():
        first = DeltaTable(str(built["out"] / name)).to_arrow()
        second = DeltaTable(str(again / name)).to_arrow()
        order = [(k, "ascending") for k in keys]
        assert first.schema == second.schema, name
        assert first.sort_by(order).equals(second.sort_by(order)), name


def test_the_spec_is_a_valid_v4_spec(tmp_path):
    spec = build_cpg_spec(tmp_path / "evidence", tmp_path)
    canonical = parse_and_validate_spec(spec)
    assert canonical["version"] == 4
    views = {v["name"] for v in spec["view_definitions"]}
    assert len(views) == len(spec["view_definitions"])
    inputs = {r["logical_name"]: r["delta_location"] for r in spec["input_relations"]}
    assert inputs["definitions"] == str(tmp_path / "evidence" / "definitions")
    for view in spec["view_definitions"]:
        assert set(view["view_dependencies"]) <= views, view["name"]
    targets = {t["table_name"]: t for t in spec["output_targets"]}
    assert set(targets) == set(CPG_OUTPUTS)
    for name, target in targets.items():
        assert target["delta_location"] == str(tmp_path / name)
        assert target["source_view"] in views


def test_cli_build_json_and_query(tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli.main(["build", str(FIXTURE), "--out", str(out), "--profile", "small",
                     "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["nodes_by_kind"]["CALL"] == 12 and summary["edges_by_kind"]["CALLS"] == 6
    assert summary["files"] == 5 and captured.err == ""

    assert cli.main(["query", str(out), "SELECT edge_kind, count(*) AS n FROM cpg_edges "
                     "WHERE edge_kind IN ('CALLS', 'INHERITS_FROM') GROUP BY edge_kind "
                     "ORDER BY edge_kind"]) == 0
    text = capsys.readouterr().out
    lines = [line.replace(" ", "") for line in text.splitlines()]
    assert "|CALLS|6|" in lines and "|INHERITS_FROM|1|" in lines and "(2rows)" in lines
    # the evidence tables are there too
    assert cli.main(["query", str(out), "SELECT count(*) AS n FROM diagnostics"]) == 0
    assert "|1|" in capsys.readouterr().out.replace(" ", "")
    assert cli.main(["query", str(out), "SELECT * FROM cpg_nodez"]) == 1
    assert "UNKNOWN_TABLE" in capsys.readouterr().err
    assert cli.main(["query", str(tmp_path / "empty"), "SELECT 1"]) == 2


def test_cli_build_shows_stages_and_a_summary(tmp_path, capsys):
    assert cli.main(["build", str(FIXTURE), "--out", str(tmp_path / "out"),
                     "--profile", "small"]) == 0
    captured = capsys.readouterr()
    assert "build graph" in captured.err and "4/4 done" in captured.err
    assert captured.out.startswith("5 files, 74 lines -> 87 nodes, 107 edges in ")
    assert "CALLS 6" in captured.out and "skipped broken.py:1" in captured.out
    assert cli.main(["build", str(tmp_path / "absent"), "--out", str(tmp_path / "x")]) == 1
    assert "not a directory" in capsys.readouterr().err


def test_props_map_holds_each_entitys_props_as_json(graph):
    value_column = {"string": "value_string", "int": "value_int", "float": "value_float",
                    "bool": "value_bool"}
    expected = {}
    for p in graph.props.values():
        expected.setdefault(p["entity_id"], {})[p["prop_key"]] = p[value_column[p["value_type"]]]
    rows = graph.tables["cpg_props_map"].to_pylist()
    assert {r["entity_id"]: json.loads(r["props"]) for r in rows} == expected
    for r in rows:
        assert r["prop_count"] == len(expected[r["entity_id"]])
        assert list(json.loads(r["props"])) == sorted(expected[r["entity_id"]])


def test_self_calls_resolve_to_the_methods_of_their_own_class(tmp_path):
    """`self.m()` in a method of C goes to C's own m (receiver_class, 1.0); an inherited m is
    left to the by-name rule (1/n over the file's definitions named m)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shapes.py").write_text(
        "class A:\n"
        "    def describe(self):\n        return 'a'\n"
        "    def show(self):\n        return self.describe()\n"
        "class B:\n"
        "    def describe(self):\n        return 'b'\n"
        "    @classmethod\n    def make(cls):\n        return cls.describe(cls)\n"
        "class C(A):\n"
        "    def run(self):\n        return self.describe()\n"
        "def describe():\n    return None\n")
    build_cpg(repo, tmp_path / "out", profile="small")
    g = Graph(tmp_path / "out")
    calls = {}
    for e in g.edges_of("CALLS"):
        caller = g.nodes[e["src_node_id"]]
        calls.setdefault(caller["bstart"], []).append(
            (g.qualified_name(e["dst_node_id"]), e["resolution_method"],
             round(e["confidence"], 3)))
    text = (repo / "shapes.py").read_bytes()
    at = {text.index(b"self.describe()"): "A.show",
          text.index(b"cls.describe(cls)"): "B.make",
          text.rindex(b"self.describe()"): "C.run"}
    got = {at[k]: sorted(v) for k, v in calls.items()}
    assert got == {
        "A.show": [("shapes.A.describe", "receiver_class", 1.0)],
        "B.make": [("shapes.B.describe", "receiver_class", 1.0)],
        "C.run": sorted([("shapes.A.describe", "local_name", 0.333),
                         ("shapes.B.describe", "local_name", 0.333),
                         ("shapes.describe", "local_name", 0.333)]),
    }
