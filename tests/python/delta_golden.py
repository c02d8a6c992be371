"""Delta golden tables (shared/testdata/delta-golden): locating and unpacking the archives, loading
the expected rows, and an order-insensitive, by-value comparison of Arrow tables.

The comparison (``assert_tables_equal``) is shared by the golden and the delta-rs interop tests:

- columns are matched by name (order ignored); nested struct fields by name too;
- rows are compared as a multiset (order ignored);
- values are normalized: string / large_string / string_view are equal, as are the binary kinds;
  integers of any width are equal by value; decimals by value (precision and scale ignored);
  timestamps by instant (a zone-less timestamp is read as UTC; the unit does not matter);
  dates by day; lists of any kind by their elements; maps by their entries, in any order;
  dictionary-encoded columns by their decoded values; NaN equals NaN;
- a column's type *family* must match (an integer column is not a string column) unless
  ``check_types=False``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# ---- where the data is --------------------------------------------------------------------------

#: <repo>/../shared/testdata/delta-golden (the folder sits beside the checkout; read-only in CI).
GOLDEN_DIR = (Path(__file__).parents[2] / ".." / "shared" / "testdata" / "delta-golden").resolve()
README = GOLDEN_DIR / "README.md"
ARCHIVE_SUFFIX = ".tar.zst"

#: The README's "must fail with a clear error (and no crash)" tables.
MUST_FAIL = {
    "deltalog-invalid-protocol-version": "unsupported protocol",
    "deltalog-state-reconstruction-from-checkpoint-missing-metadata": "incomplete state",
    "deltalog-state-reconstruction-from-checkpoint-missing-protocol": "incomplete state",
    "deltalog-state-reconstruction-without-metadata": "incomplete state",
    "deltalog-state-reconstruction-without-protocol": "incomplete state",
    "no-delta-log-folder": "not a Delta table",
    "versions-not-contiguous": "gap in the log",
}

#: The README's "the kernel project itself does not pass these yet" tables, as glob-like patterns
#: (``*`` matches anything). They are tested, but marked xfail(strict=False).
KERNEL_NOT_PASSING = (
    "hive",
    "parquet-all-types*",
    "data-reader-partition-values",
    "delete-re-add-same-file-different-transactions",
    "canonicalized-paths-*",
    "log-replay-special-characters-b",
)


def golden_available() -> bool:
    return GOLDEN_DIR.is_dir() and any(GOLDEN_DIR.glob("*" + ARCHIVE_SUFFIX))


def archive_names() -> list[str]:
    """The golden tables' names (archive file names without ``.tar.zst``), sorted."""
    if not GOLDEN_DIR.is_dir():
        return []
    return sorted(p.name[: -len(ARCHIVE_SUFFIX)] for p in GOLDEN_DIR.glob("*" + ARCHIVE_SUFFIX))


def _matches(name: str, pattern: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), name) is not None


def kernel_not_passing(name: str) -> bool:
    return any(_matches(name, p) for p in KERNEL_NOT_PASSING)


