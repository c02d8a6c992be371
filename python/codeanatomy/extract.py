"""Extraction: the evidence tables a Code Property Graph is built from, read out of a tree of
Python source files with the standard library's ``ast`` and ``symtable``.

``extract_repository(root)`` returns one ``pyarrow.Table`` per kind of evidence (see
``EVIDENCE_SCHEMAS``); ``write_evidence(tables, out_dir)`` stores each as a Delta table.

Spans (``bstart``, ``bend``) are byte offsets into the file's bytes, end exclusive, as in
shared/CONTRACTS.md §6 (other tools use UTF-16 offsets). Files are read as UTF-8 (a leading BOM
is allowed); lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``, as Python's tokenizer counts them.

Ids are stable: a kind prefix and a BLAKE2b-128 hex digest of the file's path, the span and a
discriminator, so two extractions of the same tree give equal tables. Rows are ordered by file
path, then span start, then id.
"""

from __future__ import annotations

import ast
import codecs
import concurrent.futures
import hashlib
import multiprocessing
import os
import re
import symtable
import warnings
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from .delta import write_delta

SKIPPED_DIRS = frozenset({".git", "__pycache__", ".venv", "venv", "node_modules", "build", "dist"})

MODULE, CLASS, FUNCTION, PARAMETER = "MODULE", "CLASS", "FUNCTION", "PARAMETER"


def _schema(*columns: tuple[str, pa.DataType, bool]) -> pa.Schema:
    return pa.schema([pa.field(name, kind, nullable=nullable) for name, kind, nullable in columns])


_S, _I, _B = pa.string(), pa.int64(), pa.bool_()
# Delta (Parquet) names a list's item "element"; using it here makes tables round-trip unchanged.
_STRINGS = pa.list_(pa.field("element", pa.string()))

EVIDENCE_SCHEMAS: dict[str, pa.Schema] = {
    "repo_files": _schema(
        ("file_id", _S, False), ("path", _S, False), ("sha256", _S, False),
        ("size", _I, False), ("line_count", _I, False)),
    "line_index": _schema(
        ("file_id", _S, False), ("line_no", _I, False),
        ("line_start_byte", _I, False), ("line_end_byte", _I, False)),
    "definitions": _schema(
        ("def_id", _S, False), ("file_id", _S, False), ("kind", _S, False), ("name", _S, False),
        ("qualified_name", _S, False), ("parent_def_id", _S, True),
        ("bstart", _I, False), ("bend", _I, False), ("is_async", _B, False),
        ("bases", _STRINGS, True)),
    "name_refs": _schema(
        ("ref_id", _S, False), ("file_id", _S, False), ("name", _S, False), ("ctx", _S, False),
        ("scope_def_id", _S, False), ("bstart", _I, False), ("bend", _I, False)),
    "imports": _schema(
        ("import_id", _S, False), ("file_id", _S, False), ("module", _S, True),
        ("name", _S, True), ("asname", _S, True), ("level", _I, False),
        ("scope_def_id", _S, False), ("bstart", _I, False), ("bend", _I, False)),
    "call_sites": _schema(
        ("call_id", _S, False), ("file_id", _S, False), ("callee_text", _S, False),
        ("callee_name", _S, True), ("scope_def_id", _S, False), ("n_args", _I, False),
        ("bstart", _I, False), ("bend", _I, False)),
    "scopes": _schema(
        ("scope_id", _S, False), ("file_id", _S, False), ("scope_def_id", _S, False),
        ("parent_scope_id", _S, True), ("scope_type", _S, False), ("name", _S, False),
        ("line_no", _I, True)),
    "symbols": _schema(
        ("symbol_id", _S, False), ("file_id", _S, False), ("scope_id", _S, False),
        ("scope_def_id", _S, False), ("name", _S, False),
        ("is_local", _B, False), ("is_global", _B, False), ("is_parameter", _B, False),
        ("is_imported", _B, False), ("is_free", _B, False), ("is_referenced", _B, False),
        ("is_assigned", _B, False), ("is_declared_global", _B, False),
        ("is_nonlocal", _B, False)),
    "diagnostics": _schema(
        ("file_id", _S, False), ("path", _S, False), ("kind", _S, False), ("stage", _S, False),
        ("message", _S, False), ("line_no", _I, True)),
}

