"""codeanatomy's Delta reader against the 89 golden tables of the Delta kernel project
(shared/testdata/delta-golden, see its README.md).

- a readable table (one with ``expected/`` rows): ``DeltaTable(path).to_arrow()`` equals them
  (order-insensitive, by value: see delta_golden.py);
- a README "must fail" table: ``DeltaTable(path).to_arrow()`` raises ``EngineExecutionError`` with
  stage ``delta``, in a child process so that a crash is reported as one;
- a table with neither: the snapshot opens at the log's latest version or fails typed;
- the README's "the kernel project itself does not pass these yet" tables are marked
  xfail(strict=False);
- ``test_golden_pass_count`` prints how many golden tables pass (it never fails).

Set CODEANATOMY_DELTA_ISOLATE=1 to read the readable tables in child processes too (slower; use it
when a crash takes the whole run down).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import delta_golden as dg
import pytest

if not dg.golden_available():
    pytest.skip(
        f"Delta golden testdata not found at {dg.GOLDEN_DIR} (expected beside the checkout, "
        "at <repo>/../shared/testdata/delta-golden)",
        allow_module_level=True,
    )

NAMES = dg.archive_names()
KINDS = {name: dg.table_kind(name) for name in NAMES}
ISOLATE = os.environ.get("CODEANATOMY_DELTA_ISOLATE") == "1"

#: outcome per table, filled by the parametrized tests, read by test_golden_pass_count
_RESULTS: dict[str, tuple[str, str]] = {}


@pytest.fixture(scope="session")
def golden(tmp_path_factory) -> dg.GoldenTables:
    return dg.GoldenTables(tmp_path_factory.mktemp("delta-golden"))


@pytest.fixture(scope="module")
def delta():
    return pytest.importorskip("codeanatomy.delta", reason="codeanatomy.delta is not built yet")


# Tables this reader refuses by name today (a typed NOT_SUPPORTED error, listed in the README).
KNOWN_UNSUPPORTED: dict[str, str] = {}


def _params(kind: str) -> list:
    out = []
    for name in NAMES:
        if KINDS[name] != kind:
            continue
        marks = []
        if name in KNOWN_UNSUPPORTED:
            # Strict: the day these pass, the mark must go (and the README's limit with it).
            marks.append(pytest.mark.xfail(strict=True, raises=Exception,
                                           reason=KNOWN_UNSUPPORTED[name]))
        elif dg.kernel_not_passing(name):
            marks.append(
                pytest.mark.xfail(
                    strict=False,
                    reason="README: the Delta kernel project itself does not pass this table yet",
                )
            )
        out.append(pytest.param(name, marks=marks, id=name))
    return out


# ---- readable tables ----------------------------------------------------------------------------


def _check_readable(name: str, golden: dg.GoldenTables, delta, tmp_path: Path) -> None:
    import pyarrow as pa

    want = dg.load_expected(golden.expected_dir(name))
    uri = golden.table_dir(name)
    if ISOLATE:
        out = tmp_path / "got.arrow"
        report = dg.read_in_child(uri, out=out)
        assert report["outcome"] == "ok", f"{name}: read failed: {report}"
        got = dg.read_ipc(out)
    else:
        got = delta.DeltaTable(str(uri)).to_arrow()
    assert isinstance(got, pa.Table), f"to_arrow() returned {type(got).__name__}"
    dg.assert_tables_equal(got, want)


@pytest.mark.parametrize("name", _params("readable"))
def test_golden_table(name, golden, delta, tmp_path):
    try:
        _check_readable(name, golden, delta, tmp_path)
    except BaseException as e:
        _RESULTS[name] = ("fail", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
        raise
    _RESULTS[name] = ("pass", "")


# ---- must-fail tables ---------------------------------------------------------------------------


def _check_must_fail(name: str, golden: dg.GoldenTables) -> None:
    report = dg.read_in_child(golden.table_dir(name))
    assert report["outcome"] == "error", (
        f"{name} ({dg.MUST_FAIL[name]}) was read without error (version {report.get('version')})"
    )
    assert report["type"] == "codeanatomy.errors.EngineExecutionError", (
        f"{name} ({dg.MUST_FAIL[name]}) raised {report['type']}, not EngineExecutionError: "
        f"{report['message']}"
    )
    assert report["stage"] == "delta", f"{name}: stage {report['stage']!r}, not 'delta': {report}"
    assert report["code"] and report["message"], f"{name}: empty code or message: {report}"


@pytest.mark.parametrize("name", _params("must-fail"))
def test_golden_must_fail(name, golden, delta):
    try:
        _check_must_fail(name, golden)
    except BaseException as e:
        _RESULTS[name] = ("fail", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
        raise
    _RESULTS[name] = ("pass", "")


def test_must_fail_tables_exist():
    """The README's must-fail list names archives that exist."""
    assert set(dg.MUST_FAIL) <= set(NAMES), sorted(set(dg.MUST_FAIL) - set(NAMES))


