"""codeanatomy: Code Property Graphs of Python repositories, built by a native engine on
Apache Arrow and stored as Delta Lake tables."""

from __future__ import annotations

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


__all__ = [
    "DataFrame",
    "EngineExecutionError",
    "Expr",
    "SessionContext",
    "SessionFactory",
    "SortExpr",
    "arrow_stream_to_batches",
    "clear_spans",
    "col",
    "enable_tracing",
    "export_chrome_trace",
    "export_otlp_json",
    "functions",
    "plugins",
    "lit",
    "when",
]
