"""Extraction of evidence tables from a hand-written fixture repository
(tests/python/fixtures/extract_repo): definitions, byte spans, imports, call sites, symbols,
diagnostics, the line index, determinism and the Delta round trip."""

import ast
import hashlib
import pathlib
import shutil

import pyarrow as pa
import pytest

from codeanatomy.extract import EVIDENCE_SCHEMAS, extract_repository, write_evidence

FIXTURE = pathlib.Path(__file__).resolve().parent / "fixtures" / "extract_repo"
SOURCES = ("app.py", "pkg/__init__.py", "pkg/models.py", "pkg/util.py")


@pytest.fixture(scope="module")
def tables():
    return extract_repository(FIXTURE)


def source(path):
    return (FIXTURE / path).read_bytes()


def file_ids(tables):
    return dict(zip(tables["repo_files"]["path"].to_pylist(),
                    tables["repo_files"]["file_id"].to_pylist()))


def rows(tables, name, path=None):
    out = tables[name].to_pylist()
    if path is not None:
        fid = file_ids(tables)[path]
        out = [row for row in out if row["file_id"] == fid]
    return out


def definition(tables, qualified_name, kind=None):
    found = [row for row in rows(tables, "definitions")
             if row["qualified_name"] == qualified_name and (kind is None or row["kind"] == kind)]
    assert len(found) == 1, found
    return found[0]


def test_tables_have_the_documented_schemas(tables):
    assert set(tables) == set(EVIDENCE_SCHEMAS)
    for name, table in tables.items():
        assert table.schema == EVIDENCE_SCHEMAS[name], name
    assert tables["definitions"].schema.field("bases").type == pa.list_(
        pa.field("element", pa.string()))


def test_definitions_are_exactly_the_fixture_ones(tables):
    got = {(row["kind"], row["qualified_name"]) for row in rows(tables, "definitions")}
    assert got == {
        ("MODULE", "app"),
        ("FUNCTION", "app.main"),
        ("PARAMETER", "app.main.argv"),
        ("MODULE", "pkg"),
        ("MODULE", "pkg.models"),
        ("FUNCTION", "pkg.models.traced"),
        ("PARAMETER", "pkg.models.traced.func"),
        ("CLASS", "pkg.models.Base"),
        ("FUNCTION", "pkg.models.Base.describe"),
        ("PARAMETER", "pkg.models.Base.describe.self"),
        ("CLASS", "pkg.models.Model"),
        ("FUNCTION", "pkg.models.Model.__init__"),
        ("PARAMETER", "pkg.models.Model.__init__.self"),
        ("PARAMETER", "pkg.models.Model.__init__.name"),
        ("FUNCTION", "pkg.models.Model.path"),
        ("PARAMETER", "pkg.models.Model.path.self"),
        ("PARAMETER", "pkg.models.Model.path.root"),
        ("FUNCTION", "pkg.models.Model.helped"),
        ("PARAMETER", "pkg.models.Model.helped.self"),
        ("FUNCTION", "pkg.models.Model.helped.<locals>.inner"),
        ("PARAMETER", "pkg.models.Model.helped.<locals>.inner.value"),
        ("FUNCTION", "pkg.models.label"),
        ("PARAMETER", "pkg.models.label.prefix"),
        ("PARAMETER", "pkg.models.label.suffix"),
        ("FUNCTION", "pkg.models.fetch"),
        ("PARAMETER", "pkg.models.fetch.model"),
        ("MODULE", "pkg.util"),
        ("FUNCTION", "pkg.util.helper"),
        ("PARAMETER", "pkg.util.helper.value"),
        ("FUNCTION", "pkg.util.install"),
        # declared `global` inside install(), so its __qualname__ is top-level
        ("FUNCTION", "pkg.util.registered"),
        ("FUNCTION", "pkg.util.factory"),
        ("CLASS", "pkg.util.factory.<locals>.Local"),
    }
    assert len(rows(tables, "definitions")) == len(got)


