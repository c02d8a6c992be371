"""The installed package links the Arrow C++ of the pyarrow wheel, in either import order."""

import subprocess
import sys

import pyarrow as pa
import pytest


@pytest.mark.parametrize(
    "first, second", [("pyarrow", "codeanatomy"), ("codeanatomy", "pyarrow")]
)
def test_import_order_and_round_trip(first, second):
    code = f"""
import {first}
import {second}
import pyarrow as pa
import codeanatomy as ca
ctx = ca.SessionContext()
ctx.register_arrow("t", pa.table({{"x": [1, 2, 3]}}))
out = ctx.table("t").select((ca.col("x") * 10).alias("y")).to_arrow()
assert isinstance(out, pa.Table), type(out)
assert out.column("y").to_pylist() == [10, 20, 30], out
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_only_one_arrow_is_loaded():
    code = """
import codeanatomy, pyarrow
maps = open("/proc/self/maps").read()
libs = {line.split()[-1] for line in maps.splitlines() if "libarrow.so" in line}
print(len(libs))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


def test_module_has_rpath_to_pyarrow():
    import codeanatomy._native as native

    out = subprocess.run(["readelf", "-d", native.__file__], capture_output=True, text=True).stdout
    assert "$ORIGIN/../pyarrow" in out


def test_data_passes_through_capsules_both_ways(ctx):
    import codeanatomy as ca

    batch = pa.record_batch({"a": [1, None, 3], "s": ["x", "y", None]})
    ctx.register_arrow("b", batch)  # __arrow_c_array__
    df = ctx.table("b")
    reader = pa.RecordBatchReader.from_stream(df)  # our __arrow_c_stream__
    assert reader.read_all().to_pylist() == batch.to_pylist()
    batches = ca.arrow_stream_to_batches(pa.table(batch))
    assert pa.Table.from_batches(batches).to_pylist() == batch.to_pylist()


def test_polars_and_duckdb_data_register(ctx):
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    ctx.register_arrow("p", polars.DataFrame({"k": [1, 2], "v": ["a", "b"]}))
    con = duckdb.connect()
    ctx.register_arrow("d", con.sql("select 1 as k, 'z' as w union all select 2, 'q'"))
    out = ctx.table("p").join(ctx.table("d"), on="k").sort("k").to_pylist()
    assert out == [
        {"k": 1, "v": "a", "k_right": 1, "w": "z"},
        {"k": 2, "v": "b", "k_right": 2, "w": "q"},
    ]