# How rows are ordered inside one file's share of each table.
_SORT_KEYS: dict[str, tuple[str, ...]] = {
    "definitions": ("bstart", "def_id"),
    "name_refs": ("bstart", "ref_id"),
    "imports": ("bstart", "import_id"),
    "call_sites": ("bstart", "call_id"),
    "scopes": ("line_no", "scope_id"),
    "symbols": ("scope_id", "name"),
}

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_ANONYMOUS_SCOPES = frozenset({"lambda", "listcomp", "setcomp", "dictcomp", "genexpr"})


def extract_repository(root: str | os.PathLike[str],
                       workers: int | None = None) -> dict[str, pa.Table]:
    """Reads every ``.py`` file under ``root`` (sorted by path; directories named in
    ``SKIPPED_DIRS`` or starting with ``.`` are skipped) into evidence tables, keyed by the names
    of ``EVIDENCE_SCHEMAS``:

    - ``repo_files``: one row per file: ``file_id``, ``path`` (POSIX, relative to ``root``),
      ``sha256`` of the bytes, ``size`` in bytes, ``line_count``.
    - ``line_index``: ``line_no`` (1-based), ``line_start_byte``, ``line_end_byte`` (exclusive,
      including the line break).
    - ``definitions``: ``MODULE``, ``CLASS``, ``FUNCTION`` and ``PARAMETER`` rows with
      ``qualified_name`` (the module name, then ``__qualname__``; a parameter is its function's
      qualified name, a dot, and its name), ``parent_def_id``, the span (a class's or
      function's covers its decorators), ``is_async`` and, for classes, ``bases`` (source text).
    - ``name_refs``: every ``ast.Name`` with its ``ctx`` (``Load``, ``Store``, ``Del``); the
      name is as Python reads it (NFKC-normalized), the span is what the file spells.
    - ``imports``: one row per imported name; ``module`` is absolute (relative imports are
      resolved against the file's package; null when they reach above the top package),
      ``name`` is null for ``import m``, ``level`` is the number of leading dots.
    - ``call_sites``: ``callee_text`` (source text of the called expression), ``callee_name``
      (its last dotted part; null unless it is a name or an attribute), ``n_args`` (positional
      plus keyword arguments, starred ones included).
    - ``scopes``: one row per symbol table (``scope_type`` ``module``, ``class``, ``function``,
      ``lambda``, ``listcomp``, ...; ``scope_def_id`` is the definition it belongs to, for
      lambdas and comprehensions the enclosing one); ``symbols``: one row per name in a table,
      with ``symtable``'s flags.
    - ``diagnostics``: files that could not be read, decoded, parsed or given a symbol table.

    ``scope_def_id`` is the innermost module, class or function whose scope evaluates the
    code: decorators, base classes, default values and annotations belong to the scope around
    the definition; lambdas and comprehensions belong to the definition around them.
    A file that cannot be decoded or parsed keeps its ``repo_files`` and ``line_index`` rows and
    gets a ``diagnostics`` row; extraction goes on with the next file.

    ``workers`` processes share the files (default: one per CPU, and one for trees of fewer
    than ``PARALLEL_MIN_FILES`` files): each extracts a contiguous run of the sorted paths and
    the runs are concatenated in order, so the tables are the same whatever the number."""
    root_dir = os.fspath(root)
    if not os.path.isdir(root_dir):
        raise NotADirectoryError(f"not a directory: {root_dir!r}")
    package = _package_of(root_dir)
    paths = _python_files(root_dir)
    if workers is None:
        workers = (os.cpu_count() or 1) if len(paths) >= PARALLEL_MIN_FILES else 1
    workers = max(1, min(workers, len(paths)))
    if workers == 1:
        return _extract_files(root_dir, paths, package)
    # Runs of about equal bytes, several per worker so that one slow run does not idle the rest.
    runs = _runs(root_dir, paths, workers * 4)
    context = multiprocessing.get_context("spawn")  # no fork of a process running Arrow threads
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = list(pool.map(_extract_files, [root_dir] * len(runs), runs,
                              [package] * len(runs)))
    return {name: pa.concat_tables([p[name] for p in parts])
            for name in EVIDENCE_SCHEMAS}


PARALLEL_MIN_FILES = 200