def test_definition_parents_and_flags(tables):
    by_id = {row["def_id"]: row for row in rows(tables, "definitions")}

    def parent(qualified_name, kind=None):
        return by_id[definition(tables, qualified_name, kind)["parent_def_id"]]["qualified_name"]

    assert definition(tables, "pkg.models", "MODULE")["parent_def_id"] is None
    assert parent("pkg.models.Model") == "pkg.models"
    assert parent("pkg.models.Model.path") == "pkg.models.Model"
    assert parent("pkg.models.Model.helped.<locals>.inner") == "pkg.models.Model.helped"
    assert parent("pkg.models.Model.helped.<locals>.inner.value") == (
        "pkg.models.Model.helped.<locals>.inner")
    assert parent("pkg.util.registered") == "pkg.util.install"  # lexically nested
    assert parent("pkg.util.factory.<locals>.Local") == "pkg.util.factory"
    assert definition(tables, "pkg.models.fetch")["is_async"] is True
    assert definition(tables, "pkg.models.Model.path")["is_async"] is False
    assert definition(tables, "pkg.models.Model")["bases"] == ["Base"]
    assert definition(tables, "pkg.models.Base")["bases"] == []
    assert definition(tables, "pkg.models.traced")["bases"] is None
    assert definition(tables, "pkg", "MODULE")["name"] == "pkg"
    assert definition(tables, "pkg.util", "MODULE")["name"] == "util"


def test_definition_spans_are_the_statement_bytes(tables):
    src = source("pkg/models.py")

    path = definition(tables, "pkg.models.Model.path")
    text = src[path["bstart"]:path["bend"]]
    assert text.startswith(b"@traced\n    def path(self, root):")  # decorators included
    assert text.endswith(b"return osp.join(root, self.name)")

    traced = definition(tables, "pkg.models.traced")
    assert traced["bstart"] == src.index(b"def traced(func):")
    assert traced["bend"] == src.index(b"return func") + len(b"return func")

    model = definition(tables, "pkg.models.Model")
    text = src[model["bstart"]:model["bend"]]
    assert text.startswith(b"class Model(Base):\n    def __init__(self, name):")
    assert text.endswith(b"return inner(util.helper(self.describe()))")

    fetch = definition(tables, "pkg.models.fetch")
    assert src[fetch["bstart"]:fetch["bend"]] == (
        b'async def fetch(model):\n    return model.path("/tmp")')

    inner = definition(tables, "pkg.models.Model.helped.<locals>.inner")
    assert src[inner["bstart"]:inner["bend"]] == (
        b"def inner(value):\n            return h(value)")

    module = definition(tables, "pkg.models", "MODULE")
    assert (module["bstart"], module["bend"]) == (0, len(src))

    for row in rows(tables, "definitions", "pkg/models.py"):
        if row["kind"] == "PARAMETER":
            assert src[row["bstart"]:row["bend"]] == row["name"].encode()


def test_offsets_after_a_non_ascii_literal_count_bytes(tables):
    src = source("pkg/models.py")
    text = src.decode("utf-8")

    # LABEL = "naïve café"; COUNT = len(LABEL): two two-byte characters before COUNT
    count = [row for row in rows(tables, "name_refs", "pkg/models.py") if row["name"] == "COUNT"]
    assert len(count) == 1 and count[0]["ctx"] == "Store"
    assert count[0]["bstart"] == src.index(b"COUNT")
    assert src[count[0]["bstart"]:count[0]["bend"]] == b"COUNT"
    line_start = src.index(b"LABEL =")
    assert count[0]["bstart"] - line_start == len("LABEL = \"naïve café\"; ".encode())
    assert text.index("COUNT") - text.index("LABEL =") == count[0]["bstart"] - line_start - 2

    loads = [row for row in rows(tables, "name_refs", "pkg/models.py")
             if row["name"] == "LABEL" and row["ctx"] == "Load"]
    assert [src[r["bstart"]:r["bend"]] for r in loads] == [b"LABEL"]
    assert loads[0]["bstart"] == src.index(b"len(LABEL)") + len(b"len(")

    # def label(prefix="ünï", suffix="código"): a parameter after non-ASCII defaults
    suffix = definition(tables, "pkg.models.label.suffix")
    assert suffix["bstart"] == src.index(b"suffix=")
    assert text.index("suffix=") != suffix["bstart"]


