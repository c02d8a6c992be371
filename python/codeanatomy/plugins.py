"""Plugins: shared libraries that add functions and table providers through the pure-C ABI
of ``include/codeanatomy/plugin_abi.h``.

A plugin is loaded by explicit path and its manifest is checked before any other call (ABI
major equal, plugin minor <= the host's, struct sizes, engine and Arrow majors); a mismatch is an
:class:`~codeanatomy.errors.EngineExecutionError` with stage ``plugin`` and a code naming the
check (``PLUGIN_ABI_MAJOR_MISMATCH``, ``PLUGIN_ABI_MINOR_TOO_NEW``, ``PLUGIN_STRUCT_TOO_SMALL``,
...). A loaded plugin is a PyCapsule named ``codeanatomy.plugin``; the library stays loaded while
the capsule or anything registered from it lives.
"""

from __future__ import annotations

import json
import os
from typing import Any

from . import _native

#: The name of every plugin capsule; capsules with other names are refused.
CAPSULE_NAME = "codeanatomy.plugin"


def load_plugin(path: str | os.PathLike[str]) -> Any:
    """Loads and validates the plugin at ``path`` (an explicit path, never a library search)
    and returns its capsule."""
    path = os.fspath(path)
    if os.sep not in path:
        path = os.path.join(os.curdir, path)
    return _native.plugin_load(path)


def plugin_manifest(plugin: Any) -> dict[str, Any]:
    """The manifest of a plugin (a capsule, or a path to load): name, version, build id, ABI
    major/minor, engine and Arrow majors, capabilities and features."""
    if isinstance(plugin, (str, os.PathLike)):
        plugin = load_plugin(plugin)
    return json.loads(_native.plugin_manifest_json(plugin))


def plugin_exports(plugin: Any) -> dict[str, list[str]]:
    """What the plugin exports by name: table providers and functions by kind."""
    return _native.plugin_exports(plugin)


def plugin_library_path() -> str:
    """The first-party plugin shipped inside this package (the core's ``delta`` and
    ``delta_cdf`` table providers through the plugin ABI)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libcodeanatomy_plugin.so")
    if not os.path.exists(path):
        raise FileNotFoundError(f"the first-party plugin is not installed at {path}")
    return path
