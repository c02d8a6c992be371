#!/usr/bin/env python3
"""codeanatomy vs. peers on synthetic CPG-shaped tables.

Generates deterministic (seeded) in-memory Arrow tables shaped like a code property graph

    cpg_nodes(node_id, node_kind, path, file_id, bstart, bend)              10M rows at scale 1
    cpg_edges(edge_id, edge_kind, src_node_id, dst_node_id, confidence, path) 30M rows
    cpg_props(entity_id, prop_key, value_int, value_string)                 10M rows

and runs the same queries (filter+project, group-bys, top-k, nodes-edges-nodes joins, semi and
anti joins, a wide aggregate, a left join) in codeanatomy, DuckDB, datafusion-python, polars
and raw pyarrow.acero. Every engine gets the same pyarrow tables, zero-copy where it can, and
each query is run to a materialized Arrow table.

Before any time is trusted, each engine's result is compared with the first engine's
(row count, then the full result sorted and normalized: ints as int64, strings as utf8,
floats compared to 1e-9 relative); a difference prints MISMATCH.

Timing: one warm-up, then best of --repeat wall-clock runs per engine per query.
Peak memory: (--mem per-query, the default) one fresh subprocess per engine x query that
loads the data, resets the kernel's peak-RSS mark (/proc/self/clear_refs) and runs the query
once; the figure is VmHWM minus VmRSS just before the query. --mem per-engine runs all of an
engine's queries in one subprocess (resetting the mark per query; allocator caches may hide
later peaks); --mem off skips it.

Usage:
    cd /tmp && PYTHONPATH=/work/main/python python3 /work/main/bench/engine_vs_peers.py \
        --scale 0.1 --repeat 3 --profile large --markdown
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from typing import Any, Callable

import bench_common
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from bench_common import OURS, fmt_bytes, fmt_r, fmt_t, render

ALL_ENGINES = ["codeanatomy", "duckdb", "datafusion", "polars", "acero"]
REF_ORDER = ["duckdb", "datafusion", "polars", "acero", "codeanatomy"]
SEED = 20240611
N_FILES = 2000
BATCH_ROWS = 131072  # chunk size of the shared input tables (DuckDB's arrow scan parallelizes per batch)

NODE_KINDS = ["name", "call", "attribute", "literal", "assign", "param", "function", "block",
              "return", "import", "class", "module"]
NODE_KIND_P = [0.26, 0.16, 0.12, 0.11, 0.09, 0.07, 0.05, 0.05, 0.04, 0.025, 0.015, 0.01]
EDGE_KINDS = ["AST_CHILD", "CFG_NEXT", "REACHING_DEF", "ARGUMENT", "REF", "CALLS", "RECEIVER",
              "CONTAINS"]
EDGE_KIND_P = [0.33, 0.2, 0.12, 0.1, 0.09, 0.07, 0.05, 0.04]
PROP_KEYS_INT = ["lineno", "col", "arity", "is_async"]
PROP_KEYS_STR = ["name", "qualname", "docstring", "decorator", "type_hint", "value"]


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def _rechunk(t: pa.Table) -> pa.Table:
    t = t.combine_chunks()
    return pa.Table.from_batches(t.to_batches(max_chunksize=BATCH_ROWS), schema=t.schema)


def generate(scale: float) -> dict[str, pa.Table]:
    rng = np.random.default_rng(SEED)
    n_nodes = max(1000, int(10_000_000 * scale))
    n_edges = max(3000, int(30_000_000 * scale))
    n_props = max(1000, int(10_000_000 * scale))

    paths = pa.array([f"src/pkg_{f % 40:02d}/module_{f:04d}.py" for f in range(N_FILES)])
    file_id = np.sort(rng.integers(0, N_FILES, n_nodes))
    kind_idx = rng.choice(len(NODE_KINDS), size=n_nodes, p=NODE_KIND_P)
    bstart = rng.integers(0, 100_000, n_nodes)
    bend = bstart + rng.geometric(0.05, n_nodes)
    nodes = pa.table({
        "node_id": pa.array(np.arange(n_nodes, dtype=np.int64)),
        "node_kind": pa.array(NODE_KINDS).take(pa.array(kind_idx)),
        "path": paths.take(pa.array(file_id)),
        "file_id": pa.array(file_id.astype(np.int64)),
        "bstart": pa.array(bstart.astype(np.int64)),
        "bend": pa.array(bend.astype(np.int64)),
    })

    src = rng.integers(0, n_nodes, n_edges)
    local = np.clip(src + rng.integers(-300, 301, n_edges), 0, n_nodes - 1)
    far = rng.integers(0, int(n_nodes * 1.02), n_edges)  # ~2% of far edges dangle
    dst = np.where(rng.random(n_edges) < 0.6, local, far)
    ek = rng.choice(len(EDGE_KINDS), size=n_edges, p=EDGE_KIND_P)
    edges = pa.table({
        "edge_id": pa.array(np.arange(n_edges, dtype=np.int64)),
        "edge_kind": pa.array(EDGE_KINDS).take(pa.array(ek)),
        "src_node_id": pa.array(src.astype(np.int64)),
        "dst_node_id": pa.array(dst.astype(np.int64)),
        "confidence": pa.array(np.round(rng.random(n_edges), 3)),
        "path": paths.take(pa.array(file_id[src])),
    })

    keys = PROP_KEYS_INT + PROP_KEYS_STR
    pk = rng.integers(0, len(keys), n_props)
    is_int = pk < len(PROP_KEYS_INT)
    vint = rng.integers(0, 5000, n_props).astype(np.int64)
    names = pa.array([f"name_{i}" for i in range(50_000)])
    vstr = names.take(pa.array(rng.integers(0, 50_000, n_props)))
    props = pa.table({
        "entity_id": pa.array(rng.integers(0, n_nodes, n_props).astype(np.int64)),
        "prop_key": pa.array(keys).take(pa.array(pk)),
        "value_int": pa.array(vint, mask=~is_int),
        "value_string": pc.if_else(pa.array(is_int), pa.scalar(None, pa.string()), vstr),
    })
    return {"cpg_nodes": _rechunk(nodes), "cpg_edges": _rechunk(edges),
            "cpg_props": _rechunk(props)}


# --------------------------------------------------------------------------------------------
# queries: SQL (DuckDB, DataFusion), codeanatomy DataFrame, polars lazy, pyarrow.acero
# --------------------------------------------------------------------------------------------
QUERIES: dict[str, dict[str, Any]] = {}


def query(name: str, desc: str, sql: str):
    def deco(cls):
        QUERIES[name] = {"desc": desc, "sql": sql.strip(), "ours": cls.ours, "polars": cls.polars,
                         "acero": cls.acero}
        return cls
    return deco


def _ac():
    import pyarrow.acero as ac
    return ac


def _src(t: pa.Table):
    ac = _ac()
    return ac.Declaration("table_source", ac.TableSourceNodeOptions(t))


def _seq(*decls):
    return _ac().Declaration.from_sequence(list(decls))


def _filter(e):
    ac = _ac()
    return ac.Declaration("filter", ac.FilterNodeOptions(e))


def _project(exprs: dict):
    ac = _ac()
    return ac.Declaration("project", ac.ProjectNodeOptions(list(exprs.values()), list(exprs)))


def _agg(aggs, keys=None):
    ac = _ac()
    return ac.Declaration("aggregate", ac.AggregateNodeOptions(aggs, keys=keys))


def _join(kind, left, right, lk, rk, lout=None, rout=None):
    ac = _ac()
    return ac.Declaration("hashjoin", ac.HashJoinNodeOptions(kind, lk, rk, left_output=lout,
                                                            right_output=rout),
                          inputs=[left, right])


def _order(keys):
    ac = _ac()
    return ac.Declaration("order_by", ac.OrderByNodeOptions(keys))


F_ = pc.field


@query("q01_filter_project", "filter + project on nodes (~8% of rows out)", """
SELECT node_id, path, bend - bstart AS span FROM cpg_nodes
WHERE node_kind = 'call' AND bend - bstart >= 40""")
class Q01:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        return (ctx.table("cpg_nodes")
                .filter((col("node_kind") == lit("call")) & ((col("bend") - col("bstart")) >= lit(40)))
                .select("node_id", "path", (col("bend") - col("bstart")).alias("span")))

    @staticmethod
    def polars(t, pl):
        span = pl.col("bend") - pl.col("bstart")
        return (t["cpg_nodes"].filter((pl.col("node_kind") == "call") & (span >= 40))
                .select("node_id", "path", span.alias("span")))

    @staticmethod
    def acero(t):
        span = F_("bend") - F_("bstart")
        return _seq(_src(t["cpg_nodes"]),
                    _filter((F_("node_kind") == "call") & (span >= 40)),
                    _project({"node_id": F_("node_id"), "path": F_("path"), "span": span})).to_table()


@query("q02_groupby_small", "group-by count + avg over edges, 8 groups", """
SELECT edge_kind, count(*) AS n, avg(confidence) AS avg_conf FROM cpg_edges GROUP BY edge_kind""")
class Q02:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        return ctx.table("cpg_edges").aggregate(
            ["edge_kind"], [F.count().alias("n"), F.avg(col("confidence")).alias("avg_conf")])

    @staticmethod
    def polars(t, pl):
        return t["cpg_edges"].group_by("edge_kind").agg(
            pl.len().alias("n"), pl.col("confidence").mean().alias("avg_conf"))

    @staticmethod
    def acero(t):
        return _seq(_src(t["cpg_edges"]),
                    _agg([([], "hash_count_all", None, "n"),
                          ("confidence", "hash_mean", None, "avg_conf")], keys=["edge_kind"])
                    ).to_table()


@query("q03_groupby_large", "group-by count + max over nodes, (file_id, node_kind): ~24k groups", """
SELECT file_id, node_kind, count(*) AS n, max(bend) AS max_bend FROM cpg_nodes
GROUP BY file_id, node_kind""")
class Q03:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        return ctx.table("cpg_nodes").aggregate(
            ["file_id", "node_kind"], [F.count().alias("n"), F.max(col("bend")).alias("max_bend")])

    @staticmethod
    def polars(t, pl):
        return t["cpg_nodes"].group_by("file_id", "node_kind").agg(
            pl.len().alias("n"), pl.col("bend").max().alias("max_bend"))

    @staticmethod
    def acero(t):
        return _seq(_src(t["cpg_nodes"]),
                    _agg([([], "hash_count_all", None, "n"), ("bend", "hash_max", None, "max_bend")],
                         keys=["file_id", "node_kind"])).to_table()


@query("q04_topk", "top-100 edges by confidence desc, edge_id (sort + limit over all edges)", """
SELECT edge_id, src_node_id, dst_node_id, confidence FROM cpg_edges
ORDER BY confidence DESC, edge_id LIMIT 100""")
class Q04:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        return (ctx.table("cpg_edges").select("edge_id", "src_node_id", "dst_node_id", "confidence")
                .sort(col("confidence").sort(ascending=False), "edge_id").limit(100))

    @staticmethod
    def polars(t, pl):
        return (t["cpg_edges"].select("edge_id", "src_node_id", "dst_node_id", "confidence")
                .sort(["confidence", "edge_id"], descending=[True, False]).head(100))

    @staticmethod
    def acero(t):
        # Acero has no top-k node in pyarrow: project in Acero, then pyarrow.compute.select_k_unstable
        out = _seq(_src(t["cpg_edges"]),
                   _project({c: F_(c) for c in ("edge_id", "src_node_id", "dst_node_id", "confidence")})
                   ).to_table()
        idx = pc.select_k_unstable(out, k=100, sort_keys=[("confidence", "descending"),
                                                         ("edge_id", "ascending")])
        return out.take(idx)


@query("q05_topk_groups", "top-20 files by node count (group-by on a string + top-k)", """
SELECT path, count(*) AS n FROM cpg_nodes GROUP BY path ORDER BY n DESC, path LIMIT 20""")
class Q05:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        return (ctx.table("cpg_nodes").aggregate(["path"], [F.count().alias("n")])
                .sort(col("n").sort(ascending=False), "path").limit(20))

    @staticmethod
    def polars(t, pl):
        return (t["cpg_nodes"].group_by("path").agg(pl.len().alias("n"))
                .sort(["n", "path"], descending=[True, False]).head(20))

    @staticmethod
    def acero(t):
        out = _seq(_src(t["cpg_nodes"]), _agg([([], "hash_count_all", None, "n")], keys=["path"]),
                   _order([("n", "descending"), ("path", "ascending")])).to_table()
        return out.slice(0, 20)


_SQL_NEN = """FROM cpg_edges e JOIN cpg_nodes s ON e.src_node_id = s.node_id
JOIN cpg_nodes d ON e.dst_node_id = d.node_id"""


def _ours_nen(ctx, col, edge_filter, edge_cols, node_cols):
    nodes = ctx.table("cpg_nodes")
    s = nodes.select(col("node_id").alias("s_id"), *[col(c).alias("s_" + c) for c in node_cols])
    d = nodes.select(col("node_id").alias("d_id"), *[col(c).alias("d_" + c) for c in node_cols])
    e = ctx.table("cpg_edges").filter(edge_filter).select(*edge_cols, "src_node_id", "dst_node_id")
    return (e.join(s, left_on="src_node_id", right_on="s_id")
            .join(d, left_on="dst_node_id", right_on="d_id"))


def _polars_nen(t, pl, edge_filter, edge_cols, node_cols):
    nodes = t["cpg_nodes"]
    s = nodes.select(pl.col("node_id").alias("s_id"), *[pl.col(c).alias("s_" + c) for c in node_cols])
    d = nodes.select(pl.col("node_id").alias("d_id"), *[pl.col(c).alias("d_" + c) for c in node_cols])
    e = t["cpg_edges"].filter(edge_filter).select(*edge_cols, "src_node_id", "dst_node_id")
    return (e.join(s, left_on="src_node_id", right_on="s_id")
            .join(d, left_on="dst_node_id", right_on="d_id"))


def _acero_nen(t, edge_filter, edge_cols, node_cols):
    nodes = t["cpg_nodes"]
    s = _seq(_src(nodes), _project({"s_id": F_("node_id"), **{"s_" + c: F_(c) for c in node_cols}}))
    d = _seq(_src(nodes), _project({"d_id": F_("node_id"), **{"d_" + c: F_(c) for c in node_cols}}))
    e = _seq(_src(t["cpg_edges"]), _filter(edge_filter),
             _project({c: F_(c) for c in [*edge_cols, "src_node_id", "dst_node_id"]}))
    j1 = _join("inner", e, s, ["src_node_id"], ["s_id"])
    return _join("inner", j1, d, ["dst_node_id"], ["d_id"])


@query("q06_join_nen_agg", "nodes-edges-nodes join (CALLS edges) + group by both node kinds", f"""
SELECT s.node_kind AS s_node_kind, d.node_kind AS d_node_kind, count(*) AS n
{_SQL_NEN} WHERE e.edge_kind = 'CALLS' GROUP BY 1, 2""")
class Q06:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        j = _ours_nen(ctx, col, col("edge_kind") == lit("CALLS"), [], ["node_kind"])
        return j.aggregate(["s_node_kind", "d_node_kind"], [F.count().alias("n")])

    @staticmethod
    def polars(t, pl):
        j = _polars_nen(t, pl, pl.col("edge_kind") == "CALLS", [], ["node_kind"])
        return j.group_by("s_node_kind", "d_node_kind").agg(pl.len().alias("n"))

    @staticmethod
    def acero(t):
        j = _acero_nen(t, F_("edge_kind") == "CALLS", [], ["node_kind"])
        return _seq(j, _agg([([], "hash_count_all", None, "n")],
                            keys=["s_node_kind", "d_node_kind"])).to_table()


@query("q07_join_nen_project",
       "nodes-edges-nodes join (confidence >= 0.9, cross-file) materializing both paths", f"""
