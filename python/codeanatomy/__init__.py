"""codeanatomy: Code Property Graphs of Python repositories, built by a native engine on
Apache Arrow and stored as Delta Lake tables."""

from __future__ import annotations

import json as _json
from typing import Any

import pyarrow as _pa  # loads the wheel's Arrow C++ before our module links to it

from . import _native, functions, plugins
from .context import SessionContext, SessionFactory
from .dataframe import DataFrame
from .errors import EngineExecutionError
from .expr import Expr, SortExpr, col, lit, when

__version__ = _native.__version__


def arrow_stream_to_batches(obj) -> list[_pa.RecordBatch]:
    """Reads any Arrow stream or array object into a list of pyarrow RecordBatches."""
    return list(_pa.RecordBatchReader.from_stream(_native.arrow_stream_to_batches(obj)))


def enable_tracing(on: bool = True) -> None:
    """Turns span recording on or off (near-zero cost when off)."""
    _native.enable_tracing(on)


def export_chrome_trace() -> str:
    """Recorded spans as Chrome trace-event JSON (chrome://tracing, Perfetto)."""
    return _native.export_chrome_trace()


def export_otlp_json() -> str:
    """Recorded spans as OpenTelemetry JSON."""
    return _native.export_otlp_json()


def clear_spans() -> None:
    _native.clear_spans()


def registry_snapshot(ctx: SessionContext) -> dict[str, Any]:
    """What ``ctx`` has installed, as data (shared/CONTRACTS.md §5): the sorted canonical names
    per kind (``scalar``, ``aggregate``, ``window``, ``table``), ``aliases`` (alias -> name),
    ``parameter_names``, ``volatility``, ``signatures``, ``variadic``, ``return_types`` and
    ``config_defaults`` by name, a layout ``version``, ``names_hash`` (BLAKE2b-128 hex over the
    sorted names, each followed by a NUL byte) and ``snapshot_hash`` (BLAKE2b-256 hex of the
    canonical JSON of the rest). Functions come from :meth:`SessionContext.install_codeanatomy_udfs`
    and from plugins (:meth:`SessionContext.register_plugin_udfs`); the first-party plugin's
    snapshot equals the native one. Taking a snapshot installs nothing."""
    return _json.loads(_native.registry_snapshot_json(ctx._ctx))


def capabilities_snapshot() -> dict[str, Any]:
    """What this build offers: engine and Arrow versions, the plugin ABI major/minor, Delta
    protocol support (reader/writer versions and features), the native bundle's function counts
    by kind, the table providers and the available features."""
    return _json.loads(_native.capabilities_snapshot_json())


__all__ = [
    "DataFrame",
    "EngineExecutionError",
    "Expr",
    "SessionContext",
    "SessionFactory",
    "SortExpr",
    "arrow_stream_to_batches",
    "capabilities_snapshot",
    "clear_spans",
    "col",
    "enable_tracing",
    "export_chrome_trace",
    "export_otlp_json",
    "functions",
    "plugins",
    "registry_snapshot",
    "lit",
    "when",
]
