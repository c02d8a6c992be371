"""Random expression trees over mixed-type columns: every one either plans and runs or fails
with a typed error. Nothing may crash the process."""

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codeanatomy as ca
from codeanatomy import col, lit
from codeanatomy import functions as F

TABLE = pa.table(
    {
        "i": pa.array([1, -2, None, 2**31, 0], pa.int64()),
        "s": pa.array(["a", "", None, "ÄbC", "x_y%"], pa.string()),
        "d": pa.array([1.5, float("nan"), None, -0.0, 1e300], pa.float64()),
        "b": pa.array([True, False, None, True, False], pa.bool_()),
        "i8": pa.array([1, 127, -128, None, 0], pa.int8()),
        "ts": pa.array([0, 1, None, 2, 3], pa.timestamp("us")),
        "l": pa.array([[1], [], None, [1, None], [2, 3]], pa.list_(pa.int64())),
    }
)

LEAVES = st.one_of(
    st.sampled_from(["i", "s", "d", "b", "i8", "ts", "l", "missing"]).map(col),
    st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=True),
        st.text(max_size=4),
        st.booleans(),
        st.none(),
    ).map(lit),
)
UNARY = ["is_null", "is_not_null", "not", "negate", "abs", "lower", "upper", "length", "trim",
         "sqrt", "floor", "ceil", "reverse"]
BINARY = ["+", "-", "*", "/", "=", "!=", "<", ">=", "and", "or", "concat", "coalesce", "||"]
TYPES = [pa.int8(), pa.int64(), pa.float64(), pa.string(), pa.bool_(), pa.date32(),
         pa.timestamp("ms"), pa.decimal128(10, 2)]


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: F.call(t[0], t[1])),
        st.tuples(st.sampled_from(BINARY), children, children).map(
            lambda t: F.call(t[0], t[1], t[2])
        ),
        st.tuples(children, st.sampled_from(TYPES)).map(lambda t: t[0].cast(t[1])),
        st.tuples(children, children, children).map(
            lambda t: ca.when(t[0], t[1]).otherwise(t[2])
        ),
        st.tuples(children, st.lists(children, max_size=3)).map(lambda t: t[0].isin(t[1])),
        st.tuples(children, st.text(max_size=3)).map(lambda t: t[0].like(t[1])),
    )


EXPRS = st.recursive(LEAVES, _extend, max_leaves=6)


@pytest.fixture(scope="module")
def fuzz_ctx():
    ctx = ca.SessionContext()
    ctx.register_arrow("t", TABLE)
    return ctx


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRS, as_filter=st.booleans())
def test_random_expressions_run_or_fail_typed(fuzz_ctx, expr, as_filter):
    df = fuzz_ctx.table("t")
    try:
        out = df.filter(expr) if as_filter else df.select(expr.alias("x"))
        table = out.to_arrow()
    except (ca.EngineExecutionError, ValueError, TypeError):
        return
    assert table.num_rows <= TABLE.num_rows
