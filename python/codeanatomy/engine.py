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
from codeanatomy.context import SessionFactory
from codeanatomy.errors import EngineExecutionError

__all__ = [
    "CompiledPlan",
    "CpgMaterializer",
    "EngineExecutionError",
    "RunResult",
    "SemanticPlanCompiler",
    "SessionFactory",
    "compile_metadata_json",
    "parse_and_validate_spec",
    "run_build",
    "spec_hash_hex",
]


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


def compile_metadata_json(session_factory: SessionFactory, spec: str | dict[str, Any]) -> str:
    """What a spec would do, without executing it: its hashes, providers, task schedule (views
    in dependency order) and plan artifacts (each view's SQL and columns), as JSON text."""
    return _native.compile_metadata_json(session_factory._factory, _text(spec))


class CompiledPlan:
    """A spec validated and compiled (every view planned) on a session of the compiler's
    factory; executed by :class:`CpgMaterializer`."""

    def __init__(self, spec: dict[str, Any], metadata: dict[str, Any]) -> None:
        self._spec = spec
        self.metadata = metadata

    def spec_json(self) -> str:
        """The canonical spec (every default filled in) as JSON text."""
        return json.dumps(self._spec)

    def spec_hash_hex(self) -> str:
        return self.metadata["spec_hash"]

    def task_schedule(self) -> list[str]:
        """The views in dependency order."""
        return list(self.metadata["task_schedule"])

    def task_graph(self) -> list[dict[str, Any]]:
        """Every task (``input:``, ``view:``, ``output:``) with what it depends on and its level."""
        return list(self.metadata["task_graph"]["tasks"])

    def cached_views(self) -> list[str]:
        """The views the spec's cache_policy computes once per run."""
        return list(self.metadata["cached_views"])


class SemanticPlanCompiler:
    """Compiles specs (schema version 4) on sessions of ``session_factory``."""

    def __init__(self, session_factory: SessionFactory | None = None) -> None:
        self.session_factory = session_factory or SessionFactory()

    def compile(self, spec_json: str | dict[str, Any]) -> CompiledPlan:
        spec = parse_and_validate_spec(spec_json)
        metadata = json.loads(compile_metadata_json(self.session_factory, spec))
        return CompiledPlan(spec, metadata)


class RunResult:
    """The run_build response of a materialized plan (CONTRACTS §2)."""

    def __init__(self, response: dict[str, Any]) -> None:
        self._response = response

    @property
    def outputs(self) -> list[dict[str, Any]]:
        return self._response["run_result"]["outputs"]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """``[{code, stage, message, context}]``: ignored runtime flags, pushdown contract
        violations under Warn, maintenance operations not available or failed."""
        return self._response["warnings"]

    @property
    def task_schedule(self) -> list[dict[str, Any]]:
        """The tasks in the order they can run: ``{id, kind, name, depends_on, level}``."""
        return self._response["run_result"]["task_schedule"]

    @property
    def critical_path(self) -> dict[str, Any]:
        """``{tasks, seconds}``: the chain to an output that took the longest."""
        return self._response["run_result"]["critical_path"]

    @property
    def metrics(self) -> dict[str, Any]:
        """``{compile_seconds, total_seconds, outputs: [{table_name, rows_written, files_added,
        bytes_written, seconds}], cached_views}``."""
        return self._response["run_result"]["collected_metrics"]

    @property
    def maintenance(self) -> list[dict[str, Any]]:
        """What each maintenance operation did per output: ``{table_name, operation, status,
        version?, reason?}``."""
        return self._response["run_result"]["maintenance"]

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._response))

    def to_json(self) -> str:
        return json.dumps(self._response)


class CpgMaterializer:
    """Streams a compiled plan's outputs into their Delta targets."""

    def execute(self, session_factory: SessionFactory, compiled_plan: CompiledPlan, *,
                include_manifest: bool = True, include_run_bundle: bool = False) -> RunResult:
        return RunResult(json.loads(_native.execute_spec_json(
            session_factory._factory, compiled_plan.spec_json(), include_manifest,
            include_run_bundle)))
