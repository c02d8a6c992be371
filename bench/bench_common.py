"""What bench/engine_vs_peers.py and bench/tpch.py share: every engine runs its queries in its
own child process (a crash costs only that query, engines share no heap or thread pools).

Child side, `serve`: loads the tables, sets up one engine and, per query, runs it once (warm-up:
peak RSS above the RSS just before the query, VmHWM reset through /proc/self/clear_refs; the
result saved as <outdir>/<engine>__<query>.arrow for checking), then best of args.repeat.
It reports on stdout, one line a message, `TAG json`:
    LOAD {"desc", <load_time_key>, "load_s", "arrow_bytes", "sizes"} or {"error"}
    START "q"   before the warm-up          TICK "q"   before each timed run
    DONE {"q", "rows", "peak_kb", "first_s", "best_s"} or {"q", "error"}
Parent side, `run_engine`: starts the child, kills it when a query (or, with
timeout_per_run, a single run) goes over the timeout, records a crash or timeout against the
query that was running and starts a new child for the rest.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable

import pyarrow as pa

OURS = "codeanatomy"  # the engine under test: first in the tables, compared with the others


# --------------------------------------------------------------------------------------------
# child process
# --------------------------------------------------------------------------------------------
def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        m = re.search(rf"^{field}:\s+(\d+)", f.read(), re.M)
    return int(m.group(1)) if m else -1


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _emit(tag: str, obj: Any) -> None:
    sys.stdout.write(f"{tag} {json.dumps(obj)}\n")
    sys.stdout.flush()


def error_text(ex: BaseException) -> str:
    return f"{type(ex).__name__}: {ex}".strip()[:4000]


def result_path(outdir: str, engine: str, q: str) -> str:
    return os.path.join(outdir, f"{engine}__{q}.arrow")


def serve(args, engine_cls, load: Callable[[], dict[str, pa.Table]], load_time_key: str,
          timed: bool = True) -> None:
    """The child: runs args.queries on engine_cls (named args.engines[0]) over the tables load()
    returns; LOAD reports load()'s time as load_time_key. timed=False: the warm-up run only
    (peak memory), its result not saved."""
    e = args.engines[0]
    try:
        t0 = time.perf_counter()
        tables = load()
        load_time = time.perf_counter() - t0
        eng = engine_cls()
        t1 = time.perf_counter()
        eng.setup(tables, args)
        desc = eng.describe()
    except Exception as ex:  # noqa: BLE001
        _emit("LOAD", {"error": error_text(ex)})
        return
    _emit("LOAD", {"desc": desc, load_time_key: load_time, "load_s": time.perf_counter() - t1,
                   "arrow_bytes": pa.total_allocated_bytes(),
                   "sizes": {k: [v.num_rows, v.nbytes] for k, v in tables.items()}})
    for q in args.queries:
        _emit("START", q)
        try:
            fn = eng.runner(q)
            gc.collect()
            can_reset = _reset_peak()
            base = _status_kb("VmRSS")
            s = time.perf_counter()
            out = fn()
            first = time.perf_counter() - s
        except Exception as ex:  # noqa: BLE001
            _emit("DONE", {"q": q, "error": error_text(ex)})
            continue
        peak_kb = max(0, _status_kb("VmHWM") - base) if can_reset else None
        rec: dict[str, Any] = {"q": q, "rows": out.num_rows, "peak_kb": peak_kb, "first_s": first}
        if not timed:
            del out
            _emit("DONE", rec)
            continue
        with pa.OSFile(result_path(args.outdir, e, q), "wb") as f:
            with pa.ipc.new_file(f, out.schema) as w:
                w.write_table(out)
        del out
        best = math.inf
        try:
            for _ in range(args.repeat):
                gc.collect()
                _emit("TICK", q)
                s = time.perf_counter()
                r = fn()
                best = min(best, time.perf_counter() - s)
                del r
        except Exception as ex:  # noqa: BLE001  (a failure after a good warm-up: flaky)
            _emit("DONE", {"q": q, "error": "failed in a timed run after a successful warm-up: "
                                            + error_text(ex)})
            continue
        rec["best_s"] = best
        _emit("DONE", rec)


# --------------------------------------------------------------------------------------------
# parent
# --------------------------------------------------------------------------------------------
def run_engine(cmd: list[str], engine: str, queries: list[str], timeout: float,
               on_done: Callable[[str, dict], None], timeout_per_run: bool = True) -> dict:
    """Runs `cmd + queries` (a child that calls serve) for one engine, restarting it after a
    crash or a timeout. timeout: seconds per run (timeout_per_run) or per query (warm-up and
    timed runs together). on_done(engine, rec) hears of each query as it ends.
    Returns {"load": LOAD message, "results": {q: DONE message}}."""
    remaining = list(queries)
    load: dict = {}
    results: dict[str, dict] = {}
    while remaining:
        with tempfile.TemporaryFile("w+") as errf:
            p = subprocess.Popen(cmd + remaining, stdout=subprocess.PIPE, stderr=errf, text=True)
            current: list[Any] = [None, time.monotonic()]
            timed_out = threading.Event()

            def watchdog():
                while p.poll() is None:
                    if current[0] and time.monotonic() - current[1] > timeout:
                        timed_out.set()
                        p.kill()
                        return
                    time.sleep(0.2)

            threading.Thread(target=watchdog, daemon=True).start()
            assert p.stdout is not None
            for line in p.stdout:
                tag, _, payload = line.rstrip("\n").partition(" ")
                if tag == "LOAD":
                    load = json.loads(payload)
                elif tag == "START" or (tag == "TICK" and timeout_per_run):
                    current[0], current[1] = json.loads(payload), time.monotonic()
                elif tag == "DONE":
                    rec = json.loads(payload)
                    results[rec["q"]] = rec
                    on_done(engine, rec)
                    current[0] = None
            rc = p.wait()
            errf.seek(0)
            err_tail = " | ".join(errf.read().strip().splitlines()[-3:])[-600:]
        if "error" in load:
            for q in remaining:
                results[q] = {"q": q, "error": "setup failed: " + load["error"]}
            break
        if rc == 0 and current[0] is None:
            break
        crashed = current[0]
        why = (f"TIMEOUT: over {timeout:g}s" if timed_out.is_set()
               else f"CRASH: process died (exit {rc}{', signal ' + str(-rc) if rc < 0 else ''})"
                    f": {err_tail}")
        if crashed is None:  # died while loading
            for q in remaining:
                results.setdefault(q, {"q": q, "error": why})
            break
        results[crashed] = {"q": crashed, "error": why}
        on_done(engine, results[crashed])
        remaining = [q for q in remaining[remaining.index(crashed) + 1:] if q not in results]
    return {"load": load, "results": results}


def run_engines(engines: list[str], run_one: Callable[[str], dict],
                load_line: Callable[[dict], str]) -> tuple[dict, dict]:
    """run_one(engine) -> run_engine's answer, for each engine in turn, with a line on stderr
    when its data was loaded. Returns (loads {engine: LOAD}, timing {engine: {q: DONE}})."""
    loads: dict[str, dict] = {}
    timing: dict[str, dict[str, dict]] = {}
    for e in engines:
        r = run_one(e)
        loads[e], timing[e] = r["load"], r["results"]
        ld = r["load"]
        print(f"# {e:<12} " + (load_line(ld) if "desc" in ld else f"LOAD FAILED {ld}"),
              file=sys.stderr, flush=True)
    return loads, timing


def read_result(outdir: str, engine: str, q: str) -> pa.Table | None:
    path = result_path(outdir, engine, q)
    if not os.path.exists(path):
        return None
    with pa.memory_map(path) as src:
        return pa.ipc.open_file(src).read_all()


def shape_difference(ref: pa.Table, got: pa.Table | None) -> str | None:
    """None when got has ref's column and row counts, else the difference."""
    if got is None:
        return "no result file"
    if ref.num_columns != got.num_columns:
        return f"{got.num_columns} columns, expected {ref.num_columns}"
    if ref.num_rows != got.num_rows:
        return f"{got.num_rows} rows, expected {ref.num_rows}"
    return None


