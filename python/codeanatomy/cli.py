"""The ``codeanatomy`` command line."""

from __future__ import annotations

import argparse
import sys
import time

import pyarrow as pa


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="codeanatomy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="register synthetic CPG tables and run queries on them")
    demo.add_argument("--nodes", type=int, default=100_000)
    demo.add_argument("--profile", default="medium", choices=["small", "medium", "large"])
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
