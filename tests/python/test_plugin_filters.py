"""Filter pushdown into plugin tables: the host sends a scan's pushable conjuncts as one
Substrait ExtendedExpression (supports_filters, then scan), and the first-party plugin prunes
Delta files with them as the native provider does. Oracle: a data file removed from disk can
only be skipped by pruning, so a query that avoids its partition succeeds through the plugin
exactly when the filter crossed the ABI; and results equal the native provider's."""

from __future__ import annotations

import pyarrow as pa
import pytest

from codeanatomy import SessionContext
from codeanatomy.delta import write_delta
from codeanatomy.errors import EngineExecutionError
from codeanatomy.plugins import load_plugin, plugin_library_path


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "t"
    data = pa.table({"id": pa.array(range(12), pa.int64()),
                     "p": pa.array([i % 3 for i in range(12)], pa.int64()),
                     "s": [f"v{i}" for i in range(12)]})
    write_delta(str(path), data, partition_by=["p"])
    return path, data


def _sessions(path):
    native, via_plugin = SessionContext(), SessionContext()
    native.install_codeanatomy_udfs()
    via_plugin.install_codeanatomy_udfs()
    native.register_table_provider("t", "delta", {"table_uri": str(path)})
    via_plugin.register_plugin_table_provider("t", load_plugin(plugin_library_path()), "delta",
                                              {"table_uri": str(path)})
    return native, via_plugin


def _rows(ctx, query):
    return sorted(ctx.sql(query).to_arrow().to_pylist(), key=lambda r: r["id"])


def test_pruned_partitions_are_never_read(table):
    path, data = table
    for f in (path / "p=2").glob("*.parquet"):
        f.unlink()  # only pruning can keep a query away from this partition now
    native, via_plugin = _sessions(path)
    queries = ["SELECT id, p, s FROM t WHERE p = 1",
               "SELECT id, p, s FROM t WHERE p < 2 AND id > 3",
               "SELECT id, p, s FROM t WHERE p IN (0, 1) AND stable_hash64(s) IS NOT NULL",
               "SELECT id, s FROM t WHERE p <> 2 AND s LIKE 'v1%'"]
    for q in queries:
        expected = _rows(native, q)
        assert _rows(via_plugin, q) == expected, q
        assert expected  # the queries select rows
    want = [r for r in data.to_pylist() if r["p"] == 1]
    assert _rows(via_plugin, "SELECT id, p, s FROM t WHERE p = 1") == want
    # A query that needs the missing partition fails alike, with a typed error.
    for ctx in (native, via_plugin):
        with pytest.raises(EngineExecutionError) as e:
            ctx.sql("SELECT * FROM t WHERE p = 2").to_arrow()
        assert e.value.code


def test_filters_that_cannot_cross_are_applied_by_the_host(table):
    path, data = table
    native, via_plugin = _sessions(path)
    q = "SELECT id, p, s FROM t WHERE stable_hash64(s) % 2 = 0 OR p = 0"
    assert _rows(via_plugin, q) == _rows(native, q)
    assert len(_rows(native, "SELECT id FROM t")) == data.num_rows




def test_a_provider_made_once_serves_several_sessions(table):
    path, data = table
    plugin = load_plugin(plugin_library_path())
    maker = SessionContext()
    provider = maker.create_plugin_table_provider(plugin, "delta", {"table_uri": str(path)})
    del plugin  # the provider keeps the library loaded
    expected = sorted(data.to_pylist(), key=lambda r: r["id"])
    for _ in range(2):
        ctx = SessionContext()
        ctx.register_table_provider("t", provider)
        assert _rows(ctx, "SELECT id, p, s FROM t") == expected
    with pytest.raises(TypeError):
        SessionContext().register_table_provider("t", object())
    with pytest.raises(ValueError):
        SessionContext().register_table_provider("t", provider, {"table_uri": "x"})


def test_register_plugin_table_providers_by_list_and_map(table):
    path, _ = table
    plugin = load_plugin(plugin_library_path())
    ctx = SessionContext()
    ctx.register_plugin_table_providers(plugin, {"a": "delta"}, {"table_uri": str(path)})
    ctx.register_plugin_table_providers(plugin, ["delta"], {"table_uri": str(path)})
    assert {"a", "delta"} <= set(ctx.tables())
    with pytest.raises(EngineExecutionError) as e:
        ctx.register_plugin_table_providers(plugin, ["nope"], {})
    assert e.value.code == "PLUGIN_PROVIDER_NOT_EXPORTED"
