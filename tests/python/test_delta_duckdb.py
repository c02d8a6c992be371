"""Tables we write, read by DuckDB's delta extension (the delta-kernel-rs reader) with equal rows.

The extension package matches exactly one DuckDB version, and the suite's own DuckDB is newer,
so both are pinned here and installed (once, cached) into a directory of their own; DuckDB then
runs in a subprocess with that directory on its path. When PyPI cannot be reached the test skips
and says why."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from codeanatomy.delta import DeltaTable, write_delta

DUCKDB_PIN = "1.5.5"  # duckdb-extension-delta 1.5.5 is built for duckdb 1.5.5
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "codeanatomy" / (
    f"duckdb-delta-{DUCKDB_PIN}"
)

_READER = """
import json, os, sys
import duckdb, duckdb_extension_delta
root = os.path.dirname(duckdb_extension_delta.__file__)
ext = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".duckdb_extension")][0]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute("SET enable_progress_bar = false")
con.execute(f"LOAD '{ext}'")
rows = con.sql(f"SELECT * FROM delta_scan('{sys.argv[1]}')").fetchall()
cols = [d[0] for d in con.sql(f"SELECT * FROM delta_scan('{sys.argv[1]}') LIMIT 0").description]
with open(sys.argv[2], "w") as out:
    json.dump({"columns": cols, "rows": [[str(v) if v is not None else None for v in r] for r in rows]}, out)
"""


@pytest.fixture(scope="module")
def duckdb_delta() -> Path:
    marker = CACHE / ".complete"
    if not marker.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--target", str(CACHE), f"duckdb=={DUCKDB_PIN}",
             f"duckdb-extension-delta=={DUCKDB_PIN}"],
            capture_output=True, text=True, timeout=600,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot install duckdb {DUCKDB_PIN} + its delta extension: "
                        f"{result.stderr.strip()[-300:]}")
        marker.touch()
    return CACHE


def _duckdb_rows(env_dir: Path, table: str) -> tuple[list[str], list[tuple]]:
    env = dict(os.environ, PYTHONPATH=str(env_dir))
    # The rows travel in a file: DuckDB may print a progress bar on stdout when a scan is slow.
    result_file = f"{table}.duckdb.json"
    out = subprocess.run([sys.executable, "-c", _READER, table, result_file], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    with open(result_file) as f:
        data = json.load(f)
    os.remove(result_file)
    return data["columns"], sorted(tuple(r) for r in data["rows"])


def _our_rows(table: str, columns: list[str]) -> list[tuple]:
    rows = DeltaTable(table).to_arrow().select(columns).to_pylist()
    return sorted(tuple(str(r[c]) if r[c] is not None else None for c in columns) for r in rows)


def test_duckdb_reads_our_partitioned_tables_at_each_step(duckdb_delta, tmp_path):
    path = str(tmp_path / "t")
    day = datetime.date(2024, 5, 1)

    def batch(ids, parts):
        return pa.table({"id": pa.array(ids, pa.int64()), "name": [f"n{i} é/x" for i in ids],
                         "day": [day] * len(ids), "p": pa.array(parts, pa.string())})

    write_delta(path, batch([1, 2, 3], ["a b", None, "x=y%"]), partition_by=["p"])
    steps = [
        lambda: write_delta(path, batch([4, 5], ["a b", "ü/z"]), mode="append"),
        lambda: DeltaTable(path).create_checkpoint(),
        lambda: write_delta(path, batch([6], ["a b"]), mode="overwrite", predicate="p = 'a b'"),
        lambda: DeltaTable(path).delete("id = 2"),
    ]
    for step in [lambda: None, *steps]:
        step()
        columns, theirs = _duckdb_rows(duckdb_delta, path)
        assert sorted(columns) == ["day", "id", "name", "p"]
        assert _our_rows(path, columns) == theirs
