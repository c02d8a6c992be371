#!/usr/bin/env python3
"""Delta Lake: codeanatomy's native reader/writer against delta-rs (the `deltalake` package).

Scenarios (each engine in each scenario runs in its own child process; one warm-up run, then
best of --repeat wall-clock runs; peak memory = peak RSS above the RSS just before the warm-up
run, VmHWM reset through /proc/self/clear_refs, as in bench_common):

  snapshot_latest  open a table with --commits commits (tiny appends written by delta-rs, a
                   classic checkpoint every 100 commits) at its latest version:
                   codeanatomy `DeltaTable(path).version` vs
                   `deltalake.DeltaTable(path).version()` (both load the file list).
  snapshot_old     the same table at an old version (--commits/10 + 55: a checkpoint plus 55
                   JSON commits to replay): `DeltaTable(path, version=v)`.
  scan_partition   a table of --partitions partitions x --partition-rows rows (written once by
                   delta-rs, one file per partition); open it and read one partition:
                   codeanatomy `ctx.register_delta` + `ctx.sql("SELECT * FROM t WHERE p = 42")`
                   vs `deltalake.DeltaTable(path).to_pyarrow_table(filters=[("p", "=", 42)])`.
  scan_partition_opened
                   the same query on a table opened once before the timed runs (the scan
                   alone: codeanatomy ctx.sql on the registered table, delta-rs
                   to_pyarrow_table on the DeltaTable object).
  append_N         --appends appends of --append-rows rows each to a fresh table (the first
                   creates it), by path: `write_delta(path, b, mode="append")` vs
                   `deltalake.write_deltalake(path, b, mode="append")` (delta-rs defaults).
  write_1m         one write of --write-rows rows to a fresh table (mode="error").

Rows: id int64, k int32, x float64, s string, d date32 (+ p int64 in the partitioned table),
seeded; the written data is built in memory before timing. Written tables go to a scratch
directory (removed at the end); a fresh directory per run, created and removed outside the
timed part.

Checking, before a time is used: snapshots: same version and number of active files in both
engines, and at the old version both engines' full reads have (v+1) x batch rows; scans: the
same rows (sorted by id, compared by column name); writes: each engine's last table is read
back by delta-rs and by codeanatomy and must equal the input (sorted by id) at the expected
version. A difference prints MISMATCH and the scenario's time is not used for a goal.

Goals: snapshot load <= 0.5x delta-rs (both snapshot scenarios), writes <= 1.0x (append and
write_1m); each printed MET / NOT MET.

Data: built once with delta-rs under --data-dir (default /tmp/delta-bench), rebuilt only
when missing (`--builder codeanatomy`: the many-commits table is written by codeanatomy
instead, with its own checkpoints; both engines then open that table).
10000 commits take ~40 minutes on 2 cores with delta-rs (it slows to a few commits/s as
the file list grows); an interrupted build (<table>.partial) is resumed.

Usage (the engine in /work/main is rebuilt often: run from a copy so one run sees one build):
    SNAP=/tmp/ca_snap && rm -rf $SNAP && mkdir -p $SNAP && cp -rLp /work/main/python/codeanatomy $SNAP/
    cd /tmp && PYTHONPATH=$SNAP nice -n 10 python3 /work/wt-dbench/bench/delta_vs_deltalake.py \
        --commits 500 --appends 20 --markdown --json /tmp/delta_small.json
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_common  # noqa: E402  (peak-RSS helpers, formatting)
from bench_common import OURS, error_text, fmt_bytes, fmt_r, fmt_t, render  # noqa: E402

PEER = "delta-rs"
ENGINES = [OURS, PEER]
BATCH_ROWS = 10  # rows per commit in the many-commits table
CHECKPOINT_EVERY = 100
SCAN_PARTITION = 42
SNAPSHOT_GOAL = 0.5
WRITE_GOAL = 1.0


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def make_rows(n: int, start: int = 0, seed: int = 0, partitions: int | None = None,
              partition_rows: int | None = None) -> pa.Table:
    """n seeded rows with ids start..start+n-1; with partitions, a p column (id // partition_rows)."""
    rng = np.random.default_rng(seed * 1_000_003 + start)
    ids = np.arange(start, start + n, dtype=np.int64)
    cols: dict[str, pa.Array] = {"id": pa.array(ids)}
    if partitions is not None:
        cols["p"] = pa.array(ids // partition_rows)
    cols["k"] = pa.array(rng.integers(0, 1_000_000, n, dtype=np.int32))
    cols["x"] = pa.array(rng.random(n) * 1000.0)
    cols["s"] = pc.binary_join_element_wise(
        "name-", pa.array(rng.integers(0, 50_000, n)).cast(pa.string()), "")
    cols["d"] = pa.array((18_000 + ids % 3650).astype(np.int32)).cast(pa.date32())
    return pa.table(cols)


def commits_path(args) -> str:
    suffix = "" if args.builder == PEER else "_ca"
    return os.path.join(args.data_dir, f"commits_{args.commits}_b{BATCH_ROWS}{suffix}")


def partitioned_path(args) -> str:
    return os.path.join(args.data_dir, f"partitioned_{args.partitions}x{args.partition_rows}")


def old_version(args) -> int:
    return args.commits // 10 + 55 if args.commits > 200 else args.commits // 2


def _no_hooks():
    from deltalake import PostCommitHookProperties
    return PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)


def _build(path: str, build: Callable[[str], None], what: str, builder: str = PEER) -> None:
    """Builds into path + '.partial' and renames it when done (a directory that exists is a
    complete table)."""
    if os.path.exists(path):
        return
    tmp = path + ".partial"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    print(f"# building {what} in {path} ({builder})", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    build(tmp)
    os.replace(tmp, path)
    print(f"# built in {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)


def ensure_data(args) -> None:
    import deltalake
    from deltalake import write_deltalake

    def build_commits(tmp: str) -> None:
        """Resumes an interrupted build (commits are atomic; a checkpoint missing at the
        resumed version is written again)."""
        hooks = _no_hooks()
        try:
            dt = deltalake.DeltaTable(tmp)
            first = dt.version() + 1
            print(f"#   resuming at version {first}", file=sys.stderr, flush=True)
            if first > 1 and (first - 1) % CHECKPOINT_EVERY == 0:
                dt.create_checkpoint()
        except Exception:  # noqa: BLE001  (no table yet)
            shutil.rmtree(tmp, ignore_errors=True)
            write_deltalake(tmp, make_rows(BATCH_ROWS, 0), mode="append",
                            post_commithook_properties=hooks)
            dt, first = deltalake.DeltaTable(tmp), 1
        for v in range(first, args.commits):
            write_deltalake(dt, make_rows(BATCH_ROWS, v * BATCH_ROWS), mode="append",
                            post_commithook_properties=hooks)
            if v % CHECKPOINT_EVERY == 0:
                dt.create_checkpoint()
            if v % 1000 == 0:
                print(f"#   {v} commits", file=sys.stderr, flush=True)
        assert dt.version() == args.commits - 1, dt.version()

    def build_commits_ours(tmp: str) -> None:
        """The same table written by codeanatomy: one append per commit, its own classic
        checkpoint every CHECKPOINT_EVERY commits (delta.checkpointInterval)."""
        from codeanatomy.delta import DeltaTable, write_delta

        try:
            first = DeltaTable(tmp).version + 1
            print(f"#   resuming at version {first}", file=sys.stderr, flush=True)
        except Exception:  # noqa: BLE001  (no table yet)
            shutil.rmtree(tmp, ignore_errors=True)
            write_delta(tmp, make_rows(BATCH_ROWS, 0), mode="append",
                        configuration={"delta.checkpointInterval": str(CHECKPOINT_EVERY)})
            first = 1
        for v in range(first, args.commits):
            write_delta(tmp, make_rows(BATCH_ROWS, v * BATCH_ROWS), mode="append")
            if v % 1000 == 0:
                print(f"#   {v} commits", file=sys.stderr, flush=True)
        assert DeltaTable(tmp).version == args.commits - 1

    def build_partitioned(tmp: str) -> None:
        shutil.rmtree(tmp, ignore_errors=True)
        n = args.partitions * args.partition_rows
        write_deltalake(tmp, make_rows(n, 0, seed=1, partitions=args.partitions,
                                       partition_rows=args.partition_rows),
                        partition_by=["p"], mode="error", post_commithook_properties=_no_hooks())

    if any(s.startswith("snapshot") for s in args.scenarios):
        _build(commits_path(args), build_commits if args.builder == PEER else build_commits_ours,
               f"a table of {args.commits} commits x {BATCH_ROWS} rows, a checkpoint every "
               f"{CHECKPOINT_EVERY}", args.builder)
    if any(s.startswith("scan") for s in args.scenarios):
        _build(partitioned_path(args), build_partitioned,
               f"{args.partitions} partitions x {args.partition_rows} rows")


# --------------------------------------------------------------------------------------------
# the engines' operations
# --------------------------------------------------------------------------------------------
class Ours:
    def __init__(self):
        import codeanatomy
        from codeanatomy import delta
        self.ca, self.delta = codeanatomy, delta

    def describe(self) -> str:
        native = next((m.__file__ for n, m in sys.modules.items()
                       if n.startswith("codeanatomy._native")), None)
        built = (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(os.path.getmtime(native)))
                 if native else "?")
        return (f"codeanatomy {self.ca.__version__} module={os.path.dirname(self.ca.__file__)} "
                f"native built {built}; scans: SessionContext() defaults")

    def snapshot_version(self, path, version=None) -> int:
        return self.delta.DeltaTable(path, version=version).version

    def snapshot_check(self, path, version=None, read=False) -> dict:
        t = self.delta.DeltaTable(path, version=version)
        out = {"version": t.version, "files": t.add_actions().num_rows}
        if read:
            out["rows"] = t.to_arrow().num_rows
        return out

    def open_partitioned(self, path):
        ctx = self.ca.SessionContext()
        ctx.register_delta("t", path)
        return ctx

    def scan(self, ctx, p: int) -> pa.Table:
        return ctx.sql(f"SELECT * FROM t WHERE p = {p}").to_arrow()

    def write(self, path, data, mode) -> None:
        self.delta.write_delta(path, data, mode=mode)


class DeltaRs:
    def __init__(self):
        import deltalake
        self.dl = deltalake

    def describe(self) -> str:
        return f"deltalake {self.dl.__version__} (delta-rs)"

    def snapshot_version(self, path, version=None) -> int:
        return self.dl.DeltaTable(path, version=version).version()

    def snapshot_check(self, path, version=None, read=False) -> dict:
        t = self.dl.DeltaTable(path, version=version)
        out = {"version": t.version(), "files": len(t.file_uris())}
        if read:
            out["rows"] = t.to_pyarrow_table().num_rows
        return out

    def open_partitioned(self, path):
        return self.dl.DeltaTable(path)

    def scan(self, dt, p: int) -> pa.Table:
        return dt.to_pyarrow_table(filters=[("p", "=", p)])

    def write(self, path, data, mode) -> None:
        self.dl.write_deltalake(path, data, mode=mode)


ENGINE_CLASSES = {OURS: Ours, PEER: DeltaRs}


# --------------------------------------------------------------------------------------------
# child: one engine, one scenario
# --------------------------------------------------------------------------------------------
def measure(run: Callable[[], Any], repeat: int, before: Callable[[], None] | None = None
            ) -> tuple[Any, float, float, int | None]:
    """One warm-up run (peak RSS above the RSS before it), then best of repeat; before() runs
    untimed ahead of every run. Returns (last result, first_s, best_s, peak_kb)."""
    if before:
        before()
    gc.collect()
    can_reset = bench_common._reset_peak()
    base = bench_common._status_kb("VmRSS")
    s = time.perf_counter()
    out = run()
    first = time.perf_counter() - s
    peak_kb = max(0, bench_common._status_kb("VmHWM") - base) if can_reset else None
    best = math.inf
    for _ in range(repeat):
        if before:
            before()
        del out
        gc.collect()
        s = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - s)
    return out, first, best, peak_kb


def _save(table: pa.Table, path: str) -> None:
    with pa.OSFile(path, "wb") as f:
        with pa.ipc.new_file(f, table.schema) as w:
            w.write_table(table)


def child_main(args) -> None:
    eng_name, sc = args.engines[0], args.scenarios[0]
    rec: dict[str, Any] = {"engine": eng_name, "scenario": sc}
    try:
        eng = ENGINE_CLASSES[eng_name]()
        rec["desc"] = eng.describe()
        if sc in ("snapshot_latest", "snapshot_old"):
            path = commits_path(args)
            v = old_version(args) if sc == "snapshot_old" else None
            out, first, best, peak = measure(lambda: eng.snapshot_version(path, v), args.repeat)
            rec["check"] = eng.snapshot_check(path, v, read=sc == "snapshot_old")
            rec["rows"] = rec["check"].get("rows")
        elif sc in ("scan_partition", "scan_partition_opened"):
            path = partitioned_path(args)
            if sc == "scan_partition":
                def run():
                    return eng.scan(eng.open_partitioned(path), SCAN_PARTITION)
            else:
                opened = eng.open_partitioned(path)

                def run():
                    return eng.scan(opened, SCAN_PARTITION)
            out, first, best, peak = measure(run, args.repeat)
            rec["rows"] = out.num_rows
            _save(out, os.path.join(args.outdir, f"{eng_name}__{sc}.arrow"))
        elif sc.startswith("append") or sc == "write_1m":
            if sc == "write_1m":
                batches = [make_rows(args.write_rows, 0, seed=2)]
                mode = "error"
            else:
                batches = [make_rows(args.append_rows, i * args.append_rows, seed=3)
                           for i in range(args.appends)]
                mode = "append"
            state = {"n": 0, "path": None}

            def before():
                if state["path"]:
                    shutil.rmtree(state["path"], ignore_errors=True)
                state["n"] += 1
                state["path"] = os.path.join(args.outdir, f"{eng_name}__{sc}__{state['n']}")

            def run():
                p = state["path"]
                for b in batches:
                    eng.write(p, b, mode)
                return p
            last, first, best, peak = measure(run, args.repeat, before)
            rec["table"] = last
            rec["rows"] = sum(b.num_rows for b in batches)
            rec["files"] = sum(len(fs) for d, _, fs in os.walk(last)
                               if "_delta_log" not in d)
            rec["bytes"] = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(last)
                               if "_delta_log" not in d for f in fs)
        else:
            raise ValueError(f"unknown scenario {sc}")
        rec.update(first_s=first, best_s=best, peak_kb=peak)
    except Exception as ex:  # noqa: BLE001
        rec["error"] = error_text(ex)
    sys.stdout.write("RESULT " + json.dumps(rec) + "\n")
    sys.stdout.flush()