def test_readme_lists_agree():
    """The must-fail and kernel-not-passing lists here are the README's."""
    text = dg.README.read_text()
    for name in (
        "deltalog-invalid-protocol-version",
        "no-delta-log-folder",
        "versions-not-contiguous",
    ):
        assert f"`{name}`" in text
    for pattern in dg.KERNEL_NOT_PASSING:
        assert f"`{pattern}" in text or pattern.split("*")[0] in text, pattern
    for pattern in dg.KERNEL_NOT_PASSING:
        assert any(dg._matches(n, pattern) for n in NAMES), f"{pattern} matches no archive"


# ---- tables without expected rows ---------------------------------------------------------------


def _log_latest_version(table: Path) -> int | None:
    log = table / "_delta_log"
    versions = [
        int(m.group(1))
        for p in (log.iterdir() if log.is_dir() else [])
        if (m := re.match(r"^(\d{20})\.(json|checkpoint\..*parquet|checkpoint\.parquet)$", p.name))
    ]
    return max(versions) if versions else None


@pytest.mark.parametrize("name", _params("no-expected"))
def test_golden_snapshot_without_expected(name, golden, delta):
    """No expected rows: the snapshot either opens at the log's latest version or fails with a
    typed stage-"delta" error (never a crash or another exception type)."""
    uri = golden.table_dir(name)
    report = dg.read_in_child(uri, op="snapshot")
    if report["outcome"] == "ok":
        assert report["version"] == _log_latest_version(uri), report
    else:
        assert report["type"] == "codeanatomy.errors.EngineExecutionError", report
        assert report["stage"] == "delta", report


# ---- the count ----------------------------------------------------------------------------------


def test_golden_pass_count(golden, capsys, record_property):
    """Prints how many golden tables pass (readable ones equal to expected/, must-fail ones failing
    typed). Never fails: the count goes into the benchmark notes."""
    try:
        delta = __import__("codeanatomy.delta", fromlist=["DeltaTable"])
    except ImportError:
        delta = None
    counted = [n for n in NAMES if KINDS[n] in ("readable", "must-fail")]
    for name in counted:
        if name in _RESULTS:
            continue
        if delta is None:
            _RESULTS[name] = ("fail", "codeanatomy.delta is not importable")
            continue
        try:
            if name in dg.MUST_FAIL:
                _check_must_fail(name, golden)
            else:
                scratch = golden.root / ".count-tmp" / name
                scratch.mkdir(parents=True, exist_ok=True)
                _check_readable(name, golden, delta, scratch)
            _RESULTS[name] = ("pass", "")
        except BaseException as e:  # noqa: BLE001 - counted, never raised
            _RESULTS[name] = ("fail", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    passed = sorted(n for n in counted if _RESULTS[n][0] == "pass")
    failed = sorted(n for n in counted if _RESULTS[n][0] != "pass")
    skipped = len(NAMES) - len(counted)
    record_property("delta_golden_passed", len(passed))
    record_property("delta_golden_counted", len(counted))
    with capsys.disabled():
        print(
            f"\nDelta golden tables: {len(passed)} of {len(counted)} pass "
            f"({len(NAMES)} archives; {skipped} without expected rows not counted)"
        )
        for name in failed:
            print(f"  FAIL {name}: {_RESULTS[name][1]}")
