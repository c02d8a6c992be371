#!/usr/bin/env python3
"""The plugin ABI's cost: scalar function throughput natively vs through the first-party plugin,
and plugin load + validation time.

Throughput: a 10M-row table (s: short strings, c: change types) registered in two sessions, one
with the bundle installed natively (`ctx.install_codeanatomy_udfs()`), one with the same
functions from the first-party plugin (`ctx.register_plugin_udfs(load_plugin(...))`); each query
(`SELECT max(f(col)) FROM t`) runs in both, results must be equal, best of --repeat after a
warm-up. Overhead = plugin time / native time - 1 (goal: <= 5%). Load: `load_plugin(path)`
(dlopen, manifest and exports checks) of the first-party plugin in fresh processes.

Usage: cd /tmp && PYTHONPATH=<package> python3 /work/main/bench/plugin_abi.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa

QUERIES = [
    ("stable_hash64", "SELECT max(stable_hash64(s)) AS r FROM t"),
    ("cdf_change_rank", "SELECT max(cdf_change_rank(c)) AS r FROM t"),
    ("span_len", "SELECT max(span_len(span_make(b, b + 5))) AS r FROM t"),
]


def data(rows: int) -> pa.Table:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 1_000_000, rows)
    kinds = np.array(["insert", "delete", "update_preimage", "update_postimage"])
    return pa.table({
        "s": pa.array([f"node:{i}" for i in ids[: min(rows, 1_000_000)]] * (rows // 1_000_000)
                      if rows >= 1_000_000 else [f"node:{i}" for i in ids]),
        "c": pa.array(kinds[rng.integers(0, 4, rows)]),
        "b": pa.array(rng.integers(0, 1000, rows), pa.int64()),
    })


def best(ctx, query: str, repeat: int) -> tuple[float, object]:
    result = ctx.sql(query).to_arrow()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = ctx.sql(query).to_arrow()
        times.append(time.perf_counter() - t0)
    return min(times), result.column(0).to_pylist()


def load_time(runs: int) -> float:
    code = ("import time; from codeanatomy.plugins import load_plugin, plugin_library_path; "
            "p = plugin_library_path(); t = time.perf_counter(); load_plugin(p); "
            "print(time.perf_counter() - t)")
    samples = [float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                    text=True, check=True, env=os.environ).stdout)
               for _ in range(runs)]
    return min(samples)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import codeanatomy
    from codeanatomy import SessionContext
    from codeanatomy.plugins import load_plugin, plugin_library_path

    table = data(args.rows)
    native, plugin = SessionContext(), SessionContext()
    native.install_codeanatomy_udfs()
    plugin.register_plugin_udfs(load_plugin(plugin_library_path()))
    for ctx in (native, plugin):
        ctx.register_arrow("t", table)
    print(f"codeanatomy {codeanatomy.__version__} ({codeanatomy.__file__}); rows={args.rows:,}; "
          f"best of {args.repeat} after a warm-up; host cpus={os.cpu_count()}")
    print("| function | native | through the plugin | overhead | check |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for name, query in QUERIES:
        tn, rn = best(native, query, args.repeat)
        tp, rp = best(plugin, query, args.repeat)
        overhead = tp / tn - 1
        worst = max(worst, overhead)
        print(f"| {name} | {tn * 1000:.1f} ms | {tp * 1000:.1f} ms | {overhead * 100:+.1f}% | "
              f"{'ok' if rn == rp else 'MISMATCH'} |")
    load = load_time(5)
    print(f"\nplugin load + validation (load_plugin, fresh process, best of 5): {load * 1000:.2f} ms")
    print(f"goal (overhead <= 5%): {'MET' if worst <= 0.05 else 'NOT MET'} (worst {worst:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
