"""Optimistic concurrency by the protocol's conflict rules: a write planned against an older
version commits after the commits that landed since unless one of them touched what it read or
removes. The oracle is delta-rs running the same interleavings (same outcome, same rows), and
for many processes at once, a model that replays the acknowledged commits in version order."""

from __future__ import annotations

import json
import multiprocessing
import random

import deltalake
import pyarrow as pa
import pytest

from codeanatomy.delta import DeltaTable, write_delta
from codeanatomy.errors import EngineExecutionError

CONFLICTS = {
    "CONCURRENT_APPEND",
    "CONCURRENT_DELETE_READ",
    "CONCURRENT_DELETE_DELETE",
    "CONCURRENT_TRANSACTION",
    "METADATA_CHANGED",
    "PROTOCOL_CHANGED",
}


def _start(path: str, configuration: dict[str, str] | None = None) -> None:
    deltalake.write_deltalake(
        path, pa.table({"p": [1, 1, 2, 2], "x": [1, 2, 3, 4]}), partition_by=["p"],
        configuration=configuration,
    )


def _rows(table: pa.Table) -> list[tuple]:
    return sorted(zip(table.column("p").to_pylist(), table.column("x").to_pylist()))


class Ours:
    @staticmethod
    def delete(path, version, predicate):
        DeltaTable(path, version=version).delete(predicate)

    @staticmethod
    def update(path, version, updates, predicate):
        DeltaTable(path, version=version).update(updates, predicate)

    @staticmethod
    def append(path, data):
        write_delta(path, data, mode="append")

    @staticmethod
    def replace_where(path, data, predicate):
        write_delta(path, data, mode="overwrite", predicate=predicate)


class Theirs:
    @staticmethod
    def delete(path, version, predicate):
        deltalake.DeltaTable(path, version=version).delete(predicate)

    @staticmethod
    def update(path, version, updates, predicate):
        deltalake.DeltaTable(path, version=version).update(updates=updates, predicate=predicate)

    @staticmethod
    def append(path, data):
        deltalake.write_deltalake(path, data, mode="append")

    @staticmethod
    def replace_where(path, data, predicate):
        deltalake.write_deltalake(path, data, mode="overwrite", predicate=predicate)


def _one(p, x):
    return pa.table({"p": pa.array([p], pa.int64()), "x": pa.array([x], pa.int64())})


