"""DeltaTable.vacuum against delta-rs: the same files listed on tables either of us wrote, the
table still read by delta-rs after our vacuum, and the retention check."""

from __future__ import annotations

import shutil
import time

import pyarrow as pa
import pytest

from codeanatomy.delta import DeltaTable, write_delta
from codeanatomy.errors import EngineExecutionError

deltalake = pytest.importorskip("deltalake")


def _table_with_garbage(path, writer):
    writer(path, pa.table({"id": [1, 2]}), "overwrite")
    writer(path, pa.table({"id": [3]}), "append")
    writer(path, pa.table({"id": [4, 5]}), "overwrite")  # both earlier files become tombstones
    (path / "stray.parquet").write_bytes(b"x")
    (path / "_hidden").mkdir()
    (path / "_hidden" / "keep.txt").write_bytes(b"x")
    time.sleep(0.05)


def _delta_rs_writer(path, table, mode):
    deltalake.write_deltalake(str(path), table, mode=mode)


def _our_writer(path, table, mode):
    write_delta(str(path), table, mode=mode)


@pytest.mark.parametrize("writer", [_delta_rs_writer, _our_writer], ids=["delta-rs", "ours"])
@pytest.mark.parametrize("full", [False, True], ids=["lite", "full"])
def test_dry_run_lists_what_delta_rs_lists(tmp_path, writer, full):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _table_with_garbage(ours, writer)
    shutil.copytree(ours, theirs)
    got = DeltaTable(str(ours)).vacuum(retention_hours=0, enforce_retention_duration=False,
                                       full=full)
    expected = deltalake.DeltaTable(str(theirs)).vacuum(
        retention_hours=0, enforce_retention_duration=False, dry_run=True, full=full)
    # lite: the two tombstones; full: also the stray file (never the hidden one)
    assert got == sorted(expected) and len(got) == (3 if full else 2)
    assert (ours / "stray.parquet").exists()


def test_vacuum_deletes_and_delta_rs_still_reads(tmp_path):
    path = tmp_path / "t"
    _table_with_garbage(path, _delta_rs_writer)
    deleted = DeltaTable(str(path)).vacuum(retention_hours=0, dry_run=False,
                                           enforce_retention_duration=False, full=True)
    assert len(deleted) == 3 and not any((path / f).exists() for f in deleted)
    assert (path / "_hidden" / "keep.txt").exists()
    table = deltalake.DeltaTable(str(path))
    assert sorted(table.to_pyarrow_table().column("id").to_pylist()) == [4, 5]
    assert DeltaTable(str(path)).vacuum(retention_hours=0, enforce_retention_duration=False,
                                        full=True) == []


def test_a_retention_below_the_tables_is_refused(tmp_path):
    path = tmp_path / "t"
    _table_with_garbage(path, _delta_rs_writer)
    with pytest.raises(EngineExecutionError) as e:
        DeltaTable(str(path)).vacuum(retention_hours=1)
    assert (e.value.stage, e.value.code) == ("delta", "RETENTION_TOO_SHORT")
    assert e.value.details["minimum_ms"] == 7 * 24 * 3600 * 1000
    assert DeltaTable(str(path)).vacuum() == []  # a week: everything here is younger