def run_child(args, engine: str, scenario: str, outdir: str) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--_child", "--engines", engine,
           "--scenarios", scenario, "--outdir", outdir, "--data-dir", args.data_dir,
           "--repeat", str(args.repeat), "--commits", str(args.commits),
           "--partitions", str(args.partitions), "--partition-rows", str(args.partition_rows),
           "--appends", str(args.appends), "--append-rows", str(args.append_rows),
           "--write-rows", str(args.write_rows), "--builder", args.builder]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "scenario": scenario,
                "error": f"TIMEOUT: over {args.timeout:g}s"}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = " | ".join(p.stderr.strip().splitlines()[-3:])[-600:]
    return {"engine": engine, "scenario": scenario,
            "error": f"CRASH: exit {p.returncode}: {tail}"}


# --------------------------------------------------------------------------------------------
# checking
# --------------------------------------------------------------------------------------------
def _canon(t: pa.Table, names: list[str]) -> pa.Table:
    """Columns in names' order, strings as utf8, sorted by id."""
    cols = []
    for n in names:
        c = t.column(n)
        if pa.types.is_dictionary(c.type):
            c = c.cast(c.type.value_type)
        if pa.types.is_large_string(c.type) or pa.types.is_string_view(c.type):
            c = c.cast(pa.string())
        cols.append(c)
    return pa.table(cols, names=names).sort_by([("id", "ascending")])


