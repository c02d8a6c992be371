"""Delta Lake tables, read natively by the C++ core (no delta-rs inside).

``DeltaTable(uri, version=None, timestamp=None)`` is a snapshot of the table at one version:
the latest, a version number, or the latest commit at or before a timestamp.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

import pyarrow as pa

from . import _native


def _timestamp_ms(timestamp: Any) -> int | None:
    if timestamp is None:
        return None
    if isinstance(timestamp, str):
        timestamp = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if isinstance(timestamp, datetime.datetime):
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=datetime.timezone.utc)
        return int(timestamp.timestamp() * 1000)
    if isinstance(timestamp, (int, float)):
        return int(timestamp)
    raise TypeError(f"timestamp must be a datetime, an ISO string or milliseconds, not {timestamp!r}")


class DeltaTable:
    """A snapshot of a Delta table.

    Args:
        uri: a local path (or a URI Arrow's filesystems understand).
        version: a version number; ``timestamp``: a datetime, ISO string or epoch milliseconds.
            Giving both is an error.
    """

    def __init__(self, uri: str | os.PathLike[str], version: int | None = None,
                 timestamp: Any = None) -> None:
        if version is not None and timestamp is not None:
            raise ValueError("give a version or a timestamp, not both")
        self._uri = os.fspath(uri)
        self._snapshot = _native.delta_load(self._uri, version, _timestamp_ms(timestamp))

    @property
    def version(self) -> int:
        return self._snapshot.version

    @property
    def table_uri(self) -> str:
        return self._uri

    def schema(self) -> pa.Schema:
        """The logical schema (partition columns included)."""
        return pa.RecordBatchReader.from_stream(self._snapshot.schema()).schema

    def snapshot_info(self) -> dict[str, Any]:
        """table_uri, version, snapshot_timestamp, min_reader_version, min_writer_version,
        reader_features, writer_features, table_properties, schema_json, partition_columns."""
        return json.loads(self._snapshot.info_json())

    def add_actions(self) -> pa.Table:
        """The active data files: path, size_bytes, modification_time, data_change,
        num_records and one ``partition.<name>`` column per partition column."""
        return pa.table(self._snapshot.add_actions())

    def history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The commits in the log, newest first: version, timestamp (ms), commit_info."""
        return json.loads(_native.delta_history(self._uri, limit or 0))

    def create_checkpoint(self) -> None:
        """Writes a classic checkpoint of this snapshot and updates ``_last_checkpoint``
        (writes also checkpoint every ``delta.checkpointInterval`` commits, default 100)."""
        self._snapshot.create_checkpoint()

    def load_cdf(
        self,
        starting_version: int | None = None,
        ending_version: int | None = None,
        starting_timestamp: Any = None,
        ending_timestamp: Any = None,
        allow_out_of_range: bool = False,
    ) -> pa.Table:
        """The change data feed between two versions (or timestamps): the table's columns plus
        ``_change_type``, ``_commit_version`` and ``_commit_timestamp``. Commits with change
        data files give their rows; others give their added rows as inserts and removed rows as
        deletes."""
        return pa.table(
            _native.delta_load_cdf(
                self._uri,
                starting_version,
                ending_version,
                _timestamp_ms(starting_timestamp),
                _timestamp_ms(ending_timestamp),
                allow_out_of_range,
            )
        )

    def delete(self, predicate: str | None = None) -> dict[str, int]:
        """Deletes the rows matching ``predicate`` (SQL; None: every row) and returns the new
        version and metrics. Files holding matching rows are removed and their other rows
        written again. This object keeps its snapshot; open a new DeltaTable to see the change.

        The delete reads this snapshot's version; commits that landed since are checked for
        conflicts (a removed file it read, added data its predicate matches, a changed schema
        or protocol: typed ``CONCURRENT_*`` / ``METADATA_CHANGED`` / ``PROTOCOL_CHANGED``
        errors) and, when none conflicts, the delete commits after them."""
        version, added, removed, kept, read_version = _native.delta_delete(
            self._uri, predicate or "", self.version)
        return {"version": version, "read_version": read_version, "num_added_files": added,
                "num_removed_files": removed, "num_copied_rows": kept}

    def vacuum(self, retention_hours: float | None = None, dry_run: bool = True,
               enforce_retention_duration: bool = True, *, full: bool = False) -> list[str]:
        """Deletes the files of removed files whose removal is older than ``retention_hours``
        (default: the table's ``delta.deletedFileRetentionDuration``, one week when unset) and
        returns them, relative to the table root, sorted, as delta-rs' ``vacuum``; ``full``
        also deletes files the log never mentions (older than the retention). ``dry_run`` (the
        default) only lists them. A retention shorter than the table's is refused
        (``RETENTION_TOO_SHORT``) unless ``enforce_retention_duration`` is false. Active files,
        their deletion vectors, the files of younger removals, the log and hidden paths are
        never deleted."""
        files, _, _ = _native.delta_vacuum(self._uri, retention_hours, dry_run,
                                           enforce_retention_duration, full)
        return files

    def cleanup_metadata(self) -> list[str]:
        """Deletes the log files older than ``delta.logRetentionDuration`` (30 days when unset)
        that precede a checkpoint every retained version can be read from (as delta-rs'
        ``cleanup_metadata``); returns their names in ``_delta_log``, sorted. Without such a
        checkpoint nothing is deleted. Versions before it can no longer be time-travelled to."""
        files, _ = _native.delta_cleanup_metadata(self._uri, None)
        return files

    def update(self, updates: dict[str, str], predicate: str | None = None) -> dict[str, int]:
        """Sets columns (``{"col": "SQL expression"}``) in the rows matching ``predicate`` (SQL;
        None: every row); the files holding them are rewritten. Returns the new version and
        metrics. Like ``delete``, it reads this snapshot's version and is checked for
        conflicts with the commits since."""
        version, added, removed, rows, read_version = _native.delta_update(
            self._uri, predicate or "", dict(updates), self.version)
        return {"version": version, "read_version": read_version, "num_added_files": added,
                "num_removed_files": removed, "num_rewritten_rows": rows}

    def optimize_compact(
        self,
        target_size: int | None = None,
        partition_filters: list[tuple[Any, ...]] | None = None,
        *,
        commit_properties: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Compacts small files (delta-rs' ``optimize.compact``): per partition, files smaller
        than ``target_size`` bytes (default: the table property ``delta.targetFileSize``, else
        100 MiB) are bin-packed, and each bin of two or more files is rewritten as one file.
        Rows are only moved: the commit (operation ``OPTIMIZE``) removes and adds files with
        ``dataChange`` false, and rows deleted by deletion vectors stay deleted. Nothing to pack
        commits nothing.

        ``partition_filters``: ``[(column, "=", value), ...]`` (or ``(column, value)`` pairs) on
        partition columns; only matching partitions are compacted. ``commit_properties``: extra
        commitInfo members.

        The compaction reads this snapshot's version. A concurrent append does not conflict; a
        concurrent commit that removed a compacted file does (``CONCURRENT_DELETE_DELETE`` /
        ``CONCURRENT_DELETE_READ``).

        Returns delta-rs' metrics (``numFilesAdded``, ``numFilesRemoved``, ``filesAdded`` and
        ``filesRemoved`` as JSON text, ``partitionsOptimized``, ``numBatches``,
        ``totalConsideredFiles``, ``totalFilesSkipped``, ``preserveInsertionOrder``) plus
        ``version``, ``read_version``, ``committed``, ``target_size``, ``bytes_added``,
        ``bytes_removed`` and ``num_rows``."""
        return json.loads(_native.delta_optimize_compact(
            self._uri, target_size, _partition_filter_pairs(partition_filters),
            json.dumps({str(k): str(v) for k, v in (commit_properties or {}).items()}),
            self.version))

    def optimize_z_order(self, columns: list[str]) -> dict[str, Any]:
        """Z-order optimization is not implemented: raises ``NOT_SUPPORTED`` (stage ``delta``)
        naming the columns; ``optimize_compact`` bin-packs files without reordering rows."""
        return json.loads(_native.delta_optimize_compact(
            self._uri, None, [], "", self.version, [str(c) for c in columns]))

    def check_protocol_gate(self, min_reader_version: int | None = None,
                            min_writer_version: int | None = None,
                            required_reader_features: list[str] | None = None,
                            required_writer_features: list[str] | None = None) -> None:
        """Raises ``PROTOCOL_GATE_FAILED`` (stage ``delta``) unless the table's protocol has at
        least these reader/writer versions and these features enabled."""
        gate = {"min_reader_version": min_reader_version,
                "min_writer_version": min_writer_version,
                "required_reader_features": list(required_reader_features or []),
                "required_writer_features": list(required_writer_features or [])}
        _native.delta_check_protocol_gate(self._snapshot, json.dumps(gate))

    def to_arrow(self) -> pa.Table:
        """The snapshot's rows."""
        from .context import SessionContext

        ctx = SessionContext()
        _native.register_delta(ctx._ctx, "t", self._snapshot)
        return ctx.table("t").to_arrow()

    def __repr__(self) -> str:
        return f"DeltaTable({self._uri!r}, version={self.version})"


def _partition_filter_pairs(filters: list[tuple[Any, ...]] | None) -> list[tuple[str, str]]:
    """delta-rs-style ``(column, "=", value)`` filters (or ``(column, value)``) as pairs."""
    pairs = []
    for f in filters or []:
        if len(f) == 3 and f[1] == "=":
            pairs.append((str(f[0]), str(f[2])))
        elif len(f) == 2:
            pairs.append((str(f[0]), str(f[1])))
        else:
            raise ValueError(f"partition filters must be (column, '=', value), not {f!r}")
    return pairs


def write_delta(
    uri: str | os.PathLike[str],
    data: Any,
    mode: str = "error",
    partition_by: list[str] | None = None,
    *,
    max_rows_per_file: int | None = None,
    app_id: str | None = None,
    app_version: int | None = None,
    schema_mode: str | None = None,
    predicate: str | None = None,
    read_version: int | None = None,
    configuration: dict[str, str] | None = None,
    target_file_size: int | None = None,
    compression: str = "snappy",
) -> dict[str, Any]:
    """Writes Arrow data (anything with ``__arrow_c_stream__`` / ``__arrow_c_array__``) to a
    Delta table, creating it when absent. ``mode``: ``"error"`` (the table must not exist),
    ``"append"`` or ``"overwrite"``. Returns the new version and metrics. Commits are
    put-if-absent; a blind append that loses a race is retried on the new version.

    ``schema_mode``: ``None`` (the data must fit the table's schema), ``"merge"`` (new
    columns are added, nullable) or ``"overwrite"`` (with ``mode="overwrite"``: the table takes
    the data's schema).

    ``predicate`` (SQL, with ``mode="overwrite"``): replace only the rows matching it (Delta's
    replaceWhere); every row of ``data`` must satisfy it (``PREDICATE_VIOLATION``). Files that
    also hold other rows are rewritten without the matching ones.

    ``app_id``/``app_version`` make the write idempotent: the commit records the pair, and a
    write whose ``app_id`` already has a version >= ``app_version`` writes nothing
    (``skipped`` is True).

    ``read_version``: the version the write reads (what an overwrite replaces; default the
    latest). Commits that landed after it are checked by the protocol's conflict rules
    (isolation level ``delta.isolationLevel``: WriteSerializable by default, where blind
    appends never conflict; or Serializable); a conflict is a typed error
    (``CONCURRENT_APPEND``, ``CONCURRENT_DELETE_READ``, ``CONCURRENT_DELETE_DELETE``,
    ``CONCURRENT_TRANSACTION``, ``METADATA_CHANGED``, ``PROTOCOL_CHANGED``).

    ``configuration``: table properties of a new table (``delta.isolationLevel``,
    ``delta.checkpointInterval``, ``delta.constraints.<name>``, ...).

    ``target_file_size``: data files of about this many bytes (default: the table property
    ``delta.targetFileSize`` when set); ``max_rows_per_file`` still caps them.
    ``compression``: ``"snappy"`` (default), ``"zstd"`` or ``"uncompressed"``. Statistics
    cover the first 32 data columns (table properties ``delta.dataSkippingNumIndexedCols``,
    ``delta.dataSkippingStatsColumns``)."""
    version, added, removed, rows, attempts, skipped, read = _native.delta_write(
        os.fspath(uri), data, mode, list(partition_by or []), max_rows_per_file, app_id,
        app_version, schema_mode or "", predicate or "", read_version,
        {str(k): str(v) for k, v in (configuration or {}).items()}, target_file_size,
        compression,
    )
    return {"version": version, "read_version": read, "num_added_files": added,
            "num_removed_files": removed, "num_output_rows": rows, "attempts": attempts,
            "skipped": skipped}