def archive_members(name: str) -> list[str]:
    """The member paths of archive ``name`` (without unpacking it)."""
    proc = subprocess.run(
        [
            "tar",
            "--zstd",
            "--warning=no-unknown-keyword",
            "-tf",
            str(GOLDEN_DIR / (name + ARCHIVE_SUFFIX)),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return proc.stdout.splitlines()


def table_kind(name: str) -> str:
    """``must-fail`` (README list), ``readable`` (has expected/ Parquet) or ``no-expected``."""
    if name in MUST_FAIL:
        return "must-fail"
    prefix = f"{name}/expected/"
    for member in archive_members(name):
        m = member.lstrip("./")
        if m.startswith(prefix) and m.endswith(".parquet") and "/." not in m[len(prefix) - 1 :]:
            return "readable"
    return "no-expected"


def unpack(name: str, dest: Path) -> Path:
    """Unpacks archive ``name`` into ``dest`` (never in place) and returns ``dest / name``."""
    archive = GOLDEN_DIR / (name + ARCHIVE_SUFFIX)
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / name
    if out.exists():
        return out
    staging = dest / (".unpacking-" + name)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    subprocess.run(
        ["tar", "--zstd", "--warning=no-unknown-keyword", "-xf", str(archive), "-C", str(staging)],
        check=True,
        capture_output=True,
    )
    unpacked = staging / name
    if not unpacked.is_dir():
        raise RuntimeError(f"{archive} did not unpack to {name}/ (got {sorted(staging.iterdir())})")
    unpacked.rename(out)
    staging.rmdir()
    return out


class GoldenTables:
    """Lazily unpacks golden tables into one directory, each at most once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return unpack(name, self.root)

    def table_dir(self, name: str) -> Path:
        return self.path(name) / "delta"

    def expected_dir(self, name: str) -> Path:
        return self.path(name) / "expected"


# ---- expected rows ------------------------------------------------------------------------------


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*.parquet") if p.is_file() and not p.name.startswith((".", "_"))
    )


def load_expected(folder: Path) -> pa.Table:
    """All Parquet files under ``folder`` (an ``expected/`` directory), concatenated."""
    files = _data_files(folder)
    if not files:
        raise FileNotFoundError(f"no Parquet files under {folder}")
    # Spark may write INT96 timestamps; microseconds keep far-away dates in range.
    tables = [pq.read_table(f, coerce_int96_timestamp_unit="us") for f in files]
    return pa.concat_tables(tables, promote_options="permissive")


# ---- normalization ------------------------------------------------------------------------------

_NS_PER = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


@dataclasses.dataclass(frozen=True)
class Instant:
    """A point in time, in nanoseconds since the epoch (UTC)."""

    ns: int

    def __repr__(self) -> str:
        secs, ns = divmod(self.ns, 10**9)
        try:
            base = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
            return f"Instant({base.isoformat()}.{ns:09d}Z)"
        except OverflowError:
            return f"Instant({self.ns}ns)"


@dataclasses.dataclass(frozen=True)
class Day:
    """A calendar date, as days since the epoch."""

    days: int

    def __repr__(self) -> str:
        try:
            return f"Day({datetime.date(1970, 1, 1) + datetime.timedelta(days=self.days)})"
        except OverflowError:
            return f"Day({self.days})"


class _NaN:
    def __repr__(self) -> str:
        return "NaN"


NAN = _NaN()


@dataclasses.dataclass(frozen=True)
class Struct:
    """A struct value: (field name, value) pairs sorted by name."""

    fields: tuple

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k}: {v!r}" for k, v in self.fields) + "}"


@dataclasses.dataclass(frozen=True)
class Map:
    """A map value: (key, value) entries in a canonical order."""

    entries: tuple

    def __repr__(self) -> str:
        return "Map{" + ", ".join(f"{k!r}: {v!r}" for k, v in self.entries) + "}"


def sort_key(value: Any) -> tuple:
    """A total order over normalized values (NULLs first, then by kind, then by value)."""
    if value is None:
        return (0,)
    if value is NAN:
        return (1,)
    if isinstance(value, bool):
        return (2, int(value))
    if isinstance(value, (int, float, decimal.Decimal)):
        return (3, value)
    if isinstance(value, str):
        return (4, value)
    if isinstance(value, bytes):
        return (5, value)
    if isinstance(value, Instant):
        return (6, value.ns)
    if isinstance(value, Day):
        return (7, value.days)
    if isinstance(value, tuple):
        return (8, tuple(sort_key(v) for v in value))
    if isinstance(value, Struct):
        return (9, tuple((k, sort_key(v)) for k, v in value.fields))
    if isinstance(value, Map):
        return (10, tuple((sort_key(k), sort_key(v)) for k, v in value.entries))
    return (11, repr(value))


def _combine(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks == 0:
            return pa.array([], type=arr.type)
        return arr.combine_chunks() if arr.num_chunks > 1 else arr.chunk(0)
    return arr


def normalize_array(arr: pa.Array | pa.ChunkedArray) -> list:
    """The values of ``arr`` as hashable, comparable Python values (see the module docstring)."""
    arr = _combine(arr)
    t = arr.type
    if isinstance(t, pa.ExtensionType):
        return normalize_array(arr.storage)
    if pa.types.is_dictionary(t):
        return normalize_array(arr.dictionary_decode())
    if pa.types.is_run_end_encoded(t):
        return normalize_array(pc.run_end_decode(arr))
    n = len(arr)
    if pa.types.is_null(t):
        return [None] * n
    valid = arr.is_valid().to_pylist()

    def masked(values: Iterable[Any]) -> list:
        return [v if ok else None for v, ok in zip(values, valid)]

    if pa.types.is_timestamp(t):
        factor = _NS_PER[t.unit]
        ints = arr.view(pa.int64()).to_pylist()
        return masked(Instant(v * factor) if v is not None else None for v in ints)
    if pa.types.is_date32(t):
        return masked(Day(v) if v is not None else None for v in arr.view(pa.int32()).to_pylist())
    if pa.types.is_date64(t):
        ints = arr.view(pa.int64()).to_pylist()
        return masked(Day(v // 86_400_000) if v is not None else None for v in ints)
    if pa.types.is_time(t) or pa.types.is_duration(t):
        factor = _NS_PER[t.unit]
        width = pa.int32() if t.bit_width == 32 else pa.int64()
        return masked(v * factor if v is not None else None for v in arr.view(width).to_pylist())
    if pa.types.is_floating(t):
        out = []
        for v in arr.to_pylist():
            out.append(NAN if v is not None and math.isnan(v) else v)
        return out
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return arr.to_pylist()
    if (
        pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_binary_view(t)
        or pa.types.is_fixed_size_binary(t)
    ):
        return arr.to_pylist()
    if pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return normalize_array(arr.cast(pa.large_list(t.value_field)))
    if pa.types.is_map(t):
        # offsets index into the (whole) entries array, slicing respected
        key_arr, item_arr = arr.values.flatten()
        keys, items = normalize_array(key_arr), normalize_array(item_arr)
        offsets = arr.offsets.to_pylist()
        out = []
        for i, ok in enumerate(valid):
            if not ok:
                out.append(None)
                continue
            lo, hi = offsets[i], offsets[i + 1]
            pairs = sorted(
                zip(keys[lo:hi], items[lo:hi]), key=lambda kv: (sort_key(kv[0]), sort_key(kv[1]))
            )
            out.append(Map(tuple(pairs)))
        return out
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        child = normalize_array(arr.flatten())
        if pa.types.is_fixed_size_list(t):
            lengths = [t.list_size if ok else 0 for ok in valid]
        else:
            lengths = [length or 0 for length in arr.value_lengths().to_pylist()]
        out, pos = [], 0
        for ok, length in zip(valid, lengths):
            if not ok:
                out.append(None)
                continue
            out.append(tuple(child[pos : pos + length]))
            pos += length
        return out
    if pa.types.is_struct(t):
        names = [t.field(i).name for i in range(t.num_fields)]
        children = [normalize_array(c) for c in arr.flatten()]
        order = sorted(range(len(names)), key=lambda i: names[i])
        out = []
        for row, ok in enumerate(valid):
            out.append(Struct(tuple((names[i], children[i][row]) for i in order)) if ok else None)
        return out
    # booleans, integers, decimals
    return arr.to_pylist()


def type_family(t: pa.DataType) -> Any:
    """A coarse, comparable description of a type: widths, units, zones and encodings ignored."""
    if isinstance(t, pa.ExtensionType):
        return type_family(t.storage_type)
    if pa.types.is_dictionary(t):
        return type_family(t.value_type)
    if pa.types.is_run_end_encoded(t):
        return type_family(t.value_type)
    if pa.types.is_null(t):
        return "null"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_decimal(t):
        return "decimal"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if (
        pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_binary_view(t)
        or pa.types.is_fixed_size_binary(t)
    ):
        return "binary"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_time(t):
        return "time"
    if pa.types.is_duration(t):
        return "duration"
    if pa.types.is_map(t):
        return ("map", type_family(t.key_type), type_family(t.item_type))
    if (
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_list_view(t)
        or pa.types.is_large_list_view(t)
    ):
        return ("list", type_family(t.value_type))
    if pa.types.is_struct(t):
        return (
            "struct",
            tuple(
                sorted((t.field(i).name, type_family(t.field(i).type)) for i in range(t.num_fields))
            ),
        )
    return str(t)


def _families_compatible(a: Any, b: Any) -> bool:
    """Equal families, where an all-NULL ``null`` column matches anything."""
    if a == "null" or b == "null":
        return True
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and a[0] == b[0]:
        if a[0] == "struct":
            return [k for k, _ in a[1]] == [k for k, _ in b[1]] and all(
                _families_compatible(x, y) for (_, x), (_, y) in zip(a[1], b[1])
            )
        return all(_families_compatible(x, y) for x, y in zip(a[1:], b[1:]))
    return a == b


def normalized_rows(table: pa.Table, columns: list[str] | None = None) -> list[tuple]:
    """The table's rows as tuples of normalized values, columns in ``columns`` order
    (default: sorted by name)."""
    names = columns if columns is not None else sorted(table.column_names)
    cols = [normalize_array(table.column(name)) for name in names]
    return list(zip(*cols)) if cols else [() for _ in range(table.num_rows)]


def diff_tables(
    got: pa.Table, want: pa.Table, *, check_types: bool = True, max_rows: int = 8
) -> str | None:
    """None when ``got`` equals ``want`` (see the module docstring), else a readable reason."""
    got_names, want_names = sorted(got.column_names), sorted(want.column_names)
    if got_names != want_names:
        missing = sorted(set(want_names) - set(got_names))
        extra = sorted(set(got_names) - set(want_names))
        return (
            f"columns differ: missing {missing}, unexpected {extra} "
            f"(got {got.column_names}, want {want.column_names})"
        )
    if check_types:
        bad = []
        for name in got_names:
            g, w = got.schema.field(name).type, want.schema.field(name).type
            if not _families_compatible(type_family(g), type_family(w)):
                bad.append(f"{name}: got {g}, want {w}")
        if bad:
            return "column types differ: " + "; ".join(bad)
    if got.num_rows != want.num_rows:
        head = f"{got.num_rows} rows, want {want.num_rows}"
    else:
        head = None
    g_rows = collections.Counter(normalized_rows(got, got_names))
    w_rows = collections.Counter(normalized_rows(want, got_names))
    if g_rows == w_rows:
        return None
    only_got = sorted((g_rows - w_rows).elements(), key=sort_key)
    only_want = sorted((w_rows - g_rows).elements(), key=sort_key)
    lines = [head or f"{got.num_rows} rows each, but the rows differ", f"columns: {got_names}"]
    lines.append(f"{len(only_want)} expected row(s) missing, e.g.:")
    lines += [f"  - {r!r}" for r in only_want[:max_rows]]
    lines.append(f"{len(only_got)} unexpected row(s), e.g.:")
    lines += [f"  + {r!r}" for r in only_got[:max_rows]]
    return "\n".join(lines)


def assert_tables_equal(got: pa.Table, want: pa.Table, *, check_types: bool = True) -> None:
    reason = diff_tables(got, want, check_types=check_types)
    assert reason is None, reason


# ---- reading in a child process -----------------------------------------------------------------

_CHILD = """
import datetime, json, sys
args = json.loads(sys.argv[1])
try:
    import codeanatomy
    from codeanatomy.delta import DeltaTable
    ts = args.get("timestamp")
    if isinstance(ts, dict):
        ts = datetime.datetime.fromisoformat(ts["datetime"])
    if args["op"] == "sql":
        ctx = codeanatomy.SessionContext()
        ctx.register_delta("t", args["uri"], version=args.get("version"), timestamp=ts)
        table = ctx.sql(args["sql"]).to_arrow()
        version = None
    else:
        t = DeltaTable(args["uri"], version=args.get("version"), timestamp=ts)
        version = t.version
        table = None
        if args["op"] == "to_arrow":
            table = t.to_arrow()
        elif args["op"] == "add_actions":
            table = t.add_actions()
    if table is not None and args.get("out"):
        import pyarrow as pa
        with pa.OSFile(args["out"], "wb") as sink:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
    print(json.dumps({"outcome": "ok", "version": version}))
except BaseException as e:
    print(json.dumps({
        "outcome": "error",
        "type": type(e).__module__ + "." + type(e).__qualname__,
        "stage": getattr(e, "stage", None),
        "code": getattr(e, "code", None),
        "message": getattr(e, "message", str(e)),
        "details": getattr(e, "details", None),
    }, default=str))
if args.get("hard_exit"):
    # under strace, pyarrow's thread pools can abort at interpreter teardown
    # ("terminate called without an active exception"): that is not the reader's doing
    import os
    sys.stdout.flush()
    os._exit(0)
"""

ENGINE_ERROR = "codeanatomy.errors.EngineExecutionError"


def read_in_child(
    uri: Path | str,
    *,
    op: str = "to_arrow",
    version: int | None = None,
    timestamp: Any = None,
    sql: str | None = None,
    out: Path | None = None,
    strace_log: Path | None = None,
    timeout: float = 180,
) -> dict:
    """Runs ``DeltaTable(uri, version, timestamp)`` and ``op`` (``snapshot``, ``to_arrow``,
    ``add_actions``, or ``sql`` through ``register_delta``) in a child process, so that a crash is
    reported rather than taking the test run down. Returns the child's JSON report
    (``outcome`` ``ok`` or ``error`` with ``type``, ``stage``, ``code``, ``message``); fails the
    test on a crash or a hang. With ``strace_log``, the child runs under ``strace -f`` tracing
    file opens into that file."""
    import json
    import os
    import sys

    import pytest

    if isinstance(timestamp, datetime.datetime):
        timestamp = {"datetime": timestamp.isoformat()}
    args = {
        "uri": str(uri),
        "op": op,
        "version": version,
        "timestamp": timestamp,
        "sql": sql,
        "out": str(out) if out else None,
        "hard_exit": strace_log is not None,
    }
    cmd = [sys.executable, "-c", _CHILD, json.dumps(args)]
    if strace_log is not None:
        cmd = [
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=open,openat,openat2",
            "-o",
            str(strace_log),
        ] + cmd
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {uri} ({op}) hung for over {timeout} s")
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(
            f"reading {uri} ({op}) crashed the interpreter (exit {proc.returncode}): "
            f"{proc.stderr[-2000:]}"
        )
    return json.loads(lines[-1])


def read_ipc(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()
