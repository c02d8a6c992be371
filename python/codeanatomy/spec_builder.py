"""Building a spec from a semantic IR, and the schema runtime (shared/CONTRACTS.md §1).

:func:`build_spec_json` turns a semantic IR (views with kinds and inputs) and a request (where the
inputs are, which views to write and where) into a validated v4 spec. The IR, version 1::

    {"ir_version": 1,
     "views": [{"name": "py_files", "kind": "filter", "inputs": ["files"],
                "predicate": "language = 'python'"},
               {"name": "file_symbols", "kind": "relate", "inputs": ["py_files", "symbols"]}],
     "join_edges": [{"left_relation": "py_files", "right_relation": "symbols",
                     "left_keys": ["file_id"], "right_keys": ["file_id"]}],
     "datasets": {"files": {"columns": ["file_id", "path", "language"]}}}

Kinds: normalize, relate (or join), union, project, filter, aggregate, incremental_cdf, metadata,
file_manifest, cpg_emit, and the non-executable diagnostic and artifact (kept out of the spec).
A relate view without ``join_keys`` takes them from a join edge between its inputs, else from the
columns both inputs have. The request::

    {"input_locations": {"files": "/data/files", "symbols": {"delta_location": "...",
                                                             "version_pin": 3}},
     "output_targets": ["file_symbols", {"table_name": "t", "source_view": "py_files"}],
     "output_locations": {"file_symbols": "/out/file_symbols"},
     "rulepack_profile": "Default", "runtime": {}}

The full description is in ``src/semantic/build_spec.h``. Errors raise
:class:`~codeanatomy.errors.EngineExecutionError` (stage ``validation``) with
``details["path"]``: INVALID_SEMANTIC_IR_JSON, INVALID_BUILD_SPEC_REQUEST,
SEMANTIC_IR_MISSING_VIEWS, SEMANTIC_IR_MISSING_EXECUTABLE_VIEWS, JOIN_EDGE_DERIVATION_FAILED,
VIEW_TRANSFORM_DERIVATION_FAILED.

:class:`SchemaRuntime` lists every dataset of a compiled spec (inputs, views, outputs) with its
columns (Arrow types as text) and its declared contract.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow as pa

from codeanatomy import _native
from codeanatomy.context import SessionFactory

__all__ = ["SchemaRuntime", "arrow_type", "build_spec_json"]


def _text(value: str | dict[str, Any]) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def build_spec_json(semantic_ir: str | dict[str, Any], request: str | dict[str, Any]) -> str:
    """The v4 spec an IR and a request describe, as canonical JSON text (keys sorted, every
    default filled in), validated as ``parse_and_validate_spec`` would."""
    return _native.build_spec_json(_text(semantic_ir), _text(request))


class SchemaRuntime:
    """The datasets of a compiled spec: ``{schema_runtime_version: 1, spec_hash, datasets:
    [{name, kind (input|view|output), location, columns[{name, type, nullable}], contract}]}``.

    A view and the output written from it may share a name; the name then gives the output,
    and ``"view:name"`` (or ``"input:"``, ``"output:"``) picks a kind."""

    def __init__(self, runtime_json: str) -> None:
        self._json = runtime_json

    @classmethod
    def from_spec(
        cls, session_factory: SessionFactory | None, spec: str | dict[str, Any]
    ) -> SchemaRuntime:
        """Compiles ``spec`` on a session of ``session_factory`` (medium when None), without
        executing it, and reads every dataset's schema."""
        factory = session_factory if session_factory is not None else SessionFactory()
        return cls(_native.schema_runtime_json(factory._factory, _text(spec)))

    @classmethod
    def from_json(cls, runtime_json: str) -> SchemaRuntime:
        """A runtime from its JSON text; INVALID_SCHEMA_RUNTIME_JSON (with the path) if it is
        not one."""
        _native.dataset_names(runtime_json)
        return cls(runtime_json)

    def to_json(self) -> str:
        """The canonical JSON text (deterministic for a spec and its input tables)."""
        return self._json

    def dataset_names(self) -> list[str]:
        """The distinct dataset names: inputs, views (dependency order), outputs."""
        return list(_native.dataset_names(self._json))

    def dataset_schema(self, name: str) -> dict[str, Any]:
        """One dataset; SCHEMA_RUNTIME_DATASET_NAME_MISSING ``{name, available}`` if unknown."""
        return json.loads(_native.dataset_schema_json(self._json, name))

    def arrow_schema(self, name: str) -> pa.Schema:
        """The dataset's columns as a pyarrow schema (see :func:`arrow_type`)."""
        columns = self.dataset_schema(name)["columns"]
        return pa.schema([pa.field(c["name"], arrow_type(c["type"]), c["nullable"])
                          for c in columns])


