"""The ``codeanatomy`` command line.

- ``codeanatomy build PATH --out DIR [--profile P] [--json]``: builds the Code Property Graph of
  the Python files under PATH into Delta tables under DIR (``cpg_nodes``, ``cpg_edges``,
  ``cpg_props``, ``cpg_props_map``, ``cpg_edges_by_src``, ``cpg_edges_by_dst``; the evidence under
  ``DIR/evidence``), showing the stages on stderr and a summary at the end (``--json``: the
  summary as JSON, nothing else).
- ``codeanatomy query DIR SQL``: runs SQL over the Delta tables directly under DIR (and under
  ``DIR/evidence``) and prints the result.
- ``codeanatomy demo``: queries over synthetic CPG tables.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, TextIO

import pyarrow as pa

PROFILES = ["small", "medium", "large"]


def _demo_tables(n_nodes: int) -> tuple[pa.Table, pa.Table]:
    kinds = ["module", "class", "function", "call", "name", "import"]
    nodes = pa.table(
        {
            "node_id": pa.array(range(n_nodes), pa.int64()),
            "node_kind": [kinds[i % len(kinds)] for i in range(n_nodes)],
            "path": [f"pkg/mod_{i % 17}.py" for i in range(n_nodes)],
            "bstart": pa.array([(i * 37) % 5000 for i in range(n_nodes)], pa.int64()),
        }
    )
    n_edges = n_nodes * 3
    edges = pa.table(
        {
            "src_node_id": pa.array([(i * 7) % n_nodes for i in range(n_edges)], pa.int64()),
            "dst_node_id": pa.array([(i * 13 + 1) % n_nodes for i in range(n_edges)], pa.int64()),
            "edge_kind": [["calls", "defines", "references"][i % 3] for i in range(n_edges)],
        }
    )
    return nodes, edges


def _demo(args: argparse.Namespace) -> int:
    import codeanatomy as ca
    from codeanatomy import col
    from codeanatomy import functions as F

    ctx = ca.SessionFactory(args.profile).create_session()
    nodes, edges = _demo_tables(args.nodes)
    ctx.register_arrow("cpg_nodes", nodes)
    ctx.register_arrow("cpg_edges", edges)
    print(f"registered cpg_nodes ({nodes.num_rows} rows) and cpg_edges ({edges.num_rows} rows)")

    queries = {
        "nodes per kind": ctx.table("cpg_nodes")
        .aggregate(["node_kind"], [F.count().alias("n")])
        .sort(col("n").sort(ascending=False), "node_kind"),
        "call edges into functions, per file": ctx.table("cpg_edges")
        .filter(col("edge_kind") == "calls")
        .join(ctx.table("cpg_nodes"), left_on="dst_node_id", right_on="node_id")
        .filter(col("node_kind") == "function")
        .aggregate(["path"], [F.count().alias("calls")])
        .sort(col("calls").sort(ascending=False), "path")
        .limit(5),
        "nodes with no outgoing edge": ctx.table("cpg_nodes")
        .join(ctx.table("cpg_edges"), how="anti", left_on="node_id", right_on="src_node_id")
        .aggregate([], [F.count().alias("leaf_nodes")]),
    }
    for title, df in queries.items():
        start = time.perf_counter()
        table = df.to_arrow()
        elapsed = (time.perf_counter() - start) * 1000
        print(f"\n== {title} ({table.num_rows} rows, {elapsed:.1f} ms)")
        df.show()
    return 0


class StageBar:
    """Build progress on a text stream: one line per stage with a bar of the stages done,
    redrawn in place on a terminal."""

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.in_place = stream.isatty()
        self.started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.perf_counter() - self.started
        line = f"[{bar}] {done}/{total} {stage} ({elapsed:.1f} s)"
        if self.in_place:
            end = "\n" if stage == "done" else ""
            self.stream.write("\r\x1b[2K" + line + end)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _build(args: argparse.Namespace) -> int:
    from .cpg import build_cpg
    from .errors import EngineExecutionError

    progress = None if args.json else StageBar(sys.stderr)
    try:
        summary = build_cpg(args.path, args.out, profile=args.profile, progress=progress)
    except (OSError, EngineExecutionError) as err:
        print(f"codeanatomy build: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(_summary_text(summary))
    return 0


def _summary_text(summary: dict[str, Any]) -> str:
    def kinds(counts: dict[str, int]) -> str:
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{kind} {n}" for kind, n in ordered) or "none"

    lines = [
        f"{summary['files']} files, {summary['lines']} lines -> {summary['nodes']} nodes, "
        f"{summary['edges']} edges in {summary['seconds']:.2f} s",
        f"  nodes: {kinds(summary['nodes_by_kind'])}",
        f"  edges: {kinds(summary['edges_by_kind'])}",
    ]
    for d in summary["diagnostics"]:
        where = f"{d['path']}:{d['line_no']}" if d["line_no"] is not None else d["path"]
        lines.append(f"  skipped {where}: {d['kind']} ({d['stage']}): {d['message']}")
    lines.append(f"  tables in {summary['out_dir']}")
    return "\n".join(lines)


def delta_tables_under(directory: str) -> dict[str, str]:
    """Table name -> location of the Delta tables directly under ``directory`` and under its
    ``evidence`` subdirectory (a name found in both is the top-level table)."""
    found: dict[str, str] = {}
    for base in (os.path.join(directory, "evidence"), directory):
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            location = os.path.join(base, name)
            if os.path.isdir(os.path.join(location, "_delta_log")):
                found[name] = location
    return found


def _query(args: argparse.Namespace) -> int:
    import codeanatomy as ca

    from .dataframe import _format_table

    tables = delta_tables_under(args.dir)
    if not tables:
        print(f"codeanatomy query: no Delta tables under {args.dir}", file=sys.stderr)
        return 2
    ctx = ca.SessionFactory(args.profile).create_session()
    ctx.install_codeanatomy_udfs()
    for name, location in tables.items():
        ctx.register_delta(name, location)
    try:
        table = ctx.sql(args.sql).to_arrow()
    except ca.EngineExecutionError as err:
        print(f"codeanatomy query: {err}", file=sys.stderr)
        print("tables: " + ", ".join(tables), file=sys.stderr)
        return 1
    print(_format_table(table))
    print(f"({table.num_rows} row{'' if table.num_rows == 1 else 's'})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="codeanatomy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the CPG of a tree of Python files")
    build.add_argument("path", help="the root of the Python files")
    build.add_argument("--out", required=True, help="where the Delta tables are written")
    build.add_argument("--profile", default="medium", choices=PROFILES)
    build.add_argument("--json", action="store_true", help="print the summary as JSON only")
    build.set_defaults(func=_build)
    query = sub.add_parser("query", help="run SQL over the tables of a build")
    query.add_argument("dir", help="a build's --out directory")
    query.add_argument("sql")
    query.add_argument("--profile", default="medium", choices=PROFILES)
    query.set_defaults(func=_query)
    demo = sub.add_parser("demo", help="register synthetic CPG tables and run queries on them")
    demo.add_argument("--nodes", type=int, default=100_000)
    demo.add_argument("--profile", default="medium", choices=PROFILES)
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