SELECT e.edge_id, s.path AS s_path, d.path AS d_path, s.node_kind AS s_node_kind,
       d.node_kind AS d_node_kind
{_SQL_NEN} WHERE e.confidence >= 0.9 AND s.file_id <> d.file_id""")
class Q07:
    COLS = ["edge_id", "s_path", "d_path", "s_node_kind", "d_node_kind"]

    @staticmethod
    def ours(ctx, ca, col, lit, F):
        j = _ours_nen(ctx, col, col("confidence") >= lit(0.9), ["edge_id"],
                      ["path", "node_kind", "file_id"])
        return j.filter(col("s_file_id") != col("d_file_id")).select(*Q07.COLS)

    @staticmethod
    def polars(t, pl):
        j = _polars_nen(t, pl, pl.col("confidence") >= 0.9, ["edge_id"],
                        ["path", "node_kind", "file_id"])
        return j.filter(pl.col("s_file_id") != pl.col("d_file_id")).select(*Q07.COLS)

    @staticmethod
    def acero(t):
        j = _acero_nen(t, F_("confidence") >= 0.9, ["edge_id"], ["path", "node_kind", "file_id"])
        return _seq(j, _filter(F_("s_file_id") != F_("d_file_id")),
                    _project({c: F_(c) for c in Q07.COLS})).to_table()


@query("q08_semi_join", "semi join: functions that are the target of a CALLS edge", """
SELECT node_id, path FROM cpg_nodes n WHERE n.node_kind = 'function'
AND EXISTS (SELECT 1 FROM cpg_edges e WHERE e.dst_node_id = n.node_id AND e.edge_kind = 'CALLS')""")
class Q08:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        calls = ctx.table("cpg_edges").filter(col("edge_kind") == lit("CALLS")).select("dst_node_id")
        return (ctx.table("cpg_nodes").filter(col("node_kind") == lit("function"))
                .join(calls, left_on="node_id", right_on="dst_node_id", how="semi")
                .select("node_id", "path"))

    @staticmethod
    def polars(t, pl):
        calls = t["cpg_edges"].filter(pl.col("edge_kind") == "CALLS").select("dst_node_id")
        return (t["cpg_nodes"].filter(pl.col("node_kind") == "function")
                .join(calls, left_on="node_id", right_on="dst_node_id", how="semi")
                .select("node_id", "path"))

    @staticmethod
    def acero(t):
        n = _seq(_src(t["cpg_nodes"]), _filter(F_("node_kind") == "function"),
                 _project({"node_id": F_("node_id"), "path": F_("path")}))
        e = _seq(_src(t["cpg_edges"]), _filter(F_("edge_kind") == "CALLS"),
                 _project({"dst_node_id": F_("dst_node_id")}))
        return _join("left semi", n, e, ["node_id"], ["dst_node_id"]).to_table()


@query("q09_anti_join", "anti join: nodes with no incoming edge, counted per kind", """
SELECT node_kind, count(*) AS n FROM cpg_nodes n
WHERE NOT EXISTS (SELECT 1 FROM cpg_edges e WHERE e.dst_node_id = n.node_id) GROUP BY node_kind""")
class Q09:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        dst = ctx.table("cpg_edges").select("dst_node_id")
        return (ctx.table("cpg_nodes").select("node_id", "node_kind")
                .join(dst, left_on="node_id", right_on="dst_node_id", how="anti")
                .aggregate(["node_kind"], [F.count().alias("n")]))

    @staticmethod
    def polars(t, pl):
        dst = t["cpg_edges"].select("dst_node_id")
        return (t["cpg_nodes"].join(dst, left_on="node_id", right_on="dst_node_id", how="anti")
                .group_by("node_kind").agg(pl.len().alias("n")))

    @staticmethod
    def acero(t):
        n = _seq(_src(t["cpg_nodes"]), _project({"node_id": F_("node_id"),
                                                 "node_kind": F_("node_kind")}))
        e = _seq(_src(t["cpg_edges"]), _project({"dst_node_id": F_("dst_node_id")}))
        j = _join("left anti", n, e, ["node_id"], ["dst_node_id"])
        return _seq(j, _agg([([], "hash_count_all", None, "n")], keys=["node_kind"])).to_table()


@query("q10_wide_agg", "wide aggregate: 12 aggregates (incl. count distinct) per node kind", """
SELECT node_kind, count(*) AS n, count(DISTINCT file_id) AS files,
       min(bstart) AS min_bstart, max(bstart) AS max_bstart, sum(bstart) AS sum_bstart,
       min(bend) AS min_bend, max(bend) AS max_bend,
       sum(bend - bstart) AS span_sum, avg(bend - bstart) AS span_avg,
       min(node_id) AS min_id, max(node_id) AS max_id, sum(file_id) AS file_sum
