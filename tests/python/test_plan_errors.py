"""Degenerate plans fail at planning with a typed error (found by probing; several crashed)."""

import pyarrow as pa
import pytest

import codeanatomy as ca
from codeanatomy import col, lit


@pytest.fixture
def t():
    ctx = ca.SessionContext()
    ctx.register_arrow("t", pa.table({"k": [1, 2], "l": pa.array([[1], [2, 3]])}))
    return ctx.table("t")


@pytest.mark.parametrize(
    "build, code",
    [
        (lambda t: t.select(), "EMPTY_PROJECTION"),
        (lambda t: t.aggregate([], []), "EMPTY_AGGREGATE"),
        (lambda t: t.sort(), "EMPTY_SORT"),
        (lambda t: t.union(t, distinct=True), "NOT_SUPPORTED"),
        (lambda t: t.distinct(), "NOT_SUPPORTED"),
        (lambda t: t.aggregate(["l"], [ca.functions.count()]), "NOT_SUPPORTED"),
    ],
)
def test_degenerate_plans_are_typed_errors(t, build, code):
    with pytest.raises(ca.EngineExecutionError) as info:
        build(t).to_arrow()
    assert info.value.stage == "planning"
    assert info.value.code == code


def test_case_with_an_untyped_null_condition_takes_the_else_branch(t):
    expr = ca.when(lit(None), lit(None)).otherwise(lit(True)).alias("x")
    assert t.select(expr).to_pylist() == [{"x": True}, {"x": True}]
    assert t.filter(ca.when(lit(None), lit(False)).otherwise(col("k") > 1)).to_pylist() == [
        {"k": 2, "l": [2, 3]}
    ]


def test_tables_with_duplicate_column_names_are_refused_at_registration():
    ctx = ca.SessionContext()
    dup = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["x", "x"])
    with pytest.raises(ca.EngineExecutionError) as info:
        ctx.register_arrow("d", dup)
    assert (info.value.stage, info.value.code) == ("validation", "DUPLICATE_COLUMN")
    assert info.value.details == {"table": "d", "column": "x"}
    assert "d" not in ctx.tables()
