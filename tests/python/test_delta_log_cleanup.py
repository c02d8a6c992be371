"""DeltaTable.cleanup_metadata against delta-rs' cleanup_metadata on identical tables whose log
files are made older than the retention: the same files go, and the table still reads."""

from __future__ import annotations

import os
import shutil
import time

import pyarrow as pa
import pytest

from codeanatomy.delta import DeltaTable, write_delta

deltalake = pytest.importorskip("deltalake")


def _table(path, checkpoint_at):
    for v in range(5):
        write_delta(str(path), pa.table({"id": [v]}), mode="append")
        if v == checkpoint_at:
            DeltaTable(str(path)).create_checkpoint()
    old = time.time() - 40 * 24 * 3600  # older than the default 30 days of log retention
    for name in os.listdir(path / "_delta_log"):
        os.utime(path / "_delta_log" / name, (old, old))


def _log(path):
    return sorted(n for n in os.listdir(path / "_delta_log") if not n.startswith("."))


@pytest.mark.parametrize("checkpoint_at", [2, None])
def test_cleanup_deletes_what_delta_rs_deletes(tmp_path, checkpoint_at):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _table(ours, checkpoint_at)
    shutil.copytree(ours, theirs)
    deleted = DeltaTable(str(ours)).cleanup_metadata()
    deltalake.DeltaTable(str(theirs)).cleanup_metadata()
    assert _log(ours) == _log(theirs)
    if checkpoint_at is None:
        assert deleted == []  # no checkpoint to start from: nothing goes
    else:
        assert deleted == ["00000000000000000000.json", "00000000000000000001.json"]
    for path in (ours, theirs):
        rows = deltalake.DeltaTable(str(path)).to_pyarrow_table().column("id").to_pylist()
        assert sorted(rows) == [0, 1, 2, 3, 4]
        assert DeltaTable(str(path)).version == 4