FROM cpg_nodes GROUP BY node_kind""")
class Q10:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        span = col("bend") - col("bstart")
        return ctx.table("cpg_nodes").aggregate(["node_kind"], [
            F.count().alias("n"), F.count_distinct(col("file_id")).alias("files"),
            F.min(col("bstart")).alias("min_bstart"), F.max(col("bstart")).alias("max_bstart"),
            F.sum(col("bstart")).alias("sum_bstart"), F.min(col("bend")).alias("min_bend"),
            F.max(col("bend")).alias("max_bend"), F.sum(span).alias("span_sum"),
            F.avg(span).alias("span_avg"), F.min(col("node_id")).alias("min_id"),
            F.max(col("node_id")).alias("max_id"), F.sum(col("file_id")).alias("file_sum")])

    @staticmethod
    def polars(t, pl):
        span = pl.col("bend") - pl.col("bstart")
        c = pl.col
        return t["cpg_nodes"].group_by("node_kind").agg(
            pl.len().alias("n"), c("file_id").n_unique().alias("files"),
            c("bstart").min().alias("min_bstart"), c("bstart").max().alias("max_bstart"),
            c("bstart").sum().alias("sum_bstart"), c("bend").min().alias("min_bend"),
            c("bend").max().alias("max_bend"), span.sum().alias("span_sum"),
            span.mean().alias("span_avg"), c("node_id").min().alias("min_id"),
            c("node_id").max().alias("max_id"), c("file_id").sum().alias("file_sum"))

    @staticmethod
    def acero(t):
        import pyarrow.compute as pcm
        p = _project({"node_kind": F_("node_kind"), "file_id": F_("file_id"),
                      "bstart": F_("bstart"), "bend": F_("bend"), "node_id": F_("node_id"),
                      "span": F_("bend") - F_("bstart")})
        valid = pcm.CountOptions(mode="only_valid")
        return _seq(_src(t["cpg_nodes"]), p, _agg([
            ([], "hash_count_all", None, "n"), ("file_id", "hash_count_distinct", valid, "files"),
            ("bstart", "hash_min", None, "min_bstart"), ("bstart", "hash_max", None, "max_bstart"),
            ("bstart", "hash_sum", None, "sum_bstart"), ("bend", "hash_min", None, "min_bend"),
            ("bend", "hash_max", None, "max_bend"), ("span", "hash_sum", None, "span_sum"),
            ("span", "hash_mean", None, "span_avg"), ("node_id", "hash_min", None, "min_id"),
            ("node_id", "hash_max", None, "max_id"), ("file_id", "hash_sum", None, "file_sum")],
            keys=["node_kind"])).to_table()


@query("q11_props_join", "props (name starts_with 'name_1') join nodes, count + count distinct", """
SELECT n.node_kind, count(*) AS n, count(DISTINCT p.value_string) AS names
FROM cpg_props p JOIN cpg_nodes n ON p.entity_id = n.node_id
WHERE p.prop_key = 'name' AND starts_with(p.value_string, 'name_1') GROUP BY n.node_kind""")
class Q11:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        p = (ctx.table("cpg_props")
             .filter((col("prop_key") == lit("name")) & F.starts_with(col("value_string"), "name_1"))
             .select("entity_id", "value_string"))
        n = ctx.table("cpg_nodes").select("node_id", "node_kind")
        return (p.join(n, left_on="entity_id", right_on="node_id")
                .aggregate(["node_kind"], [F.count().alias("n"),
                                           F.count_distinct(col("value_string")).alias("names")]))

    @staticmethod
    def polars(t, pl):
        p = (t["cpg_props"].filter((pl.col("prop_key") == "name")
                                   & pl.col("value_string").str.starts_with("name_1"))
             .select("entity_id", "value_string"))
        n = t["cpg_nodes"].select("node_id", "node_kind")
        return (p.join(n, left_on="entity_id", right_on="node_id").group_by("node_kind")
                .agg(pl.len().alias("n"), pl.col("value_string").n_unique().alias("names")))

    @staticmethod
    def acero(t):
        valid = pc.CountOptions(mode="only_valid")
        p = _seq(_src(t["cpg_props"]),
                 _filter((F_("prop_key") == "name") & pc.starts_with(F_("value_string"), "name_1")),
                 _project({"entity_id": F_("entity_id"), "value_string": F_("value_string")}))
        n = _seq(_src(t["cpg_nodes"]), _project({"node_id": F_("node_id"),
                                                 "node_kind": F_("node_kind")}))
        j = _join("inner", p, n, ["entity_id"], ["node_id"])
        return _seq(j, _agg([([], "hash_count_all", None, "n"),
                             ("value_string", "hash_count_distinct", valid, "names")],
                            keys=["node_kind"])).to_table()


@query("q12_left_join_agg", "classes LEFT JOIN their 'lineno' props, global count/count/sum", """
SELECT count(*) AS n, count(p.value_int) AS with_line, sum(p.value_int) AS line_sum
FROM cpg_nodes n LEFT JOIN (SELECT entity_id, value_int FROM cpg_props WHERE prop_key = 'lineno') p
ON n.node_id = p.entity_id WHERE n.node_kind = 'class'""")
class Q12:
    @staticmethod
    def ours(ctx, ca, col, lit, F):
        p = ctx.table("cpg_props").filter(col("prop_key") == lit("lineno")).select("entity_id",
                                                                                  "value_int")
        n = ctx.table("cpg_nodes").filter(col("node_kind") == lit("class")).select("node_id")
        return (n.join(p, left_on="node_id", right_on="entity_id", how="left")
                .aggregate([], [F.count().alias("n"), F.count(col("value_int")).alias("with_line"),
                                F.sum(col("value_int")).alias("line_sum")]))

    @staticmethod
    def polars(t, pl):
        p = t["cpg_props"].filter(pl.col("prop_key") == "lineno").select("entity_id", "value_int")
        n = t["cpg_nodes"].filter(pl.col("node_kind") == "class").select("node_id")
        return (n.join(p, left_on="node_id", right_on="entity_id", how="left")
                .select(pl.len().alias("n"), pl.col("value_int").count().alias("with_line"),
                        pl.col("value_int").sum().alias("line_sum")))

    @staticmethod
    def acero(t):
        p = _seq(_src(t["cpg_props"]), _filter(F_("prop_key") == "lineno"),
                 _project({"entity_id": F_("entity_id"), "value_int": F_("value_int")}))
        n = _seq(_src(t["cpg_nodes"]), _filter(F_("node_kind") == "class"),
                 _project({"node_id": F_("node_id")}))
        j = _join("left outer", n, p, ["node_id"], ["entity_id"])
        return _seq(j, _agg([([], "count_all", None, "n"),
                             ("value_int", "count", pc.CountOptions(mode="only_valid"), "with_line"),
                             ("value_int", "sum", None, "line_sum")])).to_table()


# --------------------------------------------------------------------------------------------
# engines
# --------------------------------------------------------------------------------------------
class Engine:
    name = ""

    def setup(self, tables: dict[str, pa.Table], args) -> None: ...
    def runner(self, qname: str) -> Callable[[], pa.Table]: ...
    def describe(self) -> str: return ""


class Ours(Engine):
    name = "codeanatomy"

    def setup(self, tables, args):
        import codeanatomy as ca
        from codeanatomy import col, lit
        from codeanatomy import functions as F
        self.ca, self.col, self.lit, self.F = ca, col, lit, F
        self.factory = ca.SessionFactory(args.profile)
        self.ctx = self.factory.create_session()
        for k, v in tables.items():
            self.ctx.register_arrow(k, v)

    def df(self, qname):
        return QUERIES[qname]["ours"](self.ctx, self.ca, self.col, self.lit, self.F)

    def runner(self, qname):
        return lambda: self.df(qname).to_arrow()

    def describe(self):
        p = json.loads(self.factory.profile_json())
        return (f"profile={p['name']} target_partitions={p['target_partitions']} "
                f"batch_size={p['batch_size']} memory_limit={fmt_bytes(p['memory_limit_bytes'])}"
                f" version={self.ca.__version__}")


class DuckDB(Engine):
    name = "duckdb"

    def setup(self, tables, args):
        import duckdb
        self.duckdb = duckdb
        self.con = duckdb.connect()
        for k, v in tables.items():
            self.con.register(k, v)  # Arrow scan, zero-copy

    def runner(self, qname):
        sql = QUERIES[qname]["sql"]
        return lambda: self.con.sql(sql).to_arrow_table()

    def describe(self):
        th = self.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        ml = self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        return (f"duckdb {self.duckdb.__version__} threads={th} memory_limit={ml} "
                f"(tables via con.register: Arrow scan)")


class DataFusion(Engine):
    name = "datafusion"

    def setup(self, tables, args):
        import datafusion
        self.datafusion = datafusion
        self.ctx = datafusion.SessionContext()
        parts = os.cpu_count() or 1
        for k, v in tables.items():
            batches = v.to_batches()
            chunks = [batches[i::parts] for i in range(parts)]
            self.ctx.register_record_batches(k, [c for c in chunks if c])

    def runner(self, qname):
        sql = QUERIES[qname]["sql"]
        return lambda: self.ctx.sql(sql).to_arrow_table()

    def describe(self):
        tp = self.ctx.sql("SHOW datafusion.execution.target_partitions").to_pylist()
        tp = tp[0]["value"] if tp else "?"
        return (f"datafusion-python {self.datafusion.__version__} target_partitions={tp} "
                f"memory pool=unbounded (default) (tables via register_record_batches, "
                f"{os.cpu_count()} partitions)")


class Polars(Engine):
    name = "polars"

    def setup(self, tables, args):
        import polars as pl
        self.pl = pl
        self.frames = {k: pl.from_arrow(v).lazy() for k, v in tables.items()}  # copies strings

    def runner(self, qname):
        pl = self.pl
        return lambda: QUERIES[qname]["polars"](self.frames, pl).collect().to_arrow(
            compat_level=pl.CompatLevel.newest())

    def describe(self):
        return (f"polars {self.pl.__version__} threads={self.pl.thread_pool_size()} "
                f"(pl.from_arrow at load: strings copied to string_view; to_arrow newest compat)")


class Acero(Engine):
    name = "acero"

    def setup(self, tables, args):
        self.tables = tables

    def runner(self, qname):
        return lambda: QUERIES[qname]["acero"](self.tables)

    def describe(self):
        return (f"pyarrow.acero {pa.__version__} cpu_count={pa.cpu_count()} "
                f"(table_source declarations; default memory pool={pa.default_memory_pool().backend_name})")


ENGINE_CLASSES = {c.name: c for c in (Ours, DuckDB, DataFusion, Polars, Acero)}


# --------------------------------------------------------------------------------------------
# result checking
# --------------------------------------------------------------------------------------------
def _normalize(t: pa.Table) -> pa.Table:
    cols, names = [], []
    for i, c in enumerate(t.columns):
        ty = c.type
        if pa.types.is_integer(ty) or pa.types.is_decimal(ty):
            c = c.cast(pa.int64())
        elif pa.types.is_floating(ty):
            c = c.cast(pa.float64())
        elif pa.types.is_string(ty) or pa.types.is_large_string(ty) or pa.types.is_string_view(ty):
            c = c.cast(pa.string())
        elif pa.types.is_dictionary(ty):
            c = c.cast(ty.value_type).cast(pa.string())
        cols.append(c)
        names.append(f"c{i}")
    out = pa.table(cols, names=names)
    keys = [n for n, c in zip(names, cols) if not pa.types.is_floating(c.type)]
    keys += [n for n, c in zip(names, cols) if pa.types.is_floating(c.type)]
    return out.sort_by([(k, "ascending") for k in keys]) if out.num_rows else out


def compare(ref: pa.Table, got: pa.Table) -> str | None:
    """None when equal, else a description of the first difference (for results of one shape)."""
    try:
        a, b = _normalize(ref), _normalize(got)
    except Exception as e:  # noqa: BLE001
        return f"cannot normalize: {e}"
    for i in range(a.num_columns):
        x, y = a.column(i), b.column(i)
        if x.type != y.type:
            return f"column {i}: type {y.type} vs {x.type}"
        if pa.types.is_floating(x.type):
            xv = x.to_numpy(zero_copy_only=False)
            yv = y.to_numpy(zero_copy_only=False)
            if not np.allclose(xv, yv, rtol=1e-9, atol=1e-9, equal_nan=True):
                return f"column {i} ({ref.column_names[i]}): float values differ"
        elif not x.equals(y):
            return (f"column {i} ({ref.column_names[i]}): values differ "
                    f"(sum {pc.sum(y).as_py() if pa.types.is_integer(y.type) else '-'} vs "
                    f"{pc.sum(x).as_py() if pa.types.is_integer(x.type) else '-'})")
    return None


# --------------------------------------------------------------------------------------------
# child processes: every engine runs in its own process (a crash in one engine costs only that
# query, and engines do not share a heap or thread pools)
# --------------------------------------------------------------------------------------------
def child_main(args) -> None:
    """--_child time: warm-up (peak RSS recorded, result saved for checking) + best of N.
    --_child mem: one cold run per query, peak RSS only."""
    bench_common.serve(args, ENGINE_CLASSES[args.engines[0]], lambda: generate(args.scale), "gen_s",
                       timed=args.child == "time")


def run_child(args, engine: str, queries: list[str], mode: str, outdir: str,
              on_done: Callable[[str, dict], None]) -> dict:
    """Runs queries for one engine in child processes, restarting after a crash; --timeout
    holds for a query's warm-up and timed runs together."""
    cmd = [sys.executable, os.path.abspath(__file__), "--_child", mode, "--scale", str(args.scale),
           "--profile", args.profile, "--repeat", str(args.repeat), "--outdir", outdir,
           "--engines", engine, "--mem", "off", "--queries"]
    return bench_common.run_engine(cmd, engine, queries, args.timeout, on_done,
                                   timeout_per_run=False)


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------
def run(args) -> int:
    import shutil
    import tempfile
    engines, queries = args.engines, args.queries
    t0 = time.perf_counter()
    outdir = tempfile.mkdtemp(prefix="ca_bench_")

    def progress(e, rec):
        msg = fmt_t(rec.get("best_s")) if "error" not in rec else "FAILED: " + rec["error"][:300]
        print(f"  {rec['q']:<22} {e:<12} {msg}", file=sys.stderr, flush=True)

    try:
        loads, timing = bench_common.run_engines(
            engines, lambda e: run_child(args, e, queries, "time", outdir, progress),
            lambda ld: f"load {ld.get('load_s', 0):.1f}s  {ld.get('desc', '')}")
        # ---- check results against a reference engine ----
        mismatches, rows, _ = bench_common.check_results(
            engines, queries, timing, outdir, REF_ORDER, lambda q, ref, got: compare(ref, got))
    finally:
        shutil.rmtree(outdir, ignore_errors=True)

    mem: dict[tuple[str, str], dict] = {}
    if args.mem == "per-query":
        mem_how = ("peak RSS above the RSS just before the query (VmHWM reset through "
                   "/proc/self/clear_refs), one fresh process per engine x query, cold first run")
        for e in engines:
            for q in queries:
                if "error" in timing[e].get(q, {"error": 1}):
                    continue
                r = run_child(args, e, [q], "mem", "/tmp", lambda *_: None)
                mem[(e, q)] = r["results"].get(q, {"error": "no result"})
                print(f"  [mem] {q:<22} {e:<12} "
                      f"{fmt_bytes(mem[(e, q)].get('peak_kb', 0) * 1024)}", file=sys.stderr,
                      flush=True)
    elif args.mem == "warmup":
        mem_how = ("peak RSS above the RSS just before the query (VmHWM reset through "
                   "/proc/self/clear_refs) during the warm-up run, one process per engine running "
                   "all its queries (allocator caches may hide part of later queries' peaks)")
        for e in engines:
            for q in queries:
                if q in timing[e]:
                    mem[(e, q)] = timing[e][q]
    else:
        mem_how = "not measured (--mem off)"
    total_s = time.perf_counter() - t0

    times, errors = bench_common.outcomes(timing, engines, queries)

    peers = [e for e in engines if e != OURS]
    ratios_fastest: list[float] = []
    per_query = []
    for q in queries:
        ours_t = times.get((OURS, q))
        peer_ts = {p: times.get((p, q)) for p in peers}
        ok_peers = {p: t for p, t in peer_ts.items() if t is not None}
        fastest = min(ok_peers, key=ok_peers.get) if ok_peers else None
        rf = (ours_t / ok_peers[fastest]) if (ours_t is not None and fastest) else None
        if rf is not None:
            ratios_fastest.append(rf)
        per_query.append((q, ours_t, peer_ts, fastest, rf))

    # ---- report ----
    md = args.markdown
    sizes = next((ld["sizes"] for ld in loads.values() if "sizes" in ld), {})
    lines = bench_common.report_head(
        f"data: scale={args.scale}: " + ", ".join(
            f"{k} {r:,} rows ({fmt_bytes(b)})" for k, (r, b) in sizes.items()),
        args, loads, total_s)
    hdr = ["query", "rows"] + list(engines)
    if OURS in engines:
        hdr += [f"ours/{p}" for p in peers] + ["ours/fastest"]
    table_rows = []
    for q, ours_t, peer_ts, fastest, rf in per_query:
        r = [q, f"{rows[q]:,}" if q in rows else "?"]
        for e in engines:
            cell = fmt_t(times.get((e, q)))
            if (e, q) in errors and errors[(e, q)].startswith(("CRASH", "TIMEOUT")):
                cell = "CRASHED"
            if (e, q) in mismatches:
                cell += " MISMATCH"
            r.append(cell)
        if OURS in engines:
            for p in peers:
                pt = peer_ts.get(p)
                r.append(fmt_r(ours_t / pt) if (ours_t is not None and pt) else "-")
            r.append(f"{fmt_r(rf)} ({fastest})" if rf is not None else "-")
        table_rows.append(r)
    lines += render(hdr, table_rows, md)
    lines.append("")
    if ratios_fastest:
        med = statistics.median(ratios_fastest)
        geo = math.exp(sum(math.log(x) for x in ratios_fastest) / len(ratios_fastest))
        wins = sum(1 for x in ratios_fastest if x <= 1.0)
        lines.append(f"median ours/fastest-peer over {len(ratios_fastest)} queries: {med:.2f}x "
                     f"(geomean {geo:.2f}x; ours fastest on {wins}/{len(ratios_fastest)}); "
                     f"goal <= 1.00x: {'MET' if med <= 1.0 else 'NOT MET'}")
        for p in peers:
            rs = [ours_t / peer_ts[p] for _, ours_t, peer_ts, _, _ in per_query
                  if ours_t is not None and peer_ts.get(p)]
            if rs:
                lines.append(f"median ours/{p}: {statistics.median(rs):.2f}x")
    if OURS in engines:
        n_fail = sum(1 for q in queries if times.get((OURS, q)) is None)
        if n_fail:
            lines.append(f"codeanatomy FAILED on {n_fail} of {len(queries)} queries "
                         f"(left out of the median)")
    lines.append("")
    lines.append(f"peak memory: {mem_how}")
    if mem:
        mrows = []
        for q in queries:
            mrows.append([q] + [fmt_bytes(mem[(e, q)]["peak_kb"] * 1024)
                                if mem.get((e, q), {}).get("peak_kb") is not None else "-"
                                for e in engines])
        mrows.append(["max"] + [fmt_bytes(max((mem.get((e, q), {}).get("peak_kb") or 0
                                                for q in queries), default=0) * 1024)
                                for e in engines])
        lines += render(["query"] + list(engines), mrows, md)
    if errors or mismatches:
        lines.append("")
        lines.append("failures / mismatches:")
        for (e, q), msg in errors.items():
            lines.append(f"- FAILED {e} {q}: {msg[:600]}")
        for (e, q), msg in mismatches.items():
            lines.append(f"- MISMATCH {q}: {msg}")
    print("\n".join(lines), flush=True)
    if args.json:
        bench_common.write_json(args.json, args, loads, timing, mismatches, memory=mem)
    if args.explain and OURS in engines:
        tables = generate(args.scale)
        eng = Ours()
        eng.setup(tables, args)
        for q in queries:
            print(f"\n===== codeanatomy explain {q} =====")
            try:
                print(eng.df(q).explain())
            except Exception as ex:  # noqa: BLE001
                print(f"explain failed: {ex}")
    return 1 if mismatches else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="1.0 = 10M nodes / 30M edges / 10M props (default 1.0)")
    bench_common.add_run_args(ap, ALL_ENGINES, "query names or prefixes (q01 ...); default all")
    ap.add_argument("--mem", default="per-query", choices=["per-query", "warmup", "off"],
                    help="peak memory: fresh process per engine x query (default), the warm-up "
                         "run inside the timing process, or off")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per query before kill")
    ap.add_argument("--markdown", action="store_true", help="print markdown tables")
    ap.add_argument("--explain", action="store_true", help="print codeanatomy plans at the end")
    ap.add_argument("--json", default=None, help="also write raw figures to this JSON file")
    ap.add_argument("--_child", dest="child", default=None, choices=["time", "mem"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--outdir", default="/tmp", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.queries is None:
        args.queries = list(QUERIES)
    else:
        sel = []
        for q in args.queries:
            hits = [k for k in QUERIES if k == q or k.startswith(q)]
            if not hits:
                ap.error(f"unknown query {q!r}; known: {', '.join(QUERIES)}")
            sel += [h for h in hits if h not in sel]
        args.queries = sel
    return bench_common.start(args, child_main, run)


if __name__ == "__main__":
    sys.exit(main())