def _extract_files(root_dir: str, paths: list[str], package: str) -> dict[str, pa.Table]:
    tables = {name: _Columns(schema) for name, schema in EVIDENCE_SCHEMAS.items()}
    for path in paths:
        starts = {name: len(columns) for name, columns in tables.items()}
        _extract_file(root_dir, path, tables, package)
        for name, key in _SORT_KEYS.items():
            tables[name].sort_rows_from(starts[name], key)
    return {name: columns.to_table() for name, columns in tables.items()}


def _runs(root_dir: str, paths: list[str], count: int) -> list[list[str]]:
    """`paths` cut, in order, into at most `count` runs of about equal size in bytes."""
    sizes = []
    for path in paths:
        try:
            sizes.append(os.path.getsize(os.path.join(root_dir, path)) + 1)
        except OSError:
            sizes.append(1)
    share = sum(sizes) / count
    runs: list[list[str]] = [[]]
    filled = 0.0
    for path, size in zip(paths, sizes, strict=True):
        if runs[-1] and filled >= share * len(runs) and len(runs) < count:
            runs.append([])
        runs[-1].append(path)
        filled += size
    return runs


def write_evidence(tables: dict[str, pa.Table], out_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Writes each table as the Delta table ``out_dir/<name>``, replacing what was there (schema
    included). Returns the rows written per table."""
    base = os.fspath(out_dir)
    os.makedirs(base, exist_ok=True)
    written = {}
    for name in sorted(tables):
        if not name or name in (".", "..") or "/" in name or os.sep in name:
            raise ValueError(f"evidence table name {name!r} is not a directory name")
        metrics = write_delta(os.path.join(base, name), tables[name], mode="overwrite",
                              schema_mode="overwrite")
        written[name] = metrics["num_output_rows"]
    return written


def module_name(path: str) -> str:
    """The dotted module name of a POSIX path relative to the root: ``pkg/mod.py`` is
    ``pkg.mod``, ``pkg/__init__.py`` is ``pkg``."""
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def file_id(path: str) -> str:
    """``file:`` and the BLAKE2b-128 hex digest of the relative path."""
    return "file:" + hashlib.blake2b(path.encode(), digest_size=16).hexdigest()


def stable_id(prefix: str, path: str, bstart: int, bend: int, extra: str = "") -> str:
    """``<prefix>:`` and the BLAKE2b-128 hex digest of ``path:bstart:bend:extra``; ``extra``
    tells apart entities with the same span (a module and a function spanning the whole file)."""
    digest = hashlib.blake2b(f"{path}:{bstart}:{bend}:{extra}".encode(), digest_size=16)
    return f"{prefix}:{digest.hexdigest()}"


class _Columns:
    """One table's rows, held as a Python list per column until ``to_table``."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns: list[list[Any]] = [[] for _ in schema]

    def __len__(self) -> int:
        return len(self.columns[0])

    def add(self, *values: Any) -> None:
        for column, value in zip(self.columns, values, strict=True):
            column.append(value)

    def sort_rows_from(self, start: int, key: tuple[str, ...]) -> None:
        keys = [self.columns[self.schema.get_field_index(name)] for name in key]
        order = sorted(range(start, len(self)),
                       key=lambda i: tuple(_sortable(k[i]) for k in keys))
        for column in self.columns:
            column[start:] = [column[i] for i in order]

    def to_table(self) -> pa.Table:
        arrays = [pa.array(values, type=f.type) for values, f in zip(self.columns, self.schema)]
        return pa.Table.from_arrays(arrays, schema=self.schema)


def _sortable(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def _python_files(root: str) -> list[str]:
    paths = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".")]
        rel_dir = os.path.relpath(directory, root)
        for filename in filenames:
            full = os.path.join(directory, filename)
            if not filename.endswith(".py") or not os.path.isfile(full):
                continue
            rel = filename if rel_dir == "." else os.path.join(rel_dir, filename)
            rel = rel.replace(os.sep, "/")
            if _is_utf8(rel):  # names the OS gives as undecodable bytes cannot be stored
                paths.append(rel)
    return sorted(paths)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _line_spans(data: bytes) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for match in _LINE_BREAK.finditer(data):
        spans.append((pos, match.end()))
        pos = match.end()
    if pos < len(data):
        spans.append((pos, len(data)))
    return spans


def _line_of(spans: list[tuple[int, int]], offset: int) -> int:
    for number, (_, end) in enumerate(spans, start=1):
        if offset < end:
            return number
    return max(len(spans), 1)


