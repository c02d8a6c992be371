"""The semantic engine (shared/CONTRACTS.md §1–3): validate and hash a spec of schema version 4,
and ``run_build``, which compiles a spec onto a session and writes its outputs as Delta tables.

Everything is JSON in, JSON out; the work runs in C++ with the GIL released. Failures raise
:class:`EngineExecutionError` with the stage and code of CONTRACTS §3 (``validation``:
INVALID_SPEC_JSON with ``details["path"]``, SPEC_VERSION_UNSUPPORTED, ...; ``compilation``: the
planner's code with the view's name and path; ``runtime``: PIPELINE_EXECUTION_FAILED, ...); an
unknown engine profile raises ``ValueError``.
"""

from __future__ import annotations

import json
from typing import Any

from codeanatomy import _native
from codeanatomy.errors import EngineExecutionError

__all__ = ["EngineExecutionError", "parse_and_validate_spec", "run_build", "spec_hash_hex"]


def _text(value: str | dict[str, Any]) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_and_validate_spec(spec: str | dict[str, Any]) -> dict[str, Any]:
    """The spec with every default filled in (its canonical form), or EngineExecutionError."""
    return json.loads(_native.parse_and_validate_spec_json(_text(spec)))


def spec_hash_hex(spec: str | dict[str, Any]) -> str:
    """BLAKE2b-256 (hex) of the canonical spec: equal for specs that mean the same."""
    return _native.spec_hash_hex(_text(spec))


def run_build(request: str | dict[str, Any]) -> dict[str, Any]:
    """Runs a build request ``{spec_json, engine_profile?, runtime?, orchestration?}`` and returns
    the response ``{contract_version: 3, run_result, outputs, warnings, diagnostics,
    artifacts}``. ``spec_json`` may be given as a dict; it is sent as JSON text."""
    if isinstance(request, dict) and isinstance(request.get("spec_json"), dict):
        request = {**request, "spec_json": json.dumps(request["spec_json"])}
    return json.loads(_native.run_build_json(_text(request)))
