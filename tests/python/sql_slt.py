"""A sqllogictest-format runner: parses ``tests/sql/*.slt`` and runs each record on
codeanatomy and, as the differential oracle, on DuckDB over the same Arrow tables.

Records::

    statement ok                      # runs on both engines; must succeed
    CREATE VIEW v AS SELECT ...

    statement error <regex>           # must fail on codeanatomy with a message matching regex
    SELECT nope FROM t1

    query <types> [rowsort|nosort] [noduck]
    SELECT ...
    ----
    <one row per line, values separated by single spaces>

``types`` has one letter per column (I integer, R real/decimal, T text, B boolean, D date/time).
``rowsort`` compares the rows sorted as text; ``nosort`` in order (use it only with an ORDER BY
that fixes the order). ``noduck`` marks a case where DuckDB differs from PostgreSQL: the
expected rows are PostgreSQL's and DuckDB is not consulted.

DuckDB runs with PostgreSQL's integer division and NULL ordering (``integer_division``,
``default_null_order``), so the two engines agree wherever PostgreSQL does.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import math
import re
from pathlib import Path
from typing import Any

import pyarrow as pa


@dataclasses.dataclass
class Record:
    path: str
    line: int
    kind: str  # "statement ok" | "statement error" | "query"
    sql: str
    error: str = ""
    types: str = ""
    sort: str = "nosort"
    noduck: bool = False
    expected: list[str] = dataclasses.field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{Path(self.path).stem}:{self.line}"


def parse(path: Path) -> list[Record]:
    lines = path.read_text().splitlines()
    records: list[Record] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line or line.startswith("#"):
            i += 1
            continue
        head = line.split()
        start = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() and lines[i].strip() != "----":
            body.append(lines[i])
            i += 1
        sql = "\n".join(body)
        if head[0] == "statement":
            if head[1] == "ok":
                records.append(Record(str(path), start, "statement ok", sql))
            elif head[1] == "error":
                records.append(
                    Record(str(path), start, "statement error", sql, error=" ".join(head[2:]))
                )
            else:
                raise ValueError(f"{path}:{start}: unknown statement kind {head[1]!r}")
            continue
        if head[0] != "query":
            raise ValueError(f"{path}:{start}: expected 'statement' or 'query', got {line!r}")
        rec = Record(str(path), start, "query", sql, types=head[1])
        for flag in head[2:]:
            if flag in ("rowsort", "nosort"):
                rec.sort = flag
            elif flag == "noduck":
                rec.noduck = True
            else:
                raise ValueError(f"{path}:{start}: unknown query flag {flag!r}")
        if i < len(lines) and lines[i].strip() == "----":
            i += 1
            while i < len(lines) and lines[i].strip():
                rec.expected.append(lines[i].strip())
                i += 1
        records.append(rec)
    return records


def format_value(v: Any) -> str:
    """Numbers print by value, not by type: integral values as integers (so BIGINT, DuckDB's
    HUGEINT sums, DECIMAL(p, 0) and 3.0 agree), others with three decimals."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v.is_integer() and abs(v) < 2**53:
            return str(int(v))
        return f"{v:.3f}".replace("-0.000", "0.000")
    if isinstance(v, decimal.Decimal):
        if v == v.to_integral_value():
            return str(int(v))
        if abs(v) < 10**12:
            return f"{float(v):.3f}"
        return f"{v.quantize(decimal.Decimal('0.001'))}"
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
        return v.isoformat(sep=" ") if isinstance(v, datetime.datetime) else v.isoformat()
    if isinstance(v, str):
        return v if v else "(empty)"
    return str(v)


def format_rows(table: pa.Table, sort: str) -> list[str]:
    rows = [" ".join(format_value(v) for v in row.values()) for row in table.to_pylist()]
    if sort == "rowsort":
        rows.sort()
    return rows


def format_table_rows(table: pa.Table, sort: str) -> list[str]:
    # Column names may repeat (SELECT a.x, b.x): format by position.
    cols = [c.to_pylist() for c in table.columns]
    rows = [" ".join(format_value(c[r]) for c in cols) for r in range(table.num_rows)]
    if sort == "rowsort":
        rows.sort()
    return rows


def normalize(rows: list[str]) -> list[str]:
    return [re.sub(r"\s+", " ", r.strip()) for r in rows]


def duckdb_connection(tables: dict[str, pa.Table]) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET integer_division = true")
    con.execute("SET default_null_order = 'nulls_last_on_asc_first_on_desc'")
    for name, table in tables.items():
        con.register(f"__arrow_{name}", table)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "__arrow_{name}"')
        con.unregister(f"__arrow_{name}")
    return con


def duckdb_rows(con: Any, sql: str, sort: str) -> list[str]:
    table = con.sql(sql).to_arrow_table()
    return format_table_rows(table, sort)
