"""Registry and capabilities snapshots (shared/CONTRACTS.md §5). The hashes are recomputed here
with Python's hashlib and json (canonical JSON = sorted keys, no whitespace), so they check the
engine's bytes, not a copy of its code; the first-party plugin's snapshot must equal the native
one, config defaults included."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pytest

import codeanatomy
from codeanatomy import SessionContext
from codeanatomy.plugins import load_plugin, plugin_library_path, plugin_manifest

ROOT = Path(__file__).resolve().parents[2]
TEST_PLUGINS = ROOT / os.environ.get("BUILD_DIR", "build/ci") / "test_plugins"
KINDS = ("scalar", "aggregate", "window", "table")


def _native(config=None):
    ctx = SessionContext()
    ctx.install_codeanatomy_udfs(config)
    return codeanatomy.registry_snapshot(ctx)


def _through_plugin(options=None):
    ctx = SessionContext()
    ctx.register_plugin_udfs(load_plugin(plugin_library_path()), options)
    return codeanatomy.registry_snapshot(ctx)


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_hashes_are_recomputable():
    snap = _native()
    names = sorted(n for kind in KINDS for n in snap[kind])
    expected_names = hashlib.blake2b(b"".join(n.encode() + b"\0" for n in names), digest_size=16)
    assert snap["names_hash"] == expected_names.hexdigest()
    rest = {k: v for k, v in snap.items() if k != "snapshot_hash"}
    assert snap["snapshot_hash"] == hashlib.blake2b(_canonical(rest), digest_size=32).hexdigest()


def test_native_snapshot_lists_the_bundle():
    snap = _native()
    assert snap["version"] == 1
    descriptors = json.loads(codeanatomy._native.codeanatomy_function_descriptors_json())
    windows = ["lag", "lead", "row_number"]  # the window part (functions/window_functions.h)
    tables = ["delta_add_actions", "delta_snapshot", "read_delta", "read_delta_cdf", "udf_docs",
              "udf_registry"]  # the session's table functions (engine/table_function.h)
    for kind in KINDS:
        listed = sorted(d["name"] for d in descriptors if d["kind"] == kind)
        assert snap[kind] == {"window": windows, "table": tables}.get(kind, listed)
    # A table function: one signature per accepted arity, volatile (it reads tables).
    assert snap["parameter_names"]["read_delta"] == ["uri", "version"]
    assert snap["signatures"]["read_delta"] == [["utf8"], ["utf8", "int64"]]
    assert snap["signatures"]["read_delta_cdf"] == [
        ["utf8", "int64"], ["utf8", "int64", "int64"], ["utf8", "int64", "int64", "bool"]]
    assert snap["signatures"]["udf_registry"] == [[]]
    assert snap["return_types"]["read_delta"] == "table"
    # CONTRACTS §5's aliases, each to its canonical name.
    for alias, name in [("hash64", "stable_hash64"), ("stable_id_multi", "stable_id_parts"),
                        ("span", "span_make"), ("null_if_blank", "utf8_null_if_blank"),
                        ("array_compact", "list_compact")]:
        assert snap["aliases"][alias] == name
    assert snap["parameter_names"]["stable_id"] == ["prefix", "value"]
    assert snap["signatures"]["col_to_byte"] == [["utf8", "int64", "utf8"]]
    assert snap["return_types"]["stable_hash64"] == "int64"
    assert {snap["volatility"][n] for n in tables} == {"volatile"}
    assert {v for n, v in snap["volatility"].items() if n not in tables} == {"immutable"}
    assert "stable_id_parts" in snap["variadic"]
    assert snap["config_defaults"]["utf8_normalize"] == {
        "utf8_normalize_casefold": True, "utf8_normalize_collapse_ws": True,
        "utf8_normalize_form": "NFKC"}
    assert "stable_hash64" not in snap["config_defaults"]  # reads no config


def test_empty_session_and_snapshot_installs_nothing():
    ctx = SessionContext()
    snap = codeanatomy.registry_snapshot(ctx)
    assert all(snap[kind] == [] for kind in KINDS)
    assert snap["names_hash"] == hashlib.blake2b(b"", digest_size=16).hexdigest()
    with pytest.raises(Exception):
        ctx.sql("SELECT stable_hash64('x')").to_arrow_table()


@pytest.mark.parametrize("config", [None, {"span_default_line_base": 1,
                                           "utf8_normalize_form": "NFC",
                                           "map_normalize_key_case": "upper"}])
def test_first_party_plugin_snapshot_equals_native(config):
    native = _native(config)
    plugin = _through_plugin({"udf_config": config} if config else None)
    assert plugin == native  # names, signatures, config defaults, both hashes


def test_config_changes_the_snapshot_hash_not_the_names_hash():
    default, other = _native(), _native({"span_default_line_base": 1})
    assert default["names_hash"] == other["names_hash"]
    assert default["snapshot_hash"] != other["snapshot_hash"]
    assert other["config_defaults"]["span_make"]["span_default_line_base"] == 1


@pytest.mark.skipif(not (TEST_PLUGINS / "test_plugin.so").exists(),
                    reason="test plugins are built with the C++ tests")
def test_a_plugin_without_descriptors_is_described_by_its_structs():
    ctx = SessionContext()
    ctx.register_plugin_udfs(load_plugin(str(TEST_PLUGINS / "test_plugin.so")))
    snap = codeanatomy.registry_snapshot(ctx)
    assert {"add_one", "fails", "wrong_length", "wrong_type"} <= set(snap["scalar"])
    assert snap["return_types"]["add_one"] == "unknown"
    assert snap["signatures"]["add_one"] == []
    assert snap["aliases"]["plus_one"] == "add_one"


def test_capabilities_snapshot():
    caps = codeanatomy.capabilities_snapshot()
    assert caps["version"] == 1
    assert caps["engine_version"] == codeanatomy.__version__
    assert caps["arrow_version"] == pa.__version__
    assert caps["arrow_major"] == int(pa.__version__.split(".")[0])
    manifest = plugin_manifest(plugin_library_path())
    assert (caps["plugin_abi"]["major"], caps["engine_major"], caps["arrow_major"]) == (
        manifest["plugin_abi_major"], manifest["engine_major"], manifest["arrow_major"])
    assert caps["plugin_abi"]["minor"] >= manifest["plugin_abi_minor"]
    snap = _native()
    assert caps["functions"] == {kind: len(snap[kind]) for kind in KINDS}
    assert {"delta", "delta_cdf"} <= set(caps["table_providers"])
    assert caps["delta"]["max_reader_version"] == 3
    assert "deletionVectors" in caps["delta"]["reader_features"]
    assert "changeDataFeed" in caps["delta"]["writer_features"]


def test_udf_registry_and_udf_docs_list_what_the_snapshot_lists():
    ctx = SessionContext()
    ctx.install_codeanatomy_udfs({"span_default_line_base": 1})
    snap = codeanatomy.registry_snapshot(ctx)
    rows = ctx.sql("SELECT * FROM udf_registry()").to_pylist()
    for kind in KINDS:
        assert [r["name"] for r in rows if r["kind"] == kind] == snap[kind]
    for r in rows:
        assert json.loads(r["signatures"]) == snap["signatures"][r["name"]]
        assert r["parameter_names"] == snap["parameter_names"][r["name"]]
        assert r["return_type"] == snap["return_types"][r["name"]]
        assert json.loads(r["config_defaults"]) == snap["config_defaults"].get(r["name"], {})
        assert sorted(r["aliases"]) == sorted(a for a, n in snap["aliases"].items()
                                              if n == r["name"])
    # The session's table functions are listed too: the Delta ones and these two.
    assert {"read_delta", "delta_snapshot", "udf_registry", "udf_docs"} <= set(snap["table"])
    docs = {r["name"]: r for r in ctx.sql("SELECT * FROM udf_docs()").to_pylist()}
    descriptors = json.loads(codeanatomy._native.codeanatomy_function_descriptors_json())
    for d in descriptors:
        assert docs[d["name"]]["doc"] == d["doc"]
        assert docs[d["name"]]["signature"].startswith(d["name"] + "(")
    assert docs["stable_id"]["signature"] == "stable_id(prefix, value)"


def test_udf_registry_follows_the_session():
    ctx = SessionContext()
    ctx.register_plugin_udfs(load_plugin(plugin_library_path()))
    first = ctx.sql("SELECT count(*) AS n FROM udf_registry() WHERE kind = 'scalar'").to_pylist()
    assert first == [{"n": len(codeanatomy.registry_snapshot(ctx)["scalar"])}]