def test_name_refs_have_ctx_and_evaluation_scope(tables):
    models = rows(tables, "name_refs", "pkg/models.py")
    src = source("pkg/models.py")
    for row in models:
        assert src[row["bstart"]:row["bend"]] == row["name"].encode()

    def scope_of(name, ctx="Load"):
        found = {r["scope_def_id"] for r in models if r["name"] == name and r["ctx"] == ctx}
        assert len(found) == 1, (name, found)
        return found.pop()

    # the decorator is evaluated in the class body, the base class in the module
    assert scope_of("traced") == definition(tables, "pkg.models.Model")["def_id"]
    assert scope_of("Base") == definition(tables, "pkg.models", "MODULE")["def_id"]
    assert scope_of("h") == definition(tables, "pkg.models.Model.helped.<locals>.inner")["def_id"]
    assert scope_of("osp") == definition(tables, "pkg.models.Model.path")["def_id"]
    assert scope_of("inner") == definition(tables, "pkg.models.Model.helped")["def_id"]
    assert scope_of("COUNT", "Store") == definition(tables, "pkg.models", "MODULE")["def_id"]
    assert {r["ctx"] for r in models} == {"Load", "Store"}


def test_imports_are_resolved_to_absolute_modules(tables):
    got = {(row["path"], row["module"], row["name"], row["asname"], row["level"])
           for row in _with_paths(tables, "imports")}
    assert got == {
        ("app.py", "sys", None, None, 0),
        ("app.py", "pkg", "Model", None, 0),
        ("pkg/__init__.py", "pkg.models", "Model", None, 1),  # __init__ resolves to itself
        ("pkg/models.py", "os.path", None, "osp", 0),
        ("pkg/models.py", "pkg", "util", None, 1),
        ("pkg/models.py", "pkg.util", "helper", "h", 1),
    }
    src = source("pkg/models.py")
    spans = {src[r["bstart"]:r["bend"]] for r in rows(tables, "imports", "pkg/models.py")}
    assert spans == {b"os.path as osp", b"util", b"helper as h"}
    module_id = definition(tables, "pkg.models", "MODULE")["def_id"]
    assert {r["scope_def_id"] for r in rows(tables, "imports", "pkg/models.py")} == {module_id}


def test_call_sites_name_their_callees(tables):
    got = sorted((row["path"], row["callee_text"], row["callee_name"], row["n_args"])
                 for row in _with_paths(tables, "call_sites"))
    assert got == sorted([
        ("app.py", "Model", "Model", 1),
        ("app.py", "print", "print", 1),
        ("app.py", "model.path", "path", 1),
        ("pkg/models.py", "len", "len", 1),
        ("pkg/models.py", "osp.join", "join", 2),
        ("pkg/models.py", "h", "h", 1),
        ("pkg/models.py", "inner", "inner", 1),
        ("pkg/models.py", "util.helper", "helper", 1),
        ("pkg/models.py", "self.describe", "describe", 0),
        ("pkg/models.py", "model.path", "path", 1),
        ("pkg/util.py", "str", "str", 1),
        ("pkg/util.py", "str(value).upper", "upper", 0),
    ])
    src = source("pkg/models.py")
    join = [r for r in rows(tables, "call_sites", "pkg/models.py") if r["callee_name"] == "join"]
    assert src[join[0]["bstart"]:join[0]["bend"]] == b"osp.join(root, self.name)"
    assert join[0]["scope_def_id"] == definition(tables, "pkg.models.Model.path")["def_id"]


