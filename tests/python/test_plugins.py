"""Plugins from Python: the test plugins built with the C++ tests (tests/plugins/test_plugin.c,
in <build dir>/test_plugins) load as capsules, their functions and tables run in SQL with results
worked out by hand, and malformed ones are refused with typed errors."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest

from codeanatomy import SessionContext
from codeanatomy.errors import EngineExecutionError
from codeanatomy.plugins import load_plugin, plugin_exports, plugin_manifest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / os.environ.get("BUILD_DIR", "build/ci") / "test_plugins"

pytestmark = pytest.mark.skipif(
    not (PLUGINS / "test_plugin.so").exists(),
    reason=f"test plugins are built with the C++ tests ({PLUGINS} missing)",
)


def _path(name: str) -> str:
    return str(PLUGINS / f"{name}.so")


def test_manifest_and_exports():
    plugin = load_plugin(_path("test_plugin"))
    m = plugin_manifest(plugin)
    assert (m["plugin_name"], m["plugin_version"], m["plugin_abi_major"]) == (
        "test_plugin", "1.0.0", 1)
    assert m["capabilities"] == ["table_provider", "scalar_udf", "aggregate_udf",
                                 "table_function"]
    assert plugin_manifest(_path("test_plugin")) == m
    assert plugin_exports(plugin)["table_providers"] == ["numbers"]
    assert plugin_exports(plugin)["table_functions"] == ["numbers_fn", "fails_fn",
                                                         "no_provider_fn"]


@pytest.mark.parametrize("name, code", [
    ("test_plugin_major2", "PLUGIN_ABI_MAJOR_MISMATCH"),
    ("test_plugin_minor9", "PLUGIN_ABI_MINOR_TOO_NEW"),
    ("test_plugin_short", "PLUGIN_STRUCT_TOO_SMALL"),
    ("test_plugin_noentry", "PLUGIN_ENTRY_MISSING"),
    ("test_plugin_nullfn", "PLUGIN_INVALID_MODULE"),
    ("test_plugin_badutf8", "PLUGIN_INVALID_MANIFEST"),
    ("test_plugin_arrow1", "PLUGIN_ARROW_MAJOR_MISMATCH"),
    ("missing", "PLUGIN_LOAD_FAILED"),
])
def test_malformed_plugins_are_refused(name, code):
    with pytest.raises(EngineExecutionError) as e:
        load_plugin(_path(name))
    assert (e.value.stage, e.value.code) == ("plugin", code)
    assert e.value.details["path"].endswith(f"{name}.so")


def test_functions_and_tables_in_sql():
    ctx = SessionContext()
    plugin = load_plugin(_path("test_plugin"))
    names = ctx.register_plugin(plugin, table_names={"nums": "numbers"})
    assert sorted(names) == ["add_one", "fails", "wrong_length", "wrong_type"]
    del plugin  # what was registered keeps the library loaded
    out = ctx.sql("SELECT add_one(n) AS a, plus_one(n) AS b FROM nums WHERE n < 3 ORDER BY n")
    assert out.to_arrow().to_pylist() == [{"a": 1, "b": 1}, {"a": 2, "b": 2}, {"a": 3, "b": 3}]
    assert ctx.sql("SELECT sum(n) AS s FROM nums").to_arrow()["s"].to_pylist() == [45]
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql("SELECT fails(n) FROM nums").to_arrow()
    assert e.value.code == "PLUGIN_CALL_FAILED" and "fails always" in e.value.message
    with pytest.raises(EngineExecutionError) as e:
        ctx.sql("SELECT wrong_length(n) FROM nums").to_arrow()
    assert e.value.code == "PLUGIN_BAD_RESULT"
    ctx.register_plugin_table_provider("big", load_plugin(_path("test_plugin")), "numbers",
                                       {"count": 3000})
    assert ctx.sql("SELECT count(*) AS c FROM big").to_arrow()["c"].to_pylist() == [3000]
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_plugin_table_provider("x", load_plugin(_path("test_plugin")), "nope")
    assert e.value.code == "PLUGIN_PROVIDER_NOT_EXPORTED"


def test_only_plugin_capsules_are_accepted():
    other = ctypes.pythonapi.PyCapsule_New
    other.restype = ctypes.py_object
    other.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    capsule = other(id(object()), b"not.a.plugin", None)
    with pytest.raises(TypeError, match="not a codeanatomy plugin"):
        plugin_manifest(capsule)
    with pytest.raises(TypeError):
        SessionContext().register_plugin_udfs("a string")


def test_the_first_party_plugin_serves_delta_like_the_native_provider(tmp_path):
    import deltalake
    import pyarrow as pa

    from codeanatomy.delta import DeltaTable, write_delta
    from codeanatomy.plugins import plugin_library_path

    path = str(tmp_path / "t")
    write_delta(path, pa.table({"id": pa.array([1, 2, 3], pa.int64()), "p": ["a", "b", "a"]}),
                partition_by=["p"], configuration={"delta.enableChangeDataFeed": "true"})
    DeltaTable(path).update({"id": "id * 10"}, "p = 'a'")
    plugin = load_plugin(plugin_library_path())
    m = plugin_manifest(plugin)
    assert m["plugin_name"] == "codeanatomy" and "table_provider" in m["capabilities"]
    ctx = SessionContext()
    ctx.register_plugin_table_provider("t", plugin, "delta", {"table_uri": path})
    ctx.register_plugin_table_provider("t0", plugin, "delta", {"table_uri": path, "version": 0})
    ctx.register_plugin_table_provider("c", plugin, "delta_cdf", {"table_uri": path})
    rows = sorted(ctx.sql("SELECT id, p FROM t").to_arrow().to_pylist(), key=lambda r: r["id"])
    assert rows == sorted(deltalake.DeltaTable(path).to_pyarrow_table().to_pylist(),
                          key=lambda r: r["id"])
    assert sorted(ctx.sql("SELECT id FROM t0").to_arrow()["id"].to_pylist()) == [1, 2, 3]
    changes = ctx.sql("SELECT id, _change_type FROM c").to_arrow()
    want = DeltaTable(path).load_cdf(starting_version=0).select(["id", "_change_type"])
    assert sorted(changes.to_pylist(), key=str) == sorted(want.to_pylist(), key=str)
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_plugin_table_provider("x", plugin, "delta", {"table_uri": path, "bad": 1})
    assert (e.value.stage, e.value.code) == ("validation", "INVALID_PROVIDER_OPTIONS")
    assert e.value.details["field"] == "bad"


# ---- parity: the function bundle natively and through the first-party plugin ----

_WORDS = ["byte", "BYTE", "utf8", "UTF16", "utf32", "NFC", "NFKC", "nfd", "x", "", " a  b ",
          "Ä\u0308ö", "ns", "insert", "delete", "update_preimage", "update_postimage",
          "mod.sub", "Straße", "\u00e9t\u00e9", "lower", "upper"]


def _column(type_name: str, rng, n: int):
    import pyarrow as pa

    def maybe(v):
        return None if rng.random() < 0.15 else v

    if type_name in ("utf8", "any"):
        return pa.array([maybe(rng.choice(_WORDS)) for _ in range(n)], pa.string())
    if type_name in ("int64", "int32"):
        t = pa.int64() if type_name == "int64" else pa.int32()
        return pa.array([maybe(rng.randint(-3, 20)) for _ in range(n)], t)
    if type_name == "bool":
        return pa.array([maybe(rng.random() < 0.5) for _ in range(n)], pa.bool_())
    if type_name == "float64":
        return pa.array([maybe(rng.uniform(-5, 5)) for _ in range(n)], pa.float64())
    if type_name == "span":
        rows = []
        for _ in range(n):
            a = rng.randint(0, 30)
            rows.append(maybe({"bstart": a, "bend": a + rng.randint(0, 10)}))
        return pa.array(rows, pa.struct([("bstart", pa.int64()), ("bend", pa.int64())]))
    if type_name == "list":
        return pa.array([maybe([maybe(rng.choice(_WORDS[:6])) for _ in range(rng.randint(0, 4))])
                         for _ in range(n)], pa.list_(pa.string()))
    if type_name == "map":
        return pa.array([maybe([(rng.choice(["K", "k", "a", "B"]), maybe(rng.choice(_WORDS[:4])))
                                for _ in range(rng.randint(0, 3))]) for _ in range(n)],
                        pa.map_(pa.string(), pa.string()))
    if type_name == "struct":  # struct_pick's input: its names are literals 'x' and 'd'
        rows = [maybe({"x": maybe(rng.randint(0, 9)), "d": maybe(rng.choice(_WORDS)),
                       "z": rng.random() < 0.5}) for _ in range(n)]
        return pa.array(rows, pa.struct([("x", pa.int64()), ("d", pa.string()),
                                         ("z", pa.bool_())]))
    raise AssertionError(f"no generator for {type_name}")


def _outcome(ctx, query):
    try:
        return ("ok", ctx.sql(query).to_arrow().column(0).to_pylist())
    except EngineExecutionError as e:
        return ("error", e.stage, e.code)


def test_every_bundle_function_gives_the_same_results_through_the_plugin():
    import json
    import random

    import pyarrow as pa

    from codeanatomy import _native
    from codeanatomy.plugins import plugin_library_path

    bundle = json.loads(_native.codeanatomy_function_descriptors_json())
    descriptors = [d for d in bundle if d["kind"] == "scalar"]  # the others have tests of their own
    aggregates = {d["name"] for d in bundle if d["kind"] == "aggregate"}
    native, via_plugin = SessionContext(), SessionContext()
    native.install_codeanatomy_udfs()
    installed = via_plugin.register_plugin_udfs(load_plugin(plugin_library_path()))
    # The plugin also installs the bundle's aggregates (tests/python/test_plugin_aggregates.py),
    # window functions (tests/python/test_window_functions.py) and the Delta table functions
    # (tests/python/test_table_functions.py).
    assert sorted(installed) == sorted({d["name"] for d in descriptors} | aggregates
                                       | {"lag", "lead", "row_number"}
                                       | {"read_delta", "read_delta_cdf", "delta_snapshot",
                                          "delta_add_actions"})
    rng = random.Random(7)
    checked = ok = 0
    for d in descriptors:
        for signature in d["signatures"]:
            types = list(signature) + ([signature[-1]] * 2 if d["variadic"] else [])
            columns = {f"c{i}": _column(t, rng, 64) for i, t in enumerate(types)}
            for ctx in (native, via_plugin):
                ctx.register_arrow("t", pa.table(columns))
            # Every argument a column; and option-like arguments (all but the first text or
            # bool ones) as valid literals, since some must be constant.
            params = d["parameter_names"] + [d["parameter_names"][-1]] * 2
            literal = [c if i == 0 or t not in ("utf8", "bool") else _literal(params[i], t)
                       for i, (c, t) in enumerate(zip(columns, types))]
            for args in (", ".join(columns), ", ".join(literal)):
                for name in [d["name"], *d["aliases"]]:
                    query = f"SELECT {name}({args}) AS r FROM t"
                    got = _outcome(via_plugin, query)
                    assert got == _outcome(native, query), query
                    checked += 1
                    ok += got[0] == "ok"
            for ctx in (native, via_plugin):
                ctx.deregister("t")
    assert checked >= 2 * len(descriptors)
    assert ok >= len(descriptors)  # most calls compute values, not just the same errors


def _literal(param: str, type_name: str) -> str:
    if type_name == "bool":
        return "true"
    for key, value in (("unit", "'utf16'"), ("form", "'NFKC'"), ("case", "'lower'"),
                       ("names", "'x'")):
        if key in param:
            return value
    return "'d'"
