#!/usr/bin/env python3
"""The bundle's aggregates (CONTRACTS §5) against DuckDB's equivalents on the same data.

A table of --rows rows (k: group key with --groups distinct values, v: int64, s: short strings,
b: bool) is aggregated grouped by k and ungrouped by each engine in its own child process (so
peak RSS is the engine's own); best of --repeat after a warm-up; results must be equal (checked
sorted by k). Ratio = codeanatomy time / DuckDB time (lower is better).

Usage: cd /tmp && PYTHONPATH=<package> python3 /work/main/bench/aggregates_vs_duckdb.py \\
           [--rows 1000000] [--groups 10,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import decimal
import hashlib
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa

# (name, codeanatomy expression, DuckDB expression with the same result)
AGGREGATES = [
    ("arg_max", "arg_max(s, v)", "arg_max(s, v)"),
    ("count_if", "count_if(b)", "count_if(b)"),
    ("count_distinct_agg", "count_distinct_agg(v)", "count(DISTINCT v)"),
    ("any_value_det", "any_value_det(s)", "min(s)"),
    ("list_unique", "list_unique(s)", "list_sort(list(DISTINCT s))"),
    ("string_agg", "string_agg(s, ',')", "string_agg(s, ',' ORDER BY s)"),
    ("first_value", "first_value(s, v)", "arg_min(s, v)"),
]


def data(rows: int, groups: int) -> pa.Table:
    rng = np.random.default_rng(1)
    v = rng.permutation(rows).astype(np.int64)  # unique keys: no ties between engines
    return pa.table({
        "k": pa.array(rng.integers(0, groups, rows), pa.int64()),
        "v": pa.array(v),
        "s": pa.array([f"s{i % 5000}" for i in rng.integers(0, 1 << 30, rows)]),
        "b": pa.array(rng.random(rows) < 0.3),
    })


def _plain(value):
    """DuckDB's count_if is a HUGEINT (a Decimal in Python): compare it as an integer."""
    return int(value) if isinstance(value, decimal.Decimal) else str(value)


def child(engine: str, rows: int, groups: int, repeat: int) -> None:
    table = data(rows, groups)
    if engine == "codeanatomy":
        import codeanatomy

        ctx = codeanatomy.SessionContext()
        ctx.install_codeanatomy_udfs()
        ctx.register_arrow("t", table)

        def run(sql: str) -> pa.Table:
            return ctx.sql(sql).to_arrow()
    else:
        import duckdb

        con = duckdb.connect()
        con.register("t", table)

        def run(sql: str) -> pa.Table:
            return con.execute(sql).to_arrow_table()
    out = {}
    for name, ours, theirs in AGGREGATES:
        expr = ours if engine == "codeanatomy" else theirs
        for grouped in (True, False):
            sql = (f"SELECT k, {expr} AS r FROM t GROUP BY k ORDER BY k" if grouped
                   else f"SELECT {expr} AS r FROM t")
            result = run(sql)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                result = run(sql)
                times.append(time.perf_counter() - t0)
            values = result.column("r").to_pylist()
            out[f"{name}/{'grouped' if grouped else 'all'}"] = {
                "s": min(times),
                "hash": hashlib.sha256(json.dumps(values, default=_plain).encode()).hexdigest()}
    out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--groups", default="10,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", default=None)
    args = ap.parse_args()
    if args.child:
        engine, groups = args.child.split(":")
        child(engine, args.rows, int(groups), args.repeat)
        return 0
    mismatches = 0
    for groups in [int(g) for g in args.groups.split(",")]:
        results = {}
        for engine in ("codeanatomy", "duckdb"):
            proc = subprocess.run([sys.executable, __file__, "--rows", str(args.rows),
                                   "--repeat", str(args.repeat), "--child", f"{engine}:{groups}"],
                                  capture_output=True, text=True, check=True)
            results[engine] = json.loads(proc.stdout)
        print(f"\n{args.rows:,} rows, {groups:,} groups; best of {args.repeat}")
        print(f"{'aggregate':<32}{'codeanatomy':>12}{'duckdb':>10}{'ratio':>8}  equal")
        for key in results["codeanatomy"]:
            if key == "peak_kb":
                continue
            ours, theirs = results["codeanatomy"][key], results["duckdb"][key]
            equal = ours["hash"] == theirs["hash"]
            mismatches += not equal
            print(f"{key:<32}{ours['s']:>11.3f}s{theirs['s']:>9.3f}s"
                  f"{ours['s'] / theirs['s']:>8.2f}  {'yes' if equal else 'NO'}")
        print(f"peak RSS: codeanatomy {results['codeanatomy']['peak_kb'] / 1024:.0f} MiB, "
              f"duckdb {results['duckdb']['peak_kb'] / 1024:.0f} MiB")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