def check_results(engines: list[str], queries: list[str], timing: dict, outdir: str,
                  ref_order: list[str], compare: Callable[[str, pa.Table, pa.Table], str | None]
                  ) -> tuple[dict, dict, dict]:
    """Compares every engine's saved result with the reference's: the first engine of ref_order
    that ran the query: first their shapes, then compare(q, ref, got) -> None when equal, else
    the difference (printed as MISMATCH). Returns (mismatches {(engine, q): msg}, rows {q: reference row count},
    name_diffs {(engine, q): msg} for equal results with other column names)."""
    mismatches: dict[tuple[str, str], str] = {}
    name_diffs: dict[tuple[str, str], str] = {}
    rows: dict[str, int] = {}
    for q in queries:
        ref_eng = next((e for e in ref_order if e in engines and
                        "error" not in timing[e].get(q, {"error": 1})), None)
        if ref_eng is None:
            continue
        ref = read_result(outdir, ref_eng, q)
        rows[q] = ref.num_rows
        for e in engines:
            if e == ref_eng or "error" in timing[e].get(q, {"error": 1}):
                continue
            got = read_result(outdir, e, q)
            diff = shape_difference(ref, got) or compare(q, ref, got)
            if diff:
                mismatches[(e, q)] = f"{e} vs {ref_eng}: {diff}"
                print(f"!!! MISMATCH {q}: {mismatches[(e, q)]}", file=sys.stderr, flush=True)
            elif got.column_names != ref.column_names:
                name_diffs[(e, q)] = f"{e} {got.column_names} vs {ref_eng} {ref.column_names}"
    return mismatches, rows, name_diffs