def test_symbols_come_from_symtable(tables):
    scopes = {r["scope_id"]: r for r in rows(tables, "scopes", "pkg/models.py")}
    defs = {r["def_id"]: r for r in rows(tables, "definitions", "pkg/models.py")}
    for scope in scopes.values():  # every scope of this file is a module, class or function
        assert defs[scope["scope_def_id"]]["name"] == scope["name"].rsplit(".", 1)[-1]
    assert len(scopes) == sum(1 for d in defs.values() if d["kind"] != "PARAMETER")

    def symbol(scope_qualified_name, name):
        def_id = definition(tables, scope_qualified_name)["def_id"]
        found = [r for r in rows(tables, "symbols")
                 if r["scope_def_id"] == def_id and r["name"] == name]
        assert len(found) == 1, found
        return found[0]

    inner = "pkg.models.Model.helped.<locals>.inner"
    assert symbol(inner, "value")["is_parameter"] and symbol(inner, "value")["is_local"]
    assert symbol(inner, "h")["is_global"] and not symbol(inner, "h")["is_local"]
    assert symbol("pkg.models.Model.helped", "inner")["is_local"]
    module = definition(tables, "pkg.models", "MODULE")["qualified_name"]
    assert symbol(module, "osp")["is_imported"] and symbol(module, "h")["is_imported"]
    assert symbol("pkg.util.install", "registered")["is_declared_global"]


def test_broken_file_gets_a_diagnostic_and_keeps_its_file_rows(tables):
    diagnostics = rows(tables, "diagnostics")
    assert len(diagnostics) == 1
    row = diagnostics[0]
    assert (row["path"], row["kind"], row["stage"], row["line_no"]) == (
        "broken.py", "syntax_error", "parse", 1)
    assert row["message"]
    fid = file_ids(tables)["broken.py"]
    assert row["file_id"] == fid
    assert [r["line_count"] for r in rows(tables, "repo_files", "broken.py")] == [2]
    assert len(rows(tables, "line_index", "broken.py")) == 2
    for name in ("definitions", "name_refs", "imports", "call_sites", "scopes", "symbols"):
        assert rows(tables, name, "broken.py") == [], name


def test_repo_files_and_line_index_match_the_bytes(tables):
    paths = tables["repo_files"]["path"].to_pylist()
    assert paths == sorted(["broken.py", *SOURCES])
    for row in rows(tables, "repo_files"):
        src = source(row["path"])
        assert row["file_id"] == "file:" + hashlib.blake2b(
            row["path"].encode(), digest_size=16).hexdigest()
        assert row["sha256"] == hashlib.sha256(src).hexdigest()
        assert row["size"] == len(src)
        assert row["line_count"] == src.count(b"\n")  # every fixture file ends with a newline
        lines = rows(tables, "line_index", row["path"])
        assert [r["line_no"] for r in lines] == list(range(1, row["line_count"] + 1))
        assert lines[0]["line_start_byte"] == 0 and lines[-1]["line_end_byte"] == len(src)
        for previous, line in zip(lines, lines[1:]):
            assert line["line_start_byte"] == previous["line_end_byte"]
        for line in lines:
            start, end = line["line_start_byte"], line["line_end_byte"]
            assert start == 0 or src[start - 1:start] == b"\n"
            assert src[start:end].endswith(b"\n") and b"\n" not in src[start:end - 1]


def test_rows_are_ordered_by_path_then_bstart(tables):
    order = {path: i for i, path in enumerate(tables["repo_files"]["path"].to_pylist())}
    paths = {fid: order[path] for path, fid in file_ids(tables).items()}
    for name, id_column in (("definitions", "def_id"), ("name_refs", "ref_id"),
                            ("imports", "import_id"), ("call_sites", "call_id")):
        keys = [(paths[r["file_id"]], r["bstart"], r[id_column]) for r in rows(tables, name)]
        assert keys == sorted(keys), name
        assert len({k[2] for k in keys}) == len(keys), name  # ids are unique


