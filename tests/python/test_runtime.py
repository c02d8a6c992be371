"""GIL release, threads, Ctrl-C, memory limits, profiles, tracing and explain."""

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pyarrow as pa
import pytest

import codeanatomy as ca
from codeanatomy import col
from codeanatomy import functions as F


def _slow_stream(n_batches: int, delay: float) -> pa.RecordBatchReader:
    schema = pa.schema([("x", pa.int64())])

    def gen():
        for i in range(n_batches):
            time.sleep(delay)
            yield pa.record_batch({"x": [i, i + 1]}, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, gen())


def test_python_backed_stream_is_read_with_gil_released(ctx):
    # The generator runs Python: it can only make progress if the engine released the GIL.
    ctx.register_arrow("s", _slow_stream(20, 0.001), stream=True)
    out = ctx.table("s").aggregate([], [F.count().alias("n"), F.sum(col("x")).alias("s")])
    assert out.to_pylist() == [{"n": 40, "s": sum(2 * i + 1 for i in range(20))}]


def test_other_python_threads_run_while_a_query_runs(ctx):
    ctx.register_arrow("s", _slow_stream(40, 0.02), stream=True)
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(rows=ctx.table("s").to_arrow().num_rows)
    )
    ticks = 0
    worker.start()
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        ticks += 1
    worker.join()
    assert result["rows"] == 80
    assert ticks > 1000  # the main thread kept running Python during the query


def test_one_session_serves_many_threads(ctx):
    ctx.register_arrow("t", pa.table({"k": [i % 7 for i in range(10_000)], "v": range(10_000)}))
    expected = ctx.table("t").aggregate(["k"], [F.sum(col("v")).alias("s")]).sort("k").to_pylist()
    errors, results = [], []

    def run(i):
        try:
            ctx.register_arrow(f"t{i}", pa.table({"a": [i]}))
            df = ctx.table("t").aggregate(["k"], [F.sum(col("v")).alias("s")]).sort("k")
            results.append(df.to_pylist())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results) and len(results) == 8
    assert {f"t{i}" for i in range(8)} <= set(ctx.tables())


