"""Authoring aid for tests/sql/*.slt: fills each query's expected rows from DuckDB (the
oracle; PostgreSQL settings) and reports where codeanatomy disagrees or fails.

    PYTHONPATH=python:tests/python python3 scripts/slt_complete.py tests/sql/joins.slt [...]

Records marked ``noduck`` keep their hand-written rows. Review every change before committing:
the expected rows are the test's oracle.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sql_slt import duckdb_connection, duckdb_rows, format_table_rows, parse
from sql_tables import tables

import codeanatomy as ca


def complete(path: Path) -> int:
    records = parse(path)
    data = tables()
    ctx = ca.SessionContext()
    for name, table in data.items():
        ctx.register_arrow(name, table)
    duck = duckdb_connection(data)
    lines = path.read_text().splitlines()
    replacements: dict[int, list[str]] = {}
    problems = 0
    for rec in records:
        if rec.kind == "statement ok":
            try:
                ctx.sql(rec.sql).to_arrow()
            except Exception as e:  # noqa: BLE001
                print(f"{rec.id}: codeanatomy failed a statement: {e}")
                problems += 1
            if not rec.sql.lstrip().upper().startswith(("CREATE FUNCTION", "DROP FUNCTION")):
                duck.execute(rec.sql)
            continue
        if rec.kind != "query":
            continue
        try:
            ours = format_table_rows(ctx.sql(rec.sql).to_arrow(), rec.sort)
        except Exception as e:  # noqa: BLE001
            ours = [f"<error: {e}>"]
        if rec.noduck:
            theirs = rec.expected
        else:
            try:
                theirs = duckdb_rows(duck, rec.sql, rec.sort)
            except Exception as e:  # noqa: BLE001
                print(f"{rec.id}: DuckDB failed: {e}")
                problems += 1
                continue
            replacements[rec.line] = theirs
        if ours != theirs:
            problems += 1
            print(f"{rec.id}: codeanatomy differs\n  sql:    {rec.sql!r}\n  ours:   {ours}\n  oracle: {theirs}")
    # Rewrite: find each query's "----" block and replace the rows after it.
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        lineno = i + 1
        i += 1
        if lineno in replacements:
            while i < len(lines) and lines[i].strip() and lines[i].strip() != "----":
                out.append(lines[i])
                i += 1
            if i < len(lines) and lines[i].strip() == "----":
                i += 1
                while i < len(lines) and lines[i].strip():
                    i += 1
            out.append("----")
            out.extend(replacements[lineno])
    path.write_text("\n".join(out) + "\n")
    return problems


if __name__ == "__main__":
    total = sum(complete(Path(p)) for p in sys.argv[1:])
    print(f"{total} problem(s)")
    sys.exit(1 if total else 0)