# (name, table configuration, the winning commit, the losing write planned at version 0,
#  whether the loser commits)
SCENARIOS = [
    ("disjoint deletes", None, lambda e, t: e.delete(t, 0, "p = 1"),
     lambda e, t: e.delete(t, 0, "p = 2"), True),
    ("deletes in one file", None, lambda e, t: e.delete(t, 0, "x = 1"),
     lambda e, t: e.delete(t, 0, "x = 2"), False),
    ("replace then delete, same partition", None,
     lambda e, t: e.replace_where(t, _one(1, 7), "p = 1"), lambda e, t: e.delete(t, 0, "p = 1"),
     False),
    ("replace then delete, other partition", None,
     lambda e, t: e.replace_where(t, _one(1, 7), "p = 1"), lambda e, t: e.delete(t, 0, "p = 2"),
     True),
    ("update then update, other partition", None,
     lambda e, t: e.update(t, 0, {"x": "x + 10"}, "p = 1"),
     lambda e, t: e.update(t, 0, {"x": "x + 100"}, "p = 2"), True),
    ("update then delete, same file", None,
     lambda e, t: e.update(t, 0, {"x": "x + 10"}, "x = 3"), lambda e, t: e.delete(t, 0, "x = 4"),
     False),
    ("serializable: append elsewhere", {"delta.isolationLevel": "Serializable"},
     lambda e, t: e.append(t, _one(1, 5)), lambda e, t: e.delete(t, 0, "p = 2"), True),
    ("serializable: append into the read", {"delta.isolationLevel": "Serializable"},
     lambda e, t: e.append(t, _one(1, 5)), lambda e, t: e.delete(t, 0, "p = 1"), False),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_interleavings_end_as_in_delta_rs(tmp_path, scenario):
    _, configuration, winner, loser, commits = scenario
    outcomes = {}
    for engine in (Ours, Theirs):
        path = str(tmp_path / engine.__name__)
        _start(path, configuration)
        winner(engine, path)
        try:
            loser(engine, path)
            outcome = "committed"
        except EngineExecutionError as e:
            assert e.code in CONFLICTS, e
            assert e.details["read_version"] == 0 and e.details["winning_version"] == 1
            outcome = "conflict"
        except deltalake.exceptions.CommitFailedError:
            outcome = "conflict"
        outcomes[engine.__name__] = (outcome, _rows(deltalake.DeltaTable(path).to_pyarrow_table()))
    assert outcomes["Ours"][0] == ("committed" if commits else "conflict")
    assert outcomes["Ours"] == outcomes["Theirs"]
    # What we wrote reads the same through us.
    ours = str(tmp_path / "Ours")
    assert _rows(DeltaTable(ours).to_arrow()) == outcomes["Ours"][1]


def test_a_blind_append_commutes_with_a_delete_under_write_serializable(tmp_path):
    path = str(tmp_path / "t")
    _start(path)
    write_delta(path, _one(1, 9), mode="append")  # lands after the delete's read
    result = DeltaTable(path, version=0).delete("x > 1")
    assert (result["read_version"], result["version"]) == (0, 2)
    # The delete removed what it read (x > 1 at version 0); the appended row stays.
    assert _rows(DeltaTable(path).to_arrow()) == [(1, 1), (1, 9)]
    assert _rows(deltalake.DeltaTable(path).to_pyarrow_table()) == [(1, 1), (1, 9)]
    info = deltalake.DeltaTable(path).history(1)[0]
    assert info["readVersion"] == 0 and info["operation"] == "DELETE"


def test_commits_of_delta_rs_are_checked_too(tmp_path):
    path = str(tmp_path / "t")
    _start(path)
    # delta-rs does not mark its appends blind: they are checked against the predicate.
    deltalake.write_deltalake(path, _one(1, 5), mode="append")
    with pytest.raises(EngineExecutionError) as e:
        DeltaTable(path, version=0).delete("x > 3")
    assert e.value.code == "CONCURRENT_APPEND" and e.value.stage == "delta"
    assert e.value.details["winning_operation"] == "WRITE"
    DeltaTable(path, version=0).delete("p = 2")  # the append is outside that read
    assert _rows(DeltaTable(path).to_arrow()) == [(1, 1), (1, 2), (1, 5)]


def test_a_stale_overwrite_conflicts_with_a_delete_and_keeps_the_table(tmp_path):
    path = str(tmp_path / "t")
    _start(path)
    DeltaTable(path).delete("p = 2")  # removes a file, adds none
    with pytest.raises(EngineExecutionError) as e:
        write_delta(path, _one(3, 0), mode="overwrite", read_version=0)
    assert e.value.code == "CONCURRENT_DELETE_DELETE"  # it removes every file it read
    assert DeltaTable(path).version == 1
    assert _rows(DeltaTable(path).to_arrow()) == [(1, 1), (1, 2)]
    # A blind append in between does not stop a whole-table overwrite; it survives it.
    write_delta(path, _one(4, 4), mode="append")
    write_delta(path, _one(3, 0), mode="overwrite", read_version=1)
    assert _rows(DeltaTable(path).to_arrow()) == [(3, 0), (4, 4)]


def test_a_schema_change_conflicts_with_writes_planned_before_it(tmp_path):
    path = str(tmp_path / "t")
    _start(path)
    wider = pa.table({"p": pa.array([1], pa.int64()), "x": pa.array([6], pa.int64()),
                      "y": ["new"]})
    write_delta(path, wider, mode="append", schema_mode="merge")
    with pytest.raises(EngineExecutionError) as e:
        DeltaTable(path, version=0).delete("p = 2")
    assert e.value.code == "METADATA_CHANGED"


# Many processes: appenders add unique rows to partitions; mutators delete or replace a
# partition, reading the latest version. Each acknowledged commit is logged with its version and
# read version; a model replaying them in version order must equal the table at every version.

def _worker(path: str, worker: int, ops: int, log: str) -> None:
    rng = random.Random(worker)
    with open(log, "w") as out:
        for i in range(ops):
            uid = worker * 1000 + i
            try:
                if worker < 2:
                    r = write_delta(path, _one(uid % 3, uid), mode="append")
                    entry = {"op": "append", "rows": [[uid % 3, uid]]}
                elif rng.random() < 0.5:
                    q = rng.randrange(3)
                    r = DeltaTable(path).delete(f"p = {q} AND x % 2 = 0")
                    entry = {"op": "delete", "p": q}
                else:
                    q = rng.randrange(3)
                    r = write_delta(path, _one(q, uid), mode="overwrite", predicate=f"p = {q}")
                    entry = {"op": "replace", "p": q, "rows": [[q, uid]]}
            except EngineExecutionError as e:
                out.write(json.dumps({"error": e.code}) + "\n")
                continue
            entry.update(version=r["version"], read_version=r["read_version"])
            out.write(json.dumps(entry) + "\n")


def test_processes_appending_deleting_and_replacing_at_once(tmp_path):
    path = str(tmp_path / "t")
    write_delta(path, pa.table({"p": pa.array([0, 1, 2], pa.int64()),
                                "x": pa.array([10, 11, 12], pa.int64())}), partition_by=["p"])
    workers, ops = 4, 8
    ctx = multiprocessing.get_context("spawn")
    logs = [str(tmp_path / f"w{w}.jsonl") for w in range(workers)]
    procs = [ctx.Process(target=_worker, args=(path, w, ops, logs[w])) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    commits, errors = {}, []
    for log in logs:
        for line in open(log):
            entry = json.loads(line)
            if "error" in entry:
                errors.append(entry["error"])
            else:
                assert entry["version"] not in commits  # every version acknowledged once
                commits[entry["version"]] = entry
    assert set(errors) <= CONFLICTS
    latest = DeltaTable(path).version
    assert sorted(commits) == list(range(1, latest + 1))
    assert len(commits) + len(errors) == workers * ops
    states = {0: {(0, 10), (1, 11), (2, 12)}}
    for v in range(1, latest + 1):
        c = commits[v]
        state = set(states[v - 1])
        if c["op"] in ("delete", "replace"):
            read = states[c["read_version"]]
            gone = {r for r in read if r[0] == c["p"] and (c["op"] == "replace" or r[1] % 2 == 0)}
            assert gone <= state  # nothing it removed was removed by another commit first
            state -= gone
        state |= {tuple(r) for r in c.get("rows", [])}
        states[v] = state
        assert set(_rows(DeltaTable(path, version=v).to_arrow())) == state, v
    assert set(_rows(deltalake.DeltaTable(path).to_pyarrow_table())) == states[latest]