_PRIMITIVES: dict[str, pa.DataType] = {
    "null": pa.null(), "bool": pa.bool_(),
    "int8": pa.int8(), "int16": pa.int16(), "int32": pa.int32(), "int64": pa.int64(),
    "uint8": pa.uint8(), "uint16": pa.uint16(), "uint32": pa.uint32(), "uint64": pa.uint64(),
    "halffloat": pa.float16(), "float": pa.float32(), "double": pa.float64(),
    "string": pa.string(), "large_string": pa.large_string(), "string_view": pa.string_view(),
    "binary": pa.binary(), "large_binary": pa.large_binary(), "binary_view": pa.binary_view(),
}
_UNIT_TYPES = {
    "date32[day]": pa.date32(), "date64[ms]": pa.date64(),
    "time32[s]": pa.time32("s"), "time32[ms]": pa.time32("ms"),
    "time64[us]": pa.time64("us"), "time64[ns]": pa.time64("ns"),
}
_NAME = re.compile(r"[a-z_0-9]+")
_TIMESTAMP = re.compile(r"\[(s|ms|us|ns)(?:, tz=([^\]]+))?\]")
_DURATION = re.compile(r"\[(s|ms|us|ns)\]")
_DECIMAL = re.compile(r"\((\d+), (-?\d+)\)")


def arrow_type(text: str) -> pa.DataType:
    """The pyarrow type for Arrow's type text (``str(pa_type)``): primitives, dates, times,
    timestamps (with a time zone), durations, decimals, and lists, structs and maps of them.
    Other types raise ValueError."""
    parsed, rest = _parse_type(text, text)
    if rest:
        raise ValueError(f"unsupported Arrow type text {text!r}")
    return parsed


def _expect(rest: str, token: str, text: str) -> str:
    if not rest.startswith(token):
        raise ValueError(f"unsupported Arrow type text {text!r}")
    return rest[len(token):]


def _parse_field(s: str, text: str) -> tuple[pa.Field, str]:
    name, sep, rest = s.partition(": ")
    if not sep:
        raise ValueError(f"unsupported Arrow type text {text!r}")
    field_type, rest = _parse_type(rest, text)
    nullable = not rest.startswith(" not null")
    return pa.field(name, field_type, nullable), rest if nullable else rest[len(" not null"):]


def _parse_type(s: str, text: str) -> tuple[pa.DataType, str]:
    match = _NAME.match(s)
    if match is None:
        raise ValueError(f"unsupported Arrow type text {text!r}")
    name, rest = match.group(0), s[match.end():]
    for unit_text, unit_type in _UNIT_TYPES.items():
        if s.startswith(unit_text):
            return unit_type, s[len(unit_text):]
    if name == "timestamp" and (m := _TIMESTAMP.match(rest)):
        return pa.timestamp(m.group(1), tz=m.group(2)), rest[m.end():]
    if name == "duration" and (m := _DURATION.match(rest)):
        return pa.duration(m.group(1)), rest[m.end():]
    if name in ("decimal128", "decimal256") and (m := _DECIMAL.match(rest)):
        make = pa.decimal128 if name == "decimal128" else pa.decimal256
        return make(int(m.group(1)), int(m.group(2))), rest[m.end():]
    if name in ("list", "large_list") and rest.startswith("<"):
        item, rest = _parse_field(rest[1:], text)
        make_list = pa.list_ if name == "list" else pa.large_list
        return make_list(item), _expect(rest, ">", text)
    if name == "struct" and rest.startswith("<"):
        fields, rest = [], rest[1:]
        while not rest.startswith(">"):
            field, rest = _parse_field(rest, text)
            fields.append(field)
            if rest.startswith(", "):
                rest = rest[2:]
            elif not rest.startswith(">"):
                raise ValueError(f"unsupported Arrow type text {text!r}")
        return pa.struct(fields), rest[1:]
    if name == "map" and rest.startswith("<"):
        key, rest = _parse_type(rest[1:], text)
        value, rest = _parse_type(_expect(rest, ", ", text), text)
        return pa.map_(key, value), _expect(rest, ">", text)
    if name in _PRIMITIVES:
        return _PRIMITIVES[name], rest
    raise ValueError(f"unsupported Arrow type text {text!r}")
