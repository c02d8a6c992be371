"""The engine's error type (shared/CONTRACTS.md §3)."""

from __future__ import annotations

import json
from typing import Any


class EngineExecutionError(Exception):
    """An engine failure with a stage, a code, a message and optional JSON details.

    Attributes:
        stage: where it failed (``validation``, ``planning``, ``execution``, ``runtime``, ...).
        code: a stable upper-case code such as ``UNKNOWN_COLUMN``.
        message: the human-readable message.
        details: a JSON value (usually a dict) naming the culprit, or None.
    """

    def __init__(self, stage: str, code: str, message: str, details: Any = None) -> None:
        if isinstance(details, str):
            try:
                details = json.loads(details)
            except ValueError:
                pass
        self.stage = stage
        self.code = code
        self.message = message
        self.details = details
        super().__init__(f"[{stage}/{code}] {message}")

    def __reduce__(self):
        return (type(self), (self.stage, self.code, self.message, self.details))