def outcomes(timing: dict, engines: list[str], queries: list[str]) -> tuple[dict, dict]:
    """(best time, error) by (engine, query): times {(e, q): best_s or None}, errors
    {(e, q): message} for the queries that failed."""
    times = {(e, q): timing[e].get(q, {}).get("best_s") for e in engines for q in queries}
    errors = {(e, q): timing[e][q]["error"] for e in engines for q in queries
              if "error" in timing[e].get(q, {})}
    return times, errors


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def report_head(data_line: str, args, loads: dict, total_s: float, run_note: str = "") -> list[str]:
    """The lines above the tables: the data, how it was timed (run_note: more on a run), each
    engine's setup."""
    lines = [data_line,
             f"timing: best of {args.repeat} after 1 warm-up, wall clock, each engine in its "
             f"own process, result materialized as an Arrow table{run_note}; "
             f"host cpus={os.cpu_count()}; total run {total_s:.0f}s"]
    for e in args.engines:
        ld = loads.get(e, {})
        lines.append(f"- {e}: {ld.get('desc', 'LOAD FAILED: ' + str(ld.get('error')))}")
    lines.append("")
    return lines


def write_json(path: str, args, loads: dict, timing: dict, mismatches: dict, **more: dict) -> None:
    """--json: the raw figures; mismatches and more are keyed by (engine, query), written as
    "engine|query"."""
    def keyed(d):
        return {f"{e}|{q}": v for (e, q), v in d.items()}
    with open(path, "w") as f:
        json.dump({"args": vars(args), "loads": loads, "timing": timing,
                   "mismatches": keyed(mismatches), **{k: keyed(v) for k, v in more.items()}},
                  f, indent=1)


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def fmt_t(t: float | None) -> str:
    if t is None:
        return "FAILED"
    return f"{t * 1000:.0f} ms" if t >= 0.1 else f"{t * 1000:.1f} ms"


def fmt_r(r: float | None) -> str:
    return "-" if r is None or math.isnan(r) else f"{r:.2f}x"


def render(hdr: list[str], rows: list[list[str]], md: bool) -> list[str]:
    if md:
        out = ["| " + " | ".join(hdr) + " |", "|" + "|".join("---" for _ in hdr) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return out
    w = [max(len(str(x)) for x in col) for col in zip(hdr, *rows)]
    out = ["  ".join(h.ljust(x) for h, x in zip(hdr, w))]
    out.append("  ".join("-" * x for x in w))
    out += ["  ".join(str(c).ljust(x) for c, x in zip(r, w)) for r in rows]
    return out


def add_run_args(ap, engines: list[str], queries_help: str) -> None:
    """The options both benchmarks take (--repeat, --engines, --queries, --profile), in their
    --help order."""
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per query (best of)")
    ap.add_argument("--engines", nargs="+", default=engines, choices=engines)
    ap.add_argument("--queries", nargs="+", default=None, help=queries_help)
    ap.add_argument("--profile", default="medium", choices=["small", "medium", "large"],
                    help="codeanatomy SessionFactory profile (default medium: 8 partitions, "
                         "2 GiB memory limit)")


def start(args, child_main: Callable, run: Callable) -> int:
    """After parsing the command line: the child's work (--_child), or the whole run with
    codeanatomy first in the tables."""
    if args.child:
        child_main(args)
        return 0
    if OURS in args.engines:
        args.engines = [OURS] + [e for e in args.engines if e != OURS]
    return run(args)