def test_two_extractions_are_equal_wherever_the_tree_lives(tables, tmp_path):
    again = extract_repository(FIXTURE)
    copy = tmp_path / "elsewhere"
    shutil.copytree(FIXTURE, copy)
    moved = extract_repository(str(copy))
    for name, table in tables.items():
        assert again[name].equals(table), name
        assert moved[name].equals(table), name


def test_write_evidence_round_trips_through_delta(tables, tmp_path):
    deltalake = pytest.importorskip("deltalake")
    out = tmp_path / "evidence"
    assert write_evidence(tables, out) == {name: t.num_rows for name, t in tables.items()}
    assert write_evidence(tables, out) == {name: t.num_rows for name, t in tables.items()}
    for name, table in tables.items():
        back = deltalake.DeltaTable(str(out / name)).to_pyarrow_table()
        assert back.schema == table.schema, name
        keys = [(c, "ascending") for c in table.column_names if c != "bases"]
        assert back.sort_by(keys).equals(table.sort_by(keys)), name


def test_function_rows_match_ast_and_code_object_oracles(tables):
    for path in SOURCES:
        src = source(path)
        tree = ast.parse(src)
        defs = rows(tables, "definitions", path)
        functions = sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                        for n in ast.walk(tree))
        classes = sum(isinstance(n, ast.ClassDef) for n in ast.walk(tree))
        assert functions == sum(d["kind"] == "FUNCTION" for d in defs), path
        assert classes == sum(d["kind"] == "CLASS" for d in defs), path

        # CPython's own qualified names and first lines (decorators included)
        module = next(d["qualified_name"] for d in defs if d["kind"] == "MODULE")
        code = compile(src, path, "exec")
        if not hasattr(code, "co_qualname"):
            continue
        expected, stack = set(), [code]
        while stack:
            for const in stack.pop().co_consts:
                if hasattr(const, "co_qualname"):
                    stack.append(const)
                    if not const.co_name.startswith("<"):
                        expected.add((f"{module}.{const.co_qualname}", const.co_firstlineno))
        line_starts = [r["line_start_byte"] for r in rows(tables, "line_index", path)]
        got = {(d["qualified_name"], _line_of(line_starts, d["bstart"]))
               for d in defs if d["kind"] in ("CLASS", "FUNCTION")}
        assert got == expected, path