def _diff(ref: pa.Table, got: pa.Table, names: list[str]) -> str | None:
    missing = [n for n in names if n not in got.column_names]
    if missing:
        return f"columns {missing} missing (has {got.column_names})"
    if got.num_rows != ref.num_rows:
        return f"{got.num_rows} rows, expected {ref.num_rows}"
    a, b = _canon(ref, names), _canon(got, names)
    for n in names:
        if a.column(n).type != b.column(n).type:
            return f"column {n}: type {b.column(n).type}, expected {a.column(n).type}"
        if not a.column(n).equals(b.column(n)):
            eq = pc.fill_null(pc.equal(a.column(n), b.column(n)), False).to_numpy(
                zero_copy_only=False)
            i = int(np.argmin(eq))
            return (f"column {n} differs at sorted row {i}: {b.column(n)[i].as_py()!r}, "
                    f"expected {a.column(n)[i].as_py()!r}")
    return None


def check(args, sc: str, res: dict, outdir: str) -> dict[str, str]:
    """{engine: mismatch message} for the scenario (engines that failed are skipped)."""
    ok = {e: r for e, r in res.items() if "error" not in r}
    bad: dict[str, str] = {}
    if sc.startswith("snapshot"):
        v = old_version(args) if sc == "snapshot_old" else args.commits - 1
        exp = {"version": v, "files": v + 1}
        if sc == "snapshot_old":
            exp["rows"] = (v + 1) * BATCH_ROWS
        for e, r in ok.items():
            if r["check"] != exp:
                bad[e] = f"snapshot {r['check']}, expected {exp}"
    elif sc.startswith("scan"):
        names = ["id", "p", "k", "x", "s", "d"]
        n = args.partitions * args.partition_rows
        full = make_rows(n, 0, seed=1, partitions=args.partitions,
                         partition_rows=args.partition_rows)
        ref = full.filter(pc.equal(full["p"], SCAN_PARTITION))
        for e in ok:
            got = bench_common.read_result(outdir, e, sc)
            d = _diff(ref, got, names) if got is not None else "no result file"
            if d:
                bad[e] = d
    else:
        import deltalake

        from codeanatomy.delta import DeltaTable
        names = ["id", "k", "x", "s", "d"]
        if sc == "write_1m":
            ref, v = make_rows(args.write_rows, 0, seed=2), 0
        else:
            ref = pa.concat_tables([make_rows(args.append_rows, i * args.append_rows, seed=3)
                                    for i in range(args.appends)])
            v = args.appends - 1
        for e, r in ok.items():
            for reader, read in (
                    (PEER, lambda p: (deltalake.DeltaTable(p).version(),
                                      deltalake.DeltaTable(p).to_pyarrow_table())),
                    (OURS, lambda p: (DeltaTable(p).version, DeltaTable(p).to_arrow()))):
                try:
                    got_v, got = read(r["table"])
                    d = (f"version {got_v}, expected {v}" if got_v != v
                         else _diff(ref, got, names))
                except Exception as ex:  # noqa: BLE001
                    d = error_text(ex)
                if d:
                    bad[e] = f"read back by {reader}: {d}"
                    break
    for e, m in bad.items():
        print(f"!!! MISMATCH {sc} {e}: {m}", file=sys.stderr, flush=True)
    return bad


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------
def scenario_list(args) -> list[str]:
    return ["snapshot_latest", "snapshot_old", "scan_partition", "scan_partition_opened",
            f"append_{args.appends}", "write_1m"]


