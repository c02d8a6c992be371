"""Functions that need a call's bind-time facts (src/engine/bind_time_arguments.h):
struct_pick's result type follows its constant field names, arrow_metadata reads the metadata of
its argument's field; and cpg_score. Oracles: pyarrow's own struct fields, the schema's
metadata as pyarrow reports it, pyarrow's cast."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from codeanatomy import SessionContext
from codeanatomy.errors import EngineExecutionError


@pytest.fixture
def ctx():
    c = SessionContext()
    c.install_codeanatomy_udfs()
    return c


def _structs(n: int, seed: int) -> pa.StructArray:
    rng = random.Random(seed)
    a = pa.array([rng.choice([None, rng.randint(-5, 5)]) for _ in range(n)], pa.int64())
    b = pa.array([rng.choice([None, "x", "yy", ""]) for _ in range(n)], pa.string())
    c = pa.array([rng.choice([None, True, False]) for _ in range(n)], pa.bool_())
    mask = pa.array([rng.random() < 0.2 for _ in range(n)])
    return pa.StructArray.from_arrays([a, b, c], names=["a", "b", "c"], mask=mask)


@pytest.mark.parametrize("names", [["c", "a"], ["b"], ["a", "b", "c"], ["c", "b", "a"]])
def test_struct_pick_equals_pyarrow_fields(ctx, names):
    s = _structs(200, 3)
    ctx.register_arrow("t", pa.Table.from_batches(pa.table({"s": s}).to_batches(max_chunksize=37)))
    args = ", ".join(f"'{n}'" for n in names)
    for fn in ("struct_pick", "struct_select"):
        got = ctx.sql(f"SELECT {fn}(s, {args}) AS p FROM t").to_arrow().column("p").combine_chunks()
        expected = pa.StructArray.from_arrays(
            [pc.struct_field(s, n) for n in names], names=names, mask=s.is_null())
        assert got.type == expected.type
        assert got.to_pylist() == expected.to_pylist()


def test_struct_pick_from_the_dataframe_api(ctx):
    from codeanatomy.functions import call, col

    ctx.register_arrow("t", pa.table({"s": _structs(10, 4)}))
    got = ctx.table("t").select(call("struct_pick", col("s"), "b").alias("p")).to_arrow()
    assert got.schema.field("p").type == pa.struct([("b", pa.string())])


@pytest.mark.parametrize("query, code", [
    ("SELECT struct_pick(s, 'zz') FROM t", "FIELD_NOT_FOUND"),
    ("SELECT struct_pick(s, 'a', 'a') FROM t", "DUPLICATE_FIELD"),
    ("SELECT struct_pick(s, 'a', k) FROM t", "ARGUMENT_NOT_CONSTANT"),
    ("SELECT struct_pick(s, NULL) FROM t", "ARGUMENT_NOT_CONSTANT"),
    ("SELECT struct_pick(k, 'a') FROM t", "TYPE_MISMATCH"),
    ("SELECT struct_pick(s) FROM t", "WRONG_ARITY"),
])
def test_struct_pick_errors_are_typed(ctx, query, code):
    ctx.register_arrow("t", pa.table({"s": _structs(4, 5), "k": ["a", "b", "c", "a"]}))
    with pytest.raises(EngineExecutionError) as err:
        ctx.sql(query).to_pylist()
    assert (err.value.stage, err.value.code) == ("planning", code)
    if code == "FIELD_NOT_FOUND":
        assert err.value.details["field"] == "zz"


def test_arrow_metadata_reads_the_fields_metadata(ctx):
    field = pa.field("v", pa.int64(), metadata={"unit": "byte", "encoding": "utf8"})
    table = pa.table({"v": [1, None, 3], "w": [1, 2, 3]},
                     schema=pa.schema([field, pa.field("w", pa.int64())]))
    ctx.register_arrow("t", table)
    rows = ctx.sql("SELECT arrow_metadata(v) AS m, arrow_metadata(v, 'unit') AS u, "
                   "arrow_metadata(v, 'nope') AS n, arrow_metadata(w) AS wm, "
                   "arrow_metadata(v + 1, 'unit') AS e FROM t").to_pylist()
    expected_map = sorted((k.decode(), v.decode()) for k, v in field.metadata.items())
    for row in rows:  # the same for every row, the NULL value included
        assert row == {"m": expected_map, "u": "byte", "n": None, "wm": [], "e": None}
    keys = pa.table({"v": pa.array([1, 2, 3])}, schema=pa.schema([field]))
    keys = keys.append_column("k", pa.array(["unit", None, "encoding"]))
    ctx.register_arrow("k", keys)
    got = ctx.sql("SELECT arrow_metadata(v, k) AS x FROM k").to_arrow().column("x").to_pylist()
    assert got == ["byte", None, "utf8"]  # a per-row key


def test_cpg_score_equals_pyarrows_cast(ctx):
    values = pa.array([1, None, -7, 2**40], pa.int64())
    ctx.register_arrow("t", pa.table({"v": values, "d": pc.cast(values, pa.float64()),
                                      "s": ["1.5", None, "-2", "1e3"]}))
    got = ctx.sql("SELECT cpg_score(v) AS a, cpg_score(d) AS b, cpg_score(s) AS c FROM t")
    out = got.to_arrow()
    assert out.schema.field("a").type == pa.float64()
    assert out.column("a").to_pylist() == pc.cast(values, pa.float64()).to_pylist()
    assert out.column("b").to_pylist() == out.column("a").to_pylist()
    assert out.column("c").to_pylist() == [1.5, None, -2.0, 1000.0]


def test_through_the_first_party_plugin_as_natively(ctx):
    """The plugin's struct_pick and arrow_metadata get the call's constants and field metadata
    through the ABI's return_type_with_constants (1.1) and give what the native ones give."""
    from codeanatomy.plugins import load_plugin, plugin_library_path

    via_plugin = SessionContext()
    via_plugin.register_plugin_udfs(load_plugin(plugin_library_path()))
    field = pa.field("v", pa.int64(), metadata={"unit": "byte", "kind": "n"})
    table = pa.Table.from_batches(pa.table(
        {"s": _structs(300, 9), "v": pa.array(range(300), pa.int64())},
        schema=pa.schema([pa.field("s", _structs(1, 0).type), field])).to_batches(max_chunksize=64))
    queries = [
        "SELECT struct_pick(s, 'c', 'a') AS r FROM t",
        "SELECT struct_select(s, 'b') AS r FROM t",
        "SELECT arrow_metadata(v) AS r FROM t",
        "SELECT arrow_metadata(v, 'unit') AS r FROM t",
        "SELECT arrow_metadata(s) AS r FROM t",
        "SELECT struct_pick(s, 'zz') AS r FROM t",
        "SELECT struct_pick(s, 'a', 'a') AS r FROM t",
        "SELECT cpg_score(v) AS r FROM t",
        "SELECT struct_pick(s, 'a') AS r FROM t LIMIT 1",  # a one-row batch
    ]
    for c in (ctx, via_plugin):
        c.register_arrow("t", table)

    def outcome(c, q):
        try:
            out = c.sql(q).to_arrow()
            return ("ok", out.schema, out.column("r").to_pylist())
        except EngineExecutionError as e:
            return ("error", e.stage, e.code)

    for q in queries:
        native = outcome(ctx, q)
        assert outcome(via_plugin, q) == native, q
    assert outcome(ctx, queries[0])[0] == "ok"
    assert outcome(ctx, queries[3])[2][0] == "byte"