def test_ctrl_c_stops_a_running_query():
    code = textwrap.dedent(
        """
        import sys, time
        import pyarrow as pa
        import codeanatomy as ca
        from codeanatomy import functions as F
        schema = pa.schema([("x", pa.int64())])
        def gen():
            for i in range(10**7):
                time.sleep(0.01)
                yield pa.record_batch({"x": [i]}, schema=schema)
        ctx = ca.SessionContext()
        ctx.register_arrow("s", pa.RecordBatchReader.from_batches(schema, gen()), stream=True)
        print("start", flush=True)
        try:
            ctx.table("s").aggregate([], [F.count()]).to_arrow()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "start"
    time.sleep(1.0)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "interrupted" in out
    assert time.monotonic() - sent < 10


_MEMORY_LIMIT_SCRIPT = """
import os
import sys
import pyarrow as pa
import codeanatomy as ca
from codeanatomy import col, functions as F
ctx = ca.SessionFactory("small", memory_limit_bytes=4 << 20).create_session()
n = 2_000_000
ctx.register_arrow("t", pa.table({"k": pa.array(range(n), pa.int64()), "v": range(n)}))
t = ctx.table("t")
df = {
    "sort": t.sort(col("v").sort(ascending=False)),
    "join": t.join(ctx.table("t"), on="k"),
    "aggregate": t.aggregate(["k"], [F.count().alias("n")]),
}[sys.argv[1]]
try:
    df.to_arrow()
    print("no error")
except ca.EngineExecutionError as e:
    print(e.stage, e.code)
# The session is still usable after the failure.
print(ctx.table("t").limit(3).to_arrow().num_rows, flush=True)
# An abandoned plan's threads may still run: leave without interpreter finalization.
os._exit(0)
"""


@pytest.mark.parametrize("query", ["sort", "join", "aggregate"])
def test_memory_limit_is_a_typed_error_not_a_crash(query):
    # In a subprocess: Arrow's hash grouper does not recover from a refused allocation and
    # spins; the engine abandons such a plan (its threads keep spinning) and still reports
    # the memory error.
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_LIMIT_SCRIPT, query],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["runtime MEMORY_LIMIT_EXCEEDED", "3"], result.stdout


def test_profiles_are_deterministic_and_hashed():
    small = ca.SessionFactory("small")
    assert json.loads(small.profile_json()) == {
        "batch_size": 4096,
        "memory_limit_bytes": 512 << 20,
        "name": "small",
        "target_partitions": 4,
    }
    assert json.loads(ca.SessionFactory.from_class("LARGE").profile_json())["target_partitions"] == 16
    assert ca.SessionFactory("medium").profile_hash() == ca.SessionFactory("Medium").profile_hash()
    assert small.profile_hash() != ca.SessionFactory("large").profile_hash()
    assert len(small.settings_hash()) == 64
    tuned = ca.SessionFactory("small", memory_limit_bytes=1 << 20)
    assert tuned.settings_hash() != small.settings_hash()
    with pytest.raises(ValueError, match="unknown engine profile 'huge'"):
        ca.SessionFactory("huge")
    with pytest.raises(ValueError, match="memory_limit_bytes"):
        ca.SessionFactory("small", memory_limit_bytes=0)


def test_profile_hash_is_blake2b_of_profile_json():
    import hashlib

    f = ca.SessionFactory("large")
    assert f.profile_hash() == hashlib.blake2b(f.profile_json().encode(), digest_size=32).hexdigest()


def test_explain_shows_logical_optimized_and_acero_plans(ctx):
    ctx.register_arrow("t", pa.table({"a": [1, 2], "b": ["x", "y"], "c": [1.0, 2.0]}))
    text = ctx.table("t").filter(col("a") > lit_(1)).select("b").explain()
    assert "== Logical Plan ==" in text and "== Physical Plan (Acero) ==" in text
    optimized = text.split("== Optimized Logical Plan ==")[1].split("== Physical")[0]
    assert "projection=[a, b]" in optimized  # column c is never read
    assert "filters=[(a > 1)]" in optimized  # the filter went into the scan


def lit_(v):
    return ca.lit(v)


def test_tracing_records_spans_and_exports_chrome_trace(ctx):
    ca.clear_spans()
    ca.enable_tracing(True)
    try:
        ctx.register_arrow("t", pa.table({"a": [1]}))
        ctx.table("t").to_arrow()
    finally:
        ca.enable_tracing(False)
    trace = json.loads(ca.export_chrome_trace())
    names = {e["name"] for e in trace["traceEvents"]}
    assert {"SessionContext.register_table", "SessionContext.table", "DataFrame.collect"} <= names
    ca.clear_spans()
    ctx.table("t").to_arrow()  # tracing off: nothing recorded
    assert json.loads(ca.export_chrome_trace())["traceEvents"] == []


def test_parquet_file_and_directory(ctx, tmp_path):
    import pyarrow.parquet as pq

    t = pa.table({"id": range(100), "g": [i % 3 for i in range(100)]})
    pq.write_table(t.slice(0, 50), tmp_path / "part-0.parquet", row_group_size=10)
    pq.write_table(t.slice(50), tmp_path / "part-1.parquet", row_group_size=10)
    ctx.register_parquet("d", tmp_path)
    ctx.register_parquet("f", tmp_path / "part-0.parquet")
    got = ctx.table("d").filter(col("id") >= 45).aggregate(["g"], [F.count().alias("n")])
    assert sorted(got.to_pylist(), key=lambda r: r["g"]) == [
        {"g": g, "n": sum(1 for i in range(45, 100) if i % 3 == g)} for g in range(3)
    ]
    assert ctx.table("f").count() == 50
    with pytest.raises(ca.EngineExecutionError) as info:
        ctx.register_parquet("missing", tmp_path / "nope")
    assert info.value.code == "PARQUET_PATH_NOT_FOUND"
    assert "nope" in info.value.details["path"]


def test_explain_shows_the_inputs_of_stream_operators(ctx):
    ctx.register_arrow("t", pa.table({"k": [1, 2], "v": [3, 4]}))
    t = ctx.table("t")
    text = t.join(t, filter=col("k") < col("k_right")).sort("k").limit(1).explain()
    physical = text.split("== Physical Plan (Acero) ==")[1]
    assert "top_k" in physical
    assert "== Stream operator top_k input 1 (Acero) ==" in text
    assert "== Stream operator nested_loop_join input 2 (Acero) ==" in text
    nlj_right = text.split("nested_loop_join input 2 (Acero) ==")[1]
    assert '"k_right": k' in nlj_right  # the right side renamed before the join


def test_explain_never_consumes_a_stream(ctx):
    ctx.register_arrow("s", pa.table({"k": [1, 2]}).to_reader(), stream=True)
    df = ctx.table("s")
    df.explain()
    df.limit(1).explain()  # a stream operator's inputs are planned for explain too
    assert df.to_pylist() == [{"k": 1}, {"k": 2}]
