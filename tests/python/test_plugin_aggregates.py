"""The bundle's aggregates through the first-party plugin (plugin_host/plugin_aggregate.h): every
aggregate and alias gives the same rows natively and through the plugin, grouped and ungrouped,
on seeded random tables of several record batches with NULLs, and fails with the same typed
errors."""

from __future__ import annotations

import json
import re

import pytest

ca = pytest.importorskip("codeanatomy")

from test_aggregate_functions import _same, random_table

from codeanatomy import SessionContext, _native
from codeanatomy.errors import EngineExecutionError
from codeanatomy.plugins import load_plugin, plugin_library_path

# The arguments of each aggregate over random_table's columns (several calls where constants
# matter).
CALLS = {
    "any_value_det": ["v"],
    "arg_max": ["v, k"],
    "arg_min": ["v, k"],
    "asof_select": ["v, k, 3", "v, k, bd"],
    "collect_set": ["v"],
    "count_distinct_agg": ["v"],
    "count_if": ["b"],
    "first_value": ["v, k"],
    "last_value": ["v, k"],
    "list_unique": ["v"],
    "string_agg": ["s, ', '", "s, '|'"],
}
# Calls that fail: wrong types or arities, and a separator that is not a constant.
BAD_CALLS = ["count_if(v)", "arg_max(v)", "asof_select(v, k, s)", "string_agg(s, s)",
             "list_unique(v, k)", "count_distinct_agg()"]


def _aggregates():
    return [d for d in json.loads(_native.codeanatomy_function_descriptors_json())
            if d["kind"] == "aggregate"]


@pytest.fixture(scope="module")
def sessions():
    native, via_plugin = SessionContext(), SessionContext()
    native.install_codeanatomy_udfs()
    via_plugin.register_plugin_udfs(load_plugin(plugin_library_path()))
    return native, via_plugin


def _outcome(ctx, query):
    try:
        return ("ok", ctx.sql(query).to_pylist())
    except EngineExecutionError as e:
        # Which two values disagree ("(got x and y)") depends on the order parallel batches
        # meet in, natively and through the plugin alike: the rest of the message must match.
        return ("error", e.stage, e.code, re.sub(r" \(got .*\)$", "", str(e).split("\n")[0]))


def _rows(outcome, grouped):
    if outcome[0] != "ok" or not grouped:
        return outcome
    return ("ok", sorted(outcome[1], key=lambda r: (r["g"] is None, r["g"] or "")))


def _same_rows(a, b) -> bool:
    if a[0] != "ok" or b[0] != "ok":
        return a == b
    return len(a[1]) == len(b[1]) and all(
        ra.keys() == rb.keys() and all(_same(ra[k], rb[k]) for k in ra)
        for ra, rb in zip(a[1], b[1]))


def test_the_calls_cover_every_aggregate():
    assert set(CALLS) == {d["name"] for d in _aggregates()}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["int", "str", "float", "date"])
@pytest.mark.parametrize("grouped", [True, False])
def test_every_aggregate_and_alias_equals_native(sessions, seed, kind, grouped):
    table = random_table(seed * 17 + len(kind), kind)
    for ctx in sessions:
        ctx.register_arrow("t", table)
    try:
        checked = 0
        for d in _aggregates():
            for name in [d["name"], *d["aliases"]]:
                for args in CALLS[d["name"]]:
                    key = "g, " if grouped else ""
                    group = " GROUP BY g" if grouped else ""
                    query = f"SELECT {key}{name}({args}) AS r FROM t{group}"
                    native, through = (_rows(_outcome(ctx, query), grouped) for ctx in sessions)
                    assert _same_rows(through, native), (query, through, native)
                    checked += 1
        assert checked >= len(CALLS)
    finally:
        for ctx in sessions:
            ctx.deregister("t")


@pytest.mark.parametrize("grouped", [True, False])
def test_many_batches_in_parallel_equal_native(sessions, grouped):
    """Enough batches for the engine to aggregate on several threads and merge the partials."""
    table = random_table(5, "str", n_batches=40, batch_rows=1500)
    for ctx in sessions:
        ctx.register_arrow("t", table)
    try:
        key = "g, " if grouped else ""
        group = " GROUP BY g" if grouped else ""
        calls = ", ".join(f"{name}({args[0]}) AS c{i}" for i, (name, args) in enumerate(CALLS.items()))
        query = f"SELECT {key}{calls} FROM t{group}"
        native, through = (_rows(_outcome(ctx, query), grouped) for ctx in sessions)
        assert native[0] == "ok"
        assert _same_rows(through, native)
    finally:
        for ctx in sessions:
            ctx.deregister("t")


@pytest.mark.parametrize("call", BAD_CALLS)
@pytest.mark.parametrize("grouped", [True, False])
def test_errors_equal_native(sessions, call, grouped):
    table = random_table(3, "int")
    for ctx in sessions:
        ctx.register_arrow("t", table)
    try:
        key = "g, " if grouped else ""
        group = " GROUP BY g" if grouped else ""
        query = f"SELECT {key}{call} AS r FROM t{group}"
        native, through = (_outcome(ctx, query) for ctx in sessions)
        assert native[0] == "error", (query, native)
        assert through == native, query
    finally:
        for ctx in sessions:
            ctx.deregister("t")
