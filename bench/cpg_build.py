#!/usr/bin/env python3
"""CPG build throughput: `codeanatomy build` (extraction to evidence Delta tables, the semantic
spec compiled and materialized into cpg_nodes / cpg_edges / cpg_props) on a source tree, against
a pure-Python `ast.walk` extractor over the same files in the same run (it parses every file and
collects definitions, calls, imports and names into Python lists: the floor any Python-side
extractor pays). Prints lines per second for both, their ratio and each one's peak RSS (each runs
in its own process so the peaks are its own).

Usage: cd /tmp && PYTHONPATH=<package> python3 /work/main/bench/cpg_build.py [--repo DIR]
(default: a copy of the Python standard library without site-packages).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def python_files(root: str) -> list[str]:
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in
                         {"__pycache__", "build", "dist", "node_modules", "venv", ".venv"})
        out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".py"))
    return out


def ast_walk_baseline(root: str) -> dict:
    start = time.perf_counter()
    lines = files = 0
    defs, calls, imports, names = [], [], [], []
    for path in python_files(root):
        with open(path, "rb") as f:
            source = f.read()
        files += 1
        lines += source.count(b"\n")
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs.append((path, node.name, node.lineno, node.col_offset))
            elif isinstance(node, ast.Call):
                calls.append((path, node.lineno, node.col_offset, len(node.args)))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.extend((path, a.name, a.asname) for a in node.names)
            elif isinstance(node, ast.Name):
                names.append((path, node.id, node.lineno, node.col_offset))
    seconds = time.perf_counter() - start
    return {"files": files, "lines": lines, "seconds": seconds, "defs": len(defs),
            "calls": len(calls), "names": len(names)}


def codeanatomy_build(root: str) -> dict:
    from codeanatomy.cpg import build_cpg

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = build_cpg(root, out)
        seconds = time.perf_counter() - start
    return {"files": summary["files"], "lines": summary["lines"], "seconds": seconds,
            "nodes": summary["nodes"], "edges": sum(summary["edges_by_kind"].values()),
            "stage_seconds": summary["stage_seconds"]}


def child(which: str, root: str) -> None:
    result = ast_walk_baseline(root) if which == "ast" else codeanatomy_build(root)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # extraction's worker processes (the largest one)
    result["workers_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", help="a source tree (default: a copy of the standard library "
                                   "without site-packages)")
    ap.add_argument("--child", choices=["ast", "codeanatomy"])
    args = ap.parse_args()
    if args.child:
        child(args.child, args.repo)
        return 0
    copy = None
    if args.repo is None:
        # The stdlib directory holds site-packages too: copy the library without it.
        stdlib = os.path.dirname(os.__file__)
        copy = tempfile.mkdtemp(prefix="ca_stdlib_")
        args.repo = os.path.join(copy, "stdlib")
        shutil.copytree(stdlib, args.repo, symlinks=True,
                        ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
    runs = {}
    for which in ("ast", "codeanatomy"):
        out = subprocess.run([sys.executable, __file__, "--child", which, "--repo", args.repo],
                             capture_output=True, text=True, env=os.environ)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        runs[which] = json.loads(out.stdout.strip().splitlines()[-1])
    if copy is not None:
        shutil.rmtree(copy, ignore_errors=True)
    a, c = runs["ast"], runs["codeanatomy"]
    print(f"repo: {args.repo}; {c['files']} files, {c['lines']:,} lines; host cpus={os.cpu_count()}")
    print("| extractor | seconds | lines/s | peak RSS | output |")
    print("|---|---|---|---|---|")
    print(f"| ast.walk (pure Python, lists only) | {a['seconds']:.2f} | "
          f"{a['lines'] / a['seconds']:,.0f} | {a['peak_rss_mib']:.0f} MiB | {a['defs']:,} defs, "
          f"{a['calls']:,} calls, {a['names']:,} names |")
    print(f"| codeanatomy build (evidence + CPG as Delta) | {c['seconds']:.2f} | "
          f"{c['lines'] / c['seconds']:,.0f} | {c['peak_rss_mib']:.0f} MiB | {c['nodes']:,} nodes, "
          f"{c['edges']:,} edges |")
    print(f"ratio (codeanatomy time / ast.walk time): {c['seconds'] / a['seconds']:.2f}")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in c["stage_seconds"].items())
    print(f"codeanatomy stages: {stages}; largest extraction worker "
          f"{c['workers_peak_rss_mib']:.0f} MiB (os.cpu_count() workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