def describe_scenario(args, sc: str) -> str:
    if sc == "snapshot_latest":
        return f"open v{args.commits - 1} of {args.commits} commits"
    if sc == "snapshot_old":
        return f"open v{old_version(args)} (time travel)"
    if sc == "scan_partition":
        return (f"open + read 1 of {args.partitions} partitions "
                f"({args.partition_rows:,} rows)")
    if sc == "scan_partition_opened":
        return "read 1 partition, table already open"
    if sc.startswith("append"):
        return f"{args.appends} appends x {args.append_rows:,} rows, fresh table"
    return f"one {args.write_rows:,}-row write, fresh table"


def run(args) -> int:
    t0 = time.perf_counter()
    ensure_data(args)
    outdir = tempfile.mkdtemp(prefix="ca_delta_bench_", dir=args.scratch)
    results: dict[str, dict[str, dict]] = {}
    mismatches: dict[str, dict[str, str]] = {}
    try:
        for sc in args.scenarios:
            results[sc] = {}
            for e in args.engines:
                r = run_child(args, e, sc, outdir)
                results[sc][e] = r
                msg = (f"{fmt_t(r['best_s'])} (first {fmt_t(r['first_s'])}, peak "
                       f"{fmt_bytes((r['peak_kb'] or 0) * 1024)})" if "error" not in r
                       else "FAILED: " + r["error"][:400])
                print(f"  {sc:<22} {e:<12} {msg}", file=sys.stderr, flush=True)
            mismatches[sc] = check(args, sc, results[sc], outdir)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    total_s = time.perf_counter() - t0

    md = args.markdown
    descs = {}
    for sc in results:
        for e, r in results[sc].items():
            if "desc" in r:
                descs.setdefault(e, r["desc"])
    lines = [f"data: {commits_path(args)} ({args.commits} commits x {BATCH_ROWS} rows by "
             f"{args.builder}, checkpoint every {CHECKPOINT_EVERY}); {partitioned_path(args)} "
             f"({args.partitions} partitions x {args.partition_rows:,} rows, 1 file each, by "
             "delta-rs); written rows: id int64, k int32, x float64, s string, d date32",
             f"timing: best of {args.repeat} after 1 warm-up, wall clock, each engine and "
             f"scenario in its own process; peak memory = RSS above the RSS before the "
             f"warm-up run; host cpus={os.cpu_count()}; total run {total_s:.0f}s"]
    lines += [f"- {e}: {descs.get(e, '?')}" for e in args.engines]
    lines.append("")

    def t(sc, e):
        r = results[sc].get(e, {})
        return None if "error" in r or e in mismatches[sc] else r.get("best_s")

    hdr = ["scenario", "what", OURS, PEER, f"ours/{PEER}", f"peak {OURS}", f"peak {PEER}",
           "check"]
    rows = []
    ratios: dict[str, float | None] = {}
    for sc in args.scenarios:
        ot, pt = t(sc, OURS), t(sc, PEER)
        ratios[sc] = ot / pt if (ot is not None and pt) else None
        cells = []
        for e in (OURS, PEER):
            r = results[sc].get(e, {})
            c = ("TIMEOUT" if r.get("error", "").startswith("TIMEOUT") else "FAILED"
                 if "error" in r else fmt_t(r.get("best_s")))
            if e in mismatches[sc]:
                c += " **MISMATCH**" if md else " MISMATCH"
            cells.append(c)
        peaks = [fmt_bytes(results[sc][e]["peak_kb"] * 1024)
                 if results[sc].get(e, {}).get("peak_kb") is not None else "-"
                 for e in (OURS, PEER)]
        status = ("MISMATCH" if mismatches[sc] else
                  "ok" if all("error" not in results[sc].get(e, {"error": 1})
                              for e in args.engines) else "FAILED")
        rows.append([sc, describe_scenario(args, sc)] + cells + [fmt_r(ratios[sc])] + peaks
                    + [status])
    lines += render(hdr, rows, md)
    lines.append("")

    # written files
    wrows = []
    for sc in args.scenarios:
        if sc.startswith("append") or sc == "write_1m":
            wrows.append([sc] + [
                f"{results[sc][e]['files']} files, {fmt_bytes(results[sc][e]['bytes'])}"
                if "files" in results[sc].get(e, {}) else "-" for e in (OURS, PEER)])
    if wrows:
        lines.append("data files written (last run):")
        lines += render(["scenario", OURS, PEER], wrows, md)
        lines.append("")

    goals = [(sc, SNAPSHOT_GOAL, "snapshot load") for sc in args.scenarios
             if sc.startswith("snapshot")]
    goals += [(sc, WRITE_GOAL, "write") for sc in args.scenarios
              if sc.startswith("append") or sc == "write_1m"]
    lines.append("goals (ours/delta-rs):")
    for sc, goal, what in goals:
        r = ratios.get(sc)
        verdict = ("NOT MEASURED" if r is None else "MET" if r <= goal else "NOT MET")
        lines.append(f"- {what} {sc}: {fmt_r(r)} (goal <= {goal:g}x): {verdict}")
    fails = [(sc, e, r["error"]) for sc in results for e, r in results[sc].items()
             if "error" in r]
    if fails:
        lines.append("")
        lines.append("failures:")
        lines += [f"- {sc} {e}: {m[:500]}" for sc, e, m in fails]
    bad = [(sc, e, m) for sc in mismatches for e, m in mismatches[sc].items()]
    if bad:
        lines.append("")
        lines.append("WRONG RESULTS:")
        lines += [f"- MISMATCH {sc} {e}: {m}" for sc, e, m in bad]
    print("\n".join(lines), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results, "mismatches": mismatches,
                       "ratios": ratios}, f, indent=1)
    return 1 if any(OURS in m for m in mismatches.values()) else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=10000,
                    help="commits in the snapshot table (default 10000; 500 for a quick run)")
    ap.add_argument("--builder", default=PEER, choices=ENGINES,
                    help="who writes the many-commits table (delta-rs takes ~40 min for "
                    "10000 commits on 2 cores; codeanatomy a few minutes)")
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--partition-rows", type=int, default=10_000)
    ap.add_argument("--appends", type=int, default=100)
    ap.add_argument("--append-rows", type=int, default=10_000)
    ap.add_argument("--write-rows", type=int, default=1_000_000)
    ap.add_argument("--data-dir", default="/tmp/delta-bench",
                    help="cache of the tables built by delta-rs (built when missing)")
    ap.add_argument("--scratch", default=None,
                    help="where written tables go (default: the system temp directory)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per scenario (best of)")
    ap.add_argument("--engines", nargs="+", default=ENGINES, choices=ENGINES)
    ap.add_argument("--scenarios", nargs="+", default=None,
                    help="default: snapshot_latest snapshot_old scan_partition "
                         "scan_partition_opened append_N write_1m")
    ap.add_argument("--timeout", type=float, default=900,
                    help="seconds per engine and scenario before kill")
    ap.add_argument("--markdown", action="store_true", help="print markdown tables")
    ap.add_argument("--json", default=None, help="also write raw figures to this JSON file")
    ap.add_argument("--_child", dest="child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--outdir", default="/tmp", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    known = scenario_list(args)
    if args.scenarios is None:
        args.scenarios = known
    else:
        args.scenarios = [("append_" + str(args.appends) if s == "append" else s)
                          for s in args.scenarios]
        for s in args.scenarios:
            if s not in known:
                ap.error(f"unknown scenario {s!r}; known: {' '.join(known)}")
    return bench_common.start(args, child_main, run)


if __name__ == "__main__":
    sys.exit(main())
