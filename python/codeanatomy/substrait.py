"""Substrait plans of DataFrames: export a query as a binary Substrait plan, replay one into a
session, and report a query's lineage (the tables it scans, with projected columns and pushed
filters, the columns it needs per table, the functions it calls).

Exported plans name tables (a read of a named table with its base schema) and functions:
standard Substrait names for what Arrow's own consumer knows, Arrow's function names under
``urn:arrow:substrait_simple_extension_function``, and session functions (the codeanatomy
UDFs, plugins' functions) under ``urn:codeanatomy:functions``. Arrow's consumer
(``pyarrow.substrait.run_query``) runs exported read/filter/project plans given a table
provider; the full set of relations replays in codeanatomy."""

from __future__ import annotations

import json
from typing import Any

from . import _native
from .context import SessionContext
from .dataframe import DataFrame

BytesLike = bytes | bytearray | memoryview


def to_substrait(df: DataFrame) -> bytes:
    """The DataFrame's optimized plan as a binary Substrait ``Plan``.

    Scans carry the projection and filters pushed into them. Raises
    :class:`~codeanatomy.EngineExecutionError` (stage ``substrait``, code
    ``SUBSTRAIT_NOT_SUPPORTED``) for what Substrait export does not cover, e.g. a column type
    without a Substrait equivalent."""
    return _native.substrait_from_dataframe(df._df)


def replay_substrait_plan(ctx: SessionContext, data: BytesLike) -> DataFrame:
    """A DataFrame of ``ctx`` computing the binary Substrait plan ``data``.

    Named tables resolve in the session's catalog and must have the plan's base schema
    (``SUBSTRAIT_UNKNOWN_TABLE``, ``SUBSTRAIT_SCHEMA_MISMATCH``); functions resolve in its
    registry, so plans calling codeanatomy UDFs replay where they are installed
    (``SUBSTRAIT_UNKNOWN_FUNCTION`` otherwise). Bytes that are not a plan raise
    ``SUBSTRAIT_INVALID_PLAN`` with the path of the offending member."""
    return DataFrame(_native.replay_substrait_plan(ctx._ctx, bytes(data)))


def lineage_from_substrait(data: BytesLike) -> dict[str, Any]:
    """The lineage report of a binary Substrait plan; no session is needed.

    Same layout as :func:`lineage`; for a plan made by :func:`to_substrait` the two reports
    are equal."""
    return json.loads(_native.lineage_from_substrait_json(bytes(data)))


def lineage(df: DataFrame) -> dict[str, Any]:
    """The lineage report of the DataFrame's optimized plan, as a dict with sorted lists::

        {"version": 1,
         "scans": [{"table_name": "t", "projected_columns": ["id", "x"],
                    "pushed_filters": ["(id > 1)"]}],
         "required_columns": {"t": ["id", "x"]},
         "referenced_tables": ["t"],
         "referenced_functions": ["greater"]}

    Functions are named as the function registry knows them (``add_checked`` for ``+``,
    ``mean`` for ``avg``, ``count_all`` for ``count(*)``)."""
    return json.loads(_native.lineage_of_dataframe_json(df._df))


__all__ = ["lineage", "lineage_from_substrait", "replay_substrait_plan", "to_substrait"]