def test_skipped_directories_and_odd_files(tmp_path):
    root = tmp_path / "repo"
    for skipped in (".git", "__pycache__", ".venv", "venv", "node_modules", "build", "dist",
                    ".hidden", "pkg/__pycache__"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "skipped.py").write_text("def skipped():\n    pass\n")
    (root / "notes.txt").write_text("def not_python(): pass\n")
    (root / "pkg" / "__init__.py").write_bytes(b"")
    (root / "pkg" / "deep").mkdir()
    (root / "pkg" / "deep" / "mod.py").write_bytes(
        b"from ... import nothing\nfrom .. import sibling\nfrom .x import y\n")
    (root / "latin.py").write_bytes(b"x = 1\ny = '\xff'\n")
    (root / "newlines.py").write_bytes(b"a = 1\r\nb = 2\rc = [d for d in a]\nf = lambda: b\n")
    (root / "bom.py").write_bytes(b"\xef\xbb\xbfz = 'caf\xc3\xa9'; w = z\n")
    (root / "late_global.py").write_bytes(b"def f():\n    x = 1\n    global x\n")

    tables = extract_repository(root)
    assert tables["repo_files"]["path"].to_pylist() == [
        "bom.py", "late_global.py", "latin.py", "newlines.py", "pkg/__init__.py",
        "pkg/deep/mod.py"]

    assert {(r["module"], r["name"], r["level"]) for r in rows(tables, "imports")} == {
        (None, "nothing", 3), ("pkg", "sibling", 2), ("pkg.deep.x", "y", 1)}

    diagnostics = {r["path"]: r for r in rows(tables, "diagnostics")}
    assert set(diagnostics) == {"latin.py", "late_global.py"}
    assert (diagnostics["latin.py"]["stage"], diagnostics["latin.py"]["line_no"]) == ("decode", 2)
    assert diagnostics["latin.py"]["kind"] == "syntax_error"
    assert len(rows(tables, "line_index", "latin.py")) == 2
    # the symbol table rejects what the parser accepted: definitions stay, symbols do not
    late = diagnostics["late_global.py"]
    assert (late["stage"], late["line_no"]) == ("symtable", 3)
    assert {r["name"] for r in rows(tables, "definitions", "late_global.py")} == {
        "late_global", "f"}
    assert rows(tables, "symbols", "late_global.py") == []

    src = (root / "newlines.py").read_bytes()
    lines = [(r["line_start_byte"], r["line_end_byte"])
             for r in rows(tables, "line_index", "newlines.py")]
    assert lines == [(0, 7), (7, 13), (13, 32), (32, 46)]  # \r\n, a lone \r and \n all end lines
    refs = rows(tables, "name_refs", "newlines.py")
    for r in refs:
        assert src[r["bstart"]:r["bend"]] == r["name"].encode()
    assert {r["name"] for r in refs} == {"a", "b", "c", "d", "f"}
    scope_types = sorted(r["scope_type"] for r in rows(tables, "scopes", "newlines.py"))
    assert scope_types == ["lambda", "listcomp", "module"] or scope_types == ["lambda", "module"]
    module_id = definition(tables, "newlines", "MODULE")["def_id"]
    assert {r["scope_def_id"] for r in rows(tables, "scopes", "newlines.py")} == {module_id}

    src = (root / "bom.py").read_bytes()
    refs = rows(tables, "name_refs", "bom.py")
    assert [src[r["bstart"]:r["bend"]] for r in refs] == [b"z", b"w", b"z"]
    assert refs[1]["bstart"] == src.index(b"w =")


def test_a_missing_root_is_an_error(tmp_path):
    with pytest.raises(NotADirectoryError):
        extract_repository(tmp_path / "absent")


def _with_paths(tables, name):
    paths = {fid: path for path, fid in file_ids(tables).items()}
    return [dict(row, path=paths[row["file_id"]]) for row in rows(tables, name)]


def _line_of(line_starts, offset):
    return sum(1 for start in line_starts if start <= offset)


def test_a_package_directory_as_root_keeps_its_package_names():
    """Building `pkg` itself (as the demo builds the json package's directory): paths stay
    relative to the root, module names and relative imports keep the package."""
    tables = extract_repository(FIXTURE / "pkg")
    assert sorted(tables["repo_files"].column("path").to_pylist()) == [
        "__init__.py", "models.py", "util.py"]
    defs = tables["definitions"].to_pylist()
    assert sorted(d["qualified_name"] for d in defs if d["kind"] == "MODULE") == [
        "pkg", "pkg.models", "pkg.util"]
    assert "pkg.models.Model" in {d["qualified_name"] for d in defs if d["kind"] == "CLASS"}
    imports = {(i["module"], i["name"]) for i in tables["imports"].to_pylist()}
    assert {("pkg.models", "Model"), ("pkg", "util"), ("pkg.util", "helper")} <= imports
    # The same tree from its parent names everything alike.
    whole = extract_repository(FIXTURE)["definitions"].to_pylist()
    assert {d["qualified_name"] for d in defs} == {
        d["qualified_name"] for d in whole if d["qualified_name"].startswith("pkg")}


def test_parallel_extraction_gives_the_same_tables(tables):
    """Worker processes each extract a run of the sorted paths; the concatenation equals the
    one-process tables row for row (the fixture is small, so workers are forced)."""
    parallel = extract_repository(FIXTURE, workers=3)
    assert set(parallel) == set(tables)
    for name, table in tables.items():
        assert parallel[name].schema == table.schema, name
        assert parallel[name].to_pylist() == table.to_pylist(), name
