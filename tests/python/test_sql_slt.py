"""The .slt suite: every record on codeanatomy, and every query also on DuckDB (the
differential oracle) unless marked ``noduck``. See sql_slt.py for the format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sql_slt import Record, duckdb_connection, duckdb_rows, format_table_rows, normalize, parse
from sql_tables import tables

import codeanatomy as ca
from codeanatomy.errors import EngineExecutionError

SLT_DIR = Path(__file__).resolve().parent.parent / "sql"
RECORDS = [r for path in sorted(SLT_DIR.glob("*.slt")) for r in parse(path)]
_SESSIONS: dict[str, tuple] = {}


def _session(path: str) -> tuple:
    # One codeanatomy session and one DuckDB connection per file: records run in file order.
    if path not in _SESSIONS:
        data = tables()
        ctx = ca.SessionContext()
        for name, table in data.items():
            ctx.register_arrow(name, table)
        _SESSIONS[path] = (ctx, duckdb_connection(data))
    return _SESSIONS[path]


def test_suite_is_large_enough() -> None:
    assert len([r for r in RECORDS if r.kind != "statement ok"]) >= 300


@pytest.mark.parametrize("rec", RECORDS, ids=[r.id for r in RECORDS])
def test_slt(rec: Record) -> None:
    ctx, duck = _session(rec.path)
    where = f"{rec.id}\n{rec.sql}"
    if rec.kind == "statement ok":
        ctx.sql(rec.sql).to_arrow()
        if not rec.sql.lstrip().upper().startswith("CREATE FUNCTION") and not rec.sql.lstrip().upper().startswith("DROP FUNCTION"):
            duck.execute(rec.sql)
        return
    if rec.kind == "statement error":
        with pytest.raises((EngineExecutionError, ValueError)) as info:
            ctx.sql(rec.sql).to_arrow()
        assert re.search(rec.error, str(info.value)), f"{where}\nerror was: {info.value}"
        return
    table = ctx.sql(rec.sql).to_arrow()
    assert table.num_columns == len(rec.types), f"{where}\ncolumns: {table.column_names}"
    ours = normalize(format_table_rows(table, rec.sort))
    assert ours == normalize(rec.expected), f"{where}\nours:     {ours}\nexpected: {rec.expected}"
    if not rec.noduck:
        theirs = normalize(duckdb_rows(duck, rec.sql, rec.sort))
        assert theirs == normalize(rec.expected), (
            f"{where}\nDuckDB disagrees with the expected rows: {theirs}"
        )