def _package_of(root: str) -> str:
    """The package directories ``root`` is inside of, as a POSIX path: "json" for the json
    package's own directory (it has an ``__init__.py``), "" for a tree that is not a package."""
    parts: list[str] = []
    directory = os.path.abspath(root)
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parts.append(os.path.basename(directory))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return "/".join(reversed(parts))


def _extract_file(root: str, path: str, tables: dict[str, _Columns], package: str = "") -> None:
    fid = file_id(path)
    diagnostics = tables["diagnostics"]
    try:
        with open(os.path.join(root, *path.split("/")), "rb") as handle:
            data = handle.read()
    except OSError as err:
        diagnostics.add(fid, path, "read_error", "read", str(err), None)
        return
    lines = _line_spans(data)
    tables["repo_files"].add(fid, path, hashlib.sha256(data).hexdigest(), len(data), len(lines))
    line_index = tables["line_index"]
    for number, (start, end) in enumerate(lines, start=1):
        line_index.add(fid, number, start, end)

    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        message = f"not UTF-8: {err.reason} at byte {err.start + bom}"
        diagnostics.add(fid, path, "syntax_error", "decode", message,
                        _line_of(lines, err.start + bom))
        return
    with warnings.catch_warnings():  # invalid escapes and the like are not ours to report
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(text, filename=path)
        except (SyntaxError, ValueError, RecursionError) as err:
            diagnostics.add(fid, path, "syntax_error", "parse", _message(err),
                            getattr(err, "lineno", None))
            return
        extractor = _FileExtractor(path, fid, data, bom, lines, tables,
                                   f"{package}/{path}" if package else path)
        extractor.walk(tree)
        try:
            table = symtable.symtable(text, path, "exec")
        except (SyntaxError, ValueError, RecursionError) as err:
            diagnostics.add(fid, path, "syntax_error", "symtable", _message(err),
                            getattr(err, "lineno", None))
            return
    extractor.add_symbols(table)


def _message(err: BaseException) -> str:
    if isinstance(err, SyntaxError) and err.msg:
        return err.msg
    return str(err) or type(err).__name__


@dataclass
class _Scope:
    def_id: str
    kind: str
    qualified_name: str
    declared_global: set[str] = field(default_factory=set)


