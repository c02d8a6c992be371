"""SessionContext and SessionFactory."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from . import _native
from .dataframe import DataFrame


class SessionFactory:
    """Builds sessions deterministically from a profile: small, medium or large.

    ============  ==========  ==========  ======
    profile       partitions  batch size  memory
    ============  ==========  ==========  ======
    small         4           4096        512 MiB
    medium        8           8192        2 GiB
    large         16          16384       8 GiB
    ============  ==========  ==========  ======
    """

    def __init__(
        self,
        profile: str = "medium",
        *,
        target_partitions: int | None = None,
        batch_size: int | None = None,
        memory_limit_bytes: int | None = None,
    ) -> None:
        factory = _native.SessionFactory.from_profile(profile)
        if target_partitions is not None or batch_size is not None or memory_limit_bytes is not None:
            factory = factory.with_overrides(target_partitions, batch_size, memory_limit_bytes)
        self._factory = factory

    @classmethod
    def from_class(cls, name: str) -> "SessionFactory":
        """A factory for a profile name (case-insensitive); unknown names raise ValueError."""
        return cls(name)

    def profile_json(self) -> str:
        return self._factory.profile_json()

    def profile_hash(self) -> str:
        return self._factory.profile_hash()

    def settings_hash(self) -> str:
        return self._factory.settings_hash()

    def settings_json(self) -> str:
        return self._factory.settings_json()

    def create_session(self) -> "SessionContext":
        return SessionContext(_native_ctx=self._factory.create_session())


class SessionContext:
    """A session: a catalog of tables (``catalog.schema.table``; defaults
    ``codeanatomy.public``), a function registry, a memory pool with a limit and a thread pool.
    One session may be used from several Python threads at once."""

    def __init__(self, profile: str | None = None, *, _native_ctx: Any = None) -> None:
        if _native_ctx is not None:
            self._ctx = _native_ctx
        elif profile is not None:
            self._ctx = _native.SessionFactory.from_profile(profile).create_session()
        else:
            self._ctx = _native.SessionContext.make()

    def register_arrow(self, name: str, obj: Any, *, stream: bool = False) -> None:
        """Registers any Arrow data: an object with ``__arrow_c_stream__`` or
        ``__arrow_c_array__`` (pyarrow tables and batches, polars and duckdb results, ...).

        By default the data is read into memory once and can be scanned any number of times.
        With ``stream=True`` the stream is kept as is and can be scanned exactly once.
        """
        self._ctx.register_arrow(name, obj, stream)

    def register_parquet(self, name: str, path: str | os.PathLike[str]) -> None:
        """Registers a Parquet file or a directory of Parquet files."""
        self._ctx.register_parquet(name, os.fspath(path))

    def register_delta(self, name: str, uri: str | os.PathLike[str], version: int | None = None,
                       timestamp: Any = None, *, files: list[str] | None = None,
                       file_column_name: str | None = None,
                       enable_parquet_pushdown: bool = True,
                       gate: dict[str, Any] | None = None) -> None:
        """Registers a Delta table pinned at a version (the latest, a version number, or the
        latest commit at or before ``timestamp``); scans prune files by partition values and
        statistics.

        ``files``: only these data files (paths as in the log's add actions,
        ``DeltaTable.add_actions()["path"]``). ``file_column_name``: add a string column holding
        each row's file. ``enable_parquet_pushdown``: filters also skip Parquet row groups.
        ``gate``: ``{min_reader_version, min_writer_version, required_reader_features,
        required_writer_features}`` the table's protocol must meet (``PROTOCOL_GATE_FAILED``)."""
        from .delta import DeltaTable

        table = DeltaTable(uri, version=version, timestamp=timestamp)
        if gate is not None:
            table.check_protocol_gate(**gate)
        _native.register_delta(self._ctx, name, table._snapshot,
                               None if files is None else list(files), file_column_name,
                               enable_parquet_pushdown)

    def register_plugin_udfs(self, plugin: Any, options: dict[str, Any] | None = None) -> list[str]:
        """Installs a plugin's functions (its ``udf_bundle_with_options(options)``) in this
        session; they work in SQL and DataFrames like native ones (a window function shadows
        the built-in of its name; a table function is called as ``FROM f(...)``). Returns their
        names: scalar, aggregate, window, then table functions."""
        import json

        return _native.register_plugin_udfs(self._ctx, plugin, json.dumps(options or {}))

    def register_plugin_table_provider(self, name: str, plugin: Any, provider: str,
                                       options: dict[str, Any] | None = None) -> None:
        """Registers table ``name`` made by the plugin's exported provider ``provider`` from
        ``options`` (the provider's options, shared/CONTRACTS.md §4)."""
        import json

        _native.register_plugin_table_provider(self._ctx, plugin, name, provider,
                                               json.dumps(options or {}))

    def register_plugin_table_providers(self, plugin: Any,
                                        table_names: dict[str, str] | list[str],
                                        options: dict[str, Any] | None = None) -> None:
        """Registers several of the plugin's providers at once: ``table_names`` maps table
        names to exported provider names (a list registers each provider under its own name),
        each made from ``options``."""
        if isinstance(table_names, list):
            table_names = {p: p for p in table_names}
        for table, provider in table_names.items():
            self.register_plugin_table_provider(table, plugin, provider, options)

    def create_plugin_table_provider(self, plugin: Any, provider: str,
                                     options: dict[str, Any] | None = None) -> Any:
        """The plugin's exported provider ``provider`` made from ``options``, unregistered: a
        PyCapsule named ``codeanatomy.table_provider`` to pass to
        :meth:`register_table_provider` (in this or any session; the plugin stays loaded while
        the provider lives)."""
        import json

        return _native.create_plugin_table_provider(plugin, provider, json.dumps(options or {}))

    def register_plugin(self, plugin: Any, options: dict[str, Any] | None = None,
                        table_names: dict[str, str] | list[str] | None = None) -> list[str]:
        """Installs the plugin's functions (when it has any) and registers its table providers:
        ``table_names`` maps table names to exported provider names (a list registers each
        provider under its own name), each made with empty options. Returns the function
        names."""
        from .plugins import plugin_exports

        exports = plugin_exports(plugin)
        names: list[str] = []
        if any(exports[k] for k in ("scalar_functions", "aggregate_functions",
                                     "window_functions", "table_functions")):
            names = self.register_plugin_udfs(plugin, options)
        if isinstance(table_names, list):
            table_names = {p: p for p in table_names}
        self.register_plugin_table_providers(plugin, table_names or {})
        return names

    def register_table_provider(self, name: str, kind: Any,
                                options: dict[str, Any] | None = None) -> None:
        """Registers a table provider: a provider capsule (from
        :meth:`create_plugin_table_provider`) as it is, or one made from its options
        (shared/CONTRACTS.md §4): ``"delta"``
        ``{table_uri, version?, timestamp?, scan_config{scan_config_version: 1,
        file_column_name?, enable_parquet_pushdown, ...}, gate?, files?}`` or ``"delta_cdf"``
        ``{table_uri, starting_version?, ending_version?, starting_timestamp?,
        ending_timestamp?, allow_out_of_range?}``. Bad options are typed errors naming the
        field."""
        import json

        if not isinstance(kind, str):
            if options is not None:
                raise ValueError("options apply to a provider kind, not to a provider capsule")
            _native.register_provider_capsule(self._ctx, name, kind)
            return
        _native.register_table_provider(self._ctx, name, kind, json.dumps(options or {}))

    def deregister(self, name: str) -> None:
        self._ctx.deregister(name)

    def tables(self) -> list[str]:
        """Registered table names (bare for the default catalog and schema)."""
        return self._ctx.tables()

    def table(self, name: str) -> DataFrame:
        return DataFrame(self._ctx.table(name))

    def table_function(self, name: str, *args: Any) -> DataFrame:
        """A DataFrame over table function ``name`` called with ``args`` (the same call as
        ``SELECT * FROM name(args...)`` in SQL; names are case-insensitive). Arguments are
        Python values (``str``, ``int``, ``bool``, ``float``, ``None``, paths) or pyarrow
        scalars; ``None`` leaves an optional parameter out. The codeanatomy bundle
        (:meth:`install_codeanatomy_udfs`) provides ``read_delta(uri[, version])``,
        ``read_delta_cdf(uri, starting_version[, ending_version[, allow_out_of_range]])``,
        ``delta_snapshot(uri[, version])`` and ``delta_add_actions(uri[, version])``.
        An unknown name, a wrong number or type of arguments raise
        :class:`EngineExecutionError` (``UNKNOWN_TABLE_FUNCTION``, ``WRONG_ARITY``,
        ``INVALID_TABLE_FUNCTION_ARGUMENT``); the function's own failures keep their stage
        and code (a missing Delta table: stage ``delta``)."""
        arrays = []
        for arg in args:
            if isinstance(arg, pa.Scalar):
                arrays.append(pa.array([arg.as_py()], type=arg.type))
            elif isinstance(arg, os.PathLike):
                arrays.append(pa.array([os.fspath(arg)]))
            elif arg is None:
                arrays.append(pa.nulls(1))
            else:
                arrays.append(pa.array([arg]))
        return DataFrame(_native.table_function(self._ctx, name, arrays))

    def schema(self, name: str) -> pa.Schema:
        return self.table(name).schema()

    def sql(self, query: str, params: Sequence[Any] | None = None) -> DataFrame:
        """Runs SQL (PostgreSQL dialect, parsed by PostgreSQL's own parser) and returns the last
        statement's result as a lazy DataFrame. Queries share the DataFrame API's optimizer and
        executor. Also accepted: EXPLAIN, CREATE [OR REPLACE] VIEW, DROP VIEW/TABLE,
        CREATE FUNCTION name(args) RETURNS type RETURN expr, DROP FUNCTION, CREATE TABLE AS,
        SHOW TABLES, DESCRIBE name, SET name = value. DDL runs immediately.
        ``params`` are the values of ``$1``, ``$2``, ... (Python values typed as pyarrow types
        them, or pyarrow scalars); a ``$n`` without one is PARAMETER_MISSING.
        Errors are :class:`EngineExecutionError` with stage ``sql`` and the position."""
        values = [pa.array([p.as_py()], type=p.type) if isinstance(p, pa.Scalar)
                  else pa.array([p]) for p in (params or [])]
        return DataFrame(_native.sql(self._ctx, query, values))

    def set_sql_policy(
        self, *, allow_ddl: bool = True, allow_dml: bool = True, allow_statements: bool = True
    ) -> None:
        """Which statements :meth:`sql` accepts; a forbidden one is refused (code
        ``STATEMENT_NOT_ALLOWED``) before any statement of the text runs."""
        _native.set_sql_policy(self._ctx, allow_ddl, allow_dml, allow_statements)

    def sql_policy(self) -> dict[str, bool]:
        """The statement policy: ``allow_ddl``, ``allow_dml``, ``allow_statements``."""
        ddl, dml, statements = _native.sql_policy(self._ctx)
        return {"allow_ddl": ddl, "allow_dml": dml, "allow_statements": statements}

    def install_codeanatomy_udfs(self, config: dict[str, Any] | None = None) -> None:
        """Registers the codeanatomy function bundle (shared/CONTRACTS.md §5) in this session:
        hashing (``stable_hash64``, ``stable_id``, ...), spans (``span_make``, ``span_len``, ...),
        positions (``col_to_byte``, ``canonicalize_byte_span``), strings (``utf8_normalize``,
        ...) and change-data functions, with their aliases, for SQL and the DataFrame API.

        ``config`` is the ``udf_config`` block of §4 (``utf8_normalize_form``,
        ``utf8_normalize_casefold``, ``utf8_normalize_collapse_ws``, ``span_default_line_base``,
        ``span_default_col_unit``, ``span_default_end_exclusive``, ``map_normalize_key_case``,
        ``map_normalize_sort_keys``); a bad member raises :class:`EngineExecutionError` with
        code ``INVALID_UDF_CONFIG`` naming the field. Installing again replaces the functions
        (with the new config). The bundle's ``utf8_normalize`` shadows Arrow's function of that
        name in this session."""
        import json

        _native.install_codeanatomy_functions(self._ctx, "" if config is None else json.dumps(config))

    def set_option(self, key: str, value: str) -> None:
        self._ctx.set_option(key, value)

    def get_option(self, key: str) -> str:
        return self._ctx.get_option(key)

    def config_json(self) -> str:
        return self._ctx.config_json()
