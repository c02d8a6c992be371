"""The tables every .slt file sees, registered identically in codeanatomy and DuckDB: small,
with NULLs, duplicate keys, ties, negative numbers, empty strings and dates."""

from __future__ import annotations

import datetime
import decimal

import pyarrow as pa


def _d(s: str) -> datetime.date:
    return datetime.date.fromisoformat(s)


def _dec(s: str | None) -> decimal.Decimal | None:
    return None if s is None else decimal.Decimal(s)


def tables() -> dict[str, pa.Table]:
    t1 = pa.table(
        {
            "a": pa.array([1, 2, 3, 4, 5, None, 2, 7], pa.int32()),
            "b": pa.array(["x", "y", "x", None, "z", "y", "w", ""], pa.string()),
            "c": pa.array([1.5, -2.0, None, 4.25, 0.0, 3.5, 2.5, 10.0], pa.float64()),
            "d": pa.array(
                [_d("2024-01-01"), _d("2024-02-15"), None, _d("2023-12-31"), _d("2024-02-29"),
                 _d("2024-03-01"), _d("2024-01-01"), _d("2022-06-30")],
                pa.date32(),
            ),
            "e": pa.array([10, 20, 30, 40, None, 60, 20, -5], pa.int64()),
        }
    )
    t2 = pa.table(
        {
            "a": pa.array([1, 2, 2, 3, None, 9], pa.int32()),
            "x": pa.array(["one", "two", "deux", "three", "null", "nine"], pa.string()),
            "y": pa.array([100, 200, 201, None, 500, 900], pa.int32()),
        }
    )
    emp = pa.table(
        {
            "id": pa.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], pa.int32()),
            "name": ["ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal", "ivy", "jon"],
            "dept_id": pa.array([10, 10, 20, 20, 20, 30, None, 10, 30, 40], pa.int32()),
            "salary": pa.array(
                [_dec(s) for s in ["5000.00", "4200.50", "6100.00", "3900.25", "6100.00",
                                   "7000.00", "2500.00", None, "4800.75", "5300.00"]],
                pa.decimal128(10, 2),
            ),
            "manager_id": pa.array([None, 1, 1, 3, 3, 1, 6, 2, 6, 9], pa.int32()),
            "hired": pa.array(
                [_d(s) for s in ["2015-03-01", "2016-07-15", "2017-01-10", "2018-11-30",
                                 "2019-05-05", "2014-02-20", "2020-08-01", "2021-12-12",
                                 "2022-04-18", "2023-09-09"]],
                pa.date32(),
            ),
        }
    )
    dept = pa.table(
        {
            "id": pa.array([10, 20, 30, 50], pa.int32()),
            "dname": ["eng", "ops", "sales", "empty"],
            "budget": pa.array([100000, 50000, 75000, 0], pa.int64()),
        }
    )
    nums = pa.table({"n": pa.array(list(range(1, 21)), pa.int32())})
    empty = pa.table({"a": pa.array([], pa.int32()), "b": pa.array([], pa.string())})
    return {"t1": t1, "t2": t2, "emp": emp, "dept": dept, "nums": nums, "empty": empty}