class _FileExtractor:
    """Adds one parsed file's rows to the tables."""

    def __init__(self, path: str, fid: str, data: bytes, bom: int,
                 lines: list[tuple[int, int]], tables: dict[str, _Columns],
                 module_path: str) -> None:
        self.path, self.file_id, self.data, self.bom = path, fid, data, bom
        self.line_starts = [start for start, _ in lines]
        self.tables = tables
        # The path modules are named from: `path` under the packages the root is inside of.
        self.module_path = module_path
        self.module = module_name(module_path)
        self.module_def_id = ""
        # (parent def id, symtable type, name, line) -> def id, to pair symbol tables with defs
        self.def_keys: dict[tuple[str, str, str, int], str] = {}
        self.def_spans: dict[str, tuple[int, int]] = {}

    def offset(self, lineno: int, col: int) -> int:
        """ast positions (1-based line, UTF-8 byte column) as a byte offset into the file."""
        if lineno - 1 < len(self.line_starts):
            start = self.line_starts[lineno - 1]
        else:
            start = len(self.data)
        return min(start + col + (self.bom if lineno == 1 else 0), len(self.data))

    def span(self, node: Any) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),
                self.offset(node.end_lineno, node.end_col_offset))

    def text(self, node: ast.AST) -> str:
        bstart, bend = self.span(node)
        return self.data[bstart:bend].decode("utf-8")

    def walk(self, tree: ast.Module) -> _Scope:
        """Visits the tree without recursion (deeply nested expressions are legal Python),
        children in source order so ``global`` statements are seen before the definitions they
        affect."""
        module = self._add_module()
        stack = [(child, module) for child in reversed(tree.body)]
        while stack:
            node, scope = stack.pop()
            pending: list[tuple[ast.AST, _Scope]] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = self._add_definition(node, scope)
                for name, value in ast.iter_fields(node):
                    if name == "body":
                        pending.extend((child, inner) for child in value)
                    elif name == "args":
                        pending.extend((child, scope) for child in self._add_parameters(
                            value, inner))
                    else:
                        pending.extend((child, scope) for child in _child_nodes(value))
            else:
                self._record(node, scope)
                pending.extend((child, scope) for child in ast.iter_child_nodes(node))
            stack.extend(reversed(pending))
        return module

    def _add_module(self) -> _Scope:
        bend = len(self.data)
        def_id = stable_id("def", self.path, 0, bend, f"{MODULE}:{self.module}")
        self.tables["definitions"].add(def_id, self.file_id, MODULE,
                                       self.module.rsplit(".", 1)[-1], self.module, None, 0,
                                       bend, False, None)
        self.module_def_id = def_id
        self.def_spans[def_id] = (0, bend)
        return _Scope(def_id, MODULE, self.module)

    def _add_definition(self, node: Any, parent: _Scope) -> _Scope:
        is_class = isinstance(node, ast.ClassDef)
        kind = CLASS if is_class else FUNCTION
        bstart = min([self.offset(node.lineno, node.col_offset)]
                     + [self._decorator_start(d) for d in node.decorator_list])
        bend = self.offset(node.end_lineno, node.end_col_offset)
        qualified_name = _qualify(parent, node.name, self.module)
        def_id = stable_id("def", self.path, bstart, bend, f"{kind}:{qualified_name}")
        bases = [self.text(base) for base in node.bases] if is_class else None
        self.tables["definitions"].add(def_id, self.file_id, kind, node.name, qualified_name,
                                       parent.def_id, bstart, bend,
                                       isinstance(node, ast.AsyncFunctionDef), bases)
        key = (parent.def_id, "class" if is_class else "function", node.name, node.lineno)
        self.def_keys[key] = def_id
        self.def_spans[def_id] = (bstart, bend)
        return _Scope(def_id, kind, qualified_name)

    def _decorator_start(self, decorator: ast.expr) -> int:
        """The ``@`` before a decorator expression (``ast`` gives only the expression)."""
        start = self.offset(decorator.lineno, decorator.col_offset)
        i = start - 1
        while i >= 0 and self.data[i] in b" \t\f\r\n\\(":
            i -= 1
        return i if i >= 0 and self.data[i] == ord("@") else start

    def _add_parameters(self, arguments: ast.arguments, function: _Scope) -> list[ast.AST]:
        """Adds the PARAMETER rows; returns the annotations and defaults, which the scope around
        the function evaluates."""
        outer: list[ast.AST] = []
        params = [*arguments.posonlyargs, *arguments.args, arguments.vararg,
                  *arguments.kwonlyargs, arguments.kwarg]
        definitions = self.tables["definitions"]
        for arg in params:
            if arg is None:
                continue
            bstart, bend = self.span(arg)
            qualified_name = f"{function.qualified_name}.{arg.arg}"
            def_id = stable_id("def", self.path, bstart, bend, f"{PARAMETER}:{qualified_name}")
            definitions.add(def_id, self.file_id, PARAMETER, arg.arg, qualified_name,
                            function.def_id, bstart, bend, False, None)
            if arg.annotation is not None:
                outer.append(arg.annotation)
        outer.extend(d for d in (*arguments.defaults, *arguments.kw_defaults) if d is not None)
        return outer

    def _record(self, node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, ast.Name):
            bstart, bend = self.span(node)
            ctx = type(node.ctx).__name__
            ref_id = stable_id("ref", self.path, bstart, bend, f"{ctx}:{node.id}")
            self.tables["name_refs"].add(ref_id, self.file_id, node.id, ctx, scope.def_id,
                                         bstart, bend)
        elif isinstance(node, ast.Call):
            self._add_call(node, scope)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._add_imports(node, scope)
        elif isinstance(node, ast.Global):
            scope.declared_global.update(node.names)

    def _add_call(self, node: ast.Call, scope: _Scope) -> None:
        bstart, bend = self.span(node)
        func = node.func
        callee_text = self.text(func)
        if isinstance(func, ast.Name):
            callee_name = func.id
        elif isinstance(func, ast.Attribute):
            callee_name = func.attr
        else:
            callee_name = None
        call_id = stable_id("call", self.path, bstart, bend, callee_text)
        self.tables["call_sites"].add(call_id, self.file_id, callee_text, callee_name,
                                      scope.def_id, len(node.args) + len(node.keywords),
                                      bstart, bend)

    def _add_imports(self, node: ast.Import | ast.ImportFrom, scope: _Scope) -> None:
        imports = self.tables["imports"]
        level = getattr(node, "level", 0) or 0
        for alias in node.names:
            if isinstance(node, ast.Import):
                module, name = alias.name, None
            else:
                module, name = _resolve_from(self.module_path, node.module, level), alias.name
            # alias nodes carry positions from Python 3.10; before that, the statement's
            bstart, bend = self.span(alias if hasattr(alias, "lineno") else node)
            import_id = stable_id("import", self.path, bstart, bend,
                                  f"{level}:{module}:{name}:{alias.asname}")
            imports.add(import_id, self.file_id, module, name, alias.asname, level,
                        scope.def_id, bstart, bend)

    def add_symbols(self, top: symtable.SymbolTable) -> None:
        """Adds ``scopes`` and ``symbols`` rows. Module, class and function tables are paired
        with their definitions; lambda and comprehension tables take the enclosing one's."""
        scopes, symbols = self.tables["scopes"], self.tables["symbols"]
        ordinals: dict[tuple[str, str, str, int], int] = {}
        stack: list[tuple[symtable.SymbolTable, str | None, str]] = [(top, None, "")]
        while stack:
            table, parent_scope_id, enclosing_def_id = stack.pop()
            table_type = str(getattr(table.get_type(), "value", table.get_type()))
            name, line_no = table.get_name(), table.get_lineno()
            if parent_scope_id is None:
                def_id: str | None = self.module_def_id
            else:
                def_id = self.def_keys.get((enclosing_def_id, table_type, name, line_no))
            if def_id is not None:
                scope_type, scope_def_id = table_type, def_id
                bstart, bend = self.def_spans[def_id]
                scope_id = stable_id("scope", self.path, bstart, bend, f"{scope_type}:{def_id}")
            else:
                bare = name.strip("<>")
                scope_type = bare if table_type == "function" and bare in _ANONYMOUS_SCOPES \
                    else table_type
                scope_def_id = enclosing_def_id
                key = (parent_scope_id or "", scope_type, name, line_no)
                ordinal = ordinals[key] = ordinals.get(key, -1) + 1
                scope_id = "scope:" + hashlib.blake2b(
                    f"{self.path}:{parent_scope_id}:{scope_type}:{name}:{line_no}:{ordinal}"
                    .encode(), digest_size=16).hexdigest()
            if parent_scope_id is None:
                name = self.module  # symtable calls every module "top"
            scopes.add(scope_id, self.file_id, scope_def_id, parent_scope_id, scope_type, name,
                       line_no or None)
            for symbol in table.get_symbols():
                symbol_name = symbol.get_name()
                symbol_id = "symbol:" + hashlib.blake2b(
                    f"{scope_id}:{symbol_name}".encode(), digest_size=16).hexdigest()
                symbols.add(symbol_id, self.file_id, scope_id, scope_def_id, symbol_name,
                            symbol.is_local(), symbol.is_global(), symbol.is_parameter(),
                            symbol.is_imported(), symbol.is_free(), symbol.is_referenced(),
                            symbol.is_assigned(), symbol.is_declared_global(),
                            symbol.is_nonlocal())
            for child in reversed(table.get_children()):
                stack.append((child, scope_id, scope_def_id))


def _child_nodes(value: Any) -> list[ast.AST]:
    if isinstance(value, ast.AST):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, ast.AST)]
    return []


def _qualify(parent: _Scope, name: str, module: str) -> str:
    """``module`` + ``__qualname__``, which CPython builds the same way: a name declared
    ``global`` in the enclosing scope is top-level; under a function it gains ``<locals>``."""
    if parent.kind == MODULE or name in parent.declared_global:
        return f"{module}.{name}"
    if parent.kind == CLASS:
        return f"{parent.qualified_name}.{name}"
    return f"{parent.qualified_name}.<locals>.{name}"


def _resolve_from(path: str, module: str | None, level: int) -> str | None:
    """The absolute module of ``from <dots><module> import ...`` in the file at ``path``; null
    when the dots go above the top package."""
    if level == 0:
        return module
    package = path[: -len(".py")].split("/")[:-1]  # pkg/mod.py and pkg/__init__.py: pkg
    if level > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([module] if module else []))
