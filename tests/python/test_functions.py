"""The codeanatomy function bundle (shared/CONTRACTS.md §5) through SQL, checked against an
independent Python reference (hashlib.blake2b, unicodedata, hand-written span and position
logic) on hypothesis-generated inputs with NULLs, plus the conformance values and typed errors.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata

import pyarrow as pa
import pytest

ca = pytest.importorskip("codeanatomy")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import given, settings
from hypothesis import strategies as st

from codeanatomy import EngineExecutionError, _native, col, lit
from codeanatomy import functions as F

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)

# ---------------------------------------------------------------- the reference

SEP = "\x1f"
NULL_PART = "__NULL__"
# The Unicode White_Space property (not str.isspace, which also takes \x1c-\x1f).
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
WS_RUN = re.compile("[" + re.escape(WHITE_SPACE) + "]+")


def hash64(s: str) -> int:
    digest = hashlib.blake2b(s.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFFFFFFFFFF


def hash128(s: str) -> str:
    return hashlib.blake2b(s.encode(), digest_size=16).hexdigest()


def text_of(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def joined(parts) -> str:
    return SEP.join(NULL_PART if p is None else text_of(p) for p in parts)


def simple_lower(s: str) -> str:
    # str.lower() per code point is the simple mapping except for U+0130 (full: "i̇").
    return "".join("i" if c == "\u0130" else c.lower() for c in s)


def simple_upper(s: str) -> str:
    # Per code point; utf8proc upper-cases ß to ẞ (U+1E9E) where str.upper() gives "SS".
    return "".join("\u1e9e" if c == "ß" else c.upper() if len(c.upper()) == 1 else c for c in s)


def norm_text(v: str, form: str, casefold: bool, collapse_ws: bool) -> str:
    t = v.strip(WHITE_SPACE)
    if not t:
        return ""
    t = unicodedata.normalize(form, t)
    if casefold:
        t = simple_lower(t)
    if collapse_ws:
        t = WS_RUN.sub(" ", t.strip(WHITE_SPACE))
    return t


def ref_col_to_byte(line, col_, unit):
    if line is None or col_ is None or unit is None or col_ < 0:
        return None
    data = line.encode()
    unit = unit.upper()
    if unit == "BYTE":
        return min(col_, len(data))
    if unit == "UTF8":  # a cut inside a character drops that character
        return len(data[:col_].decode("utf-8", errors="ignore").encode())
    if unit == "UTF16":
        units = line.encode("utf-16-le")[: 2 * col_]
        return len(units.decode("utf-16-le", errors="ignore").encode())
    return len(line[:col_].encode())


def exclusive_end(bend, end_exclusive):
    return bend + 1 if end_exclusive is False else bend


def cdf_rank(v):
    if v is None:
        return None
    return {"update_postimage": 3, "insert": 2, "delete": 1, "update_preimage": 0}.get(
        v.strip(" \t\n\r\x0b\x0c").lower(), -1
    )


# ---------------------------------------------------------------- strategies

SPECIAL = list(WHITE_SPACE) + ["ﬁ", "Ｆ", "İ", "Σ", "é", "\u0301", "¨", "😀", ".", "\x1f", "ß"]
chars = st.one_of(
    st.characters(exclude_categories=("Cs", "Cn")), st.sampled_from(SPECIAL), st.just("a")
)
texts = st.text(alphabet=chars, max_size=12)
maybe_text = st.one_of(st.none(), texts)
ints = st.integers(min_value=-1000, max_value=1000)
maybe_int = st.one_of(st.none(), ints)
maybe_bool = st.one_of(st.none(), st.booleans())


def rows(*columns, min_size=1, max_size=12):
    return st.lists(st.tuples(*columns), min_size=min_size, max_size=max_size)


_names = itertools.count()


@pytest.fixture
def ctx():
    session = ca.SessionContext()
    session.install_codeanatomy_udfs()
    return session


@pytest.fixture(scope="module")
def shared_ctx():
    """One session for the hypothesis tests: each example registers a table of its own."""
    session = ca.SessionContext()
    session.install_codeanatomy_udfs()
    return session


def run(ctx, types: dict[str, pa.DataType], data, select: str):
    """Registers `data` (rows of the given column types) and returns `select`'s single result
    column per row, in row order."""
    name = f"t{next(_names)}"
    columns = {"rid": pa.array(range(len(data)), pa.int64())}
    for k, (column, type_) in enumerate(types.items()):
        columns[column] = pa.array([r[k] for r in data], type_)
    ctx.register_arrow(name, pa.table(columns))
    try:
        result = ctx.sql(f"SELECT {select} AS r FROM {name} ORDER BY rid").to_pydict()["r"]
    finally:
        ctx.deregister(name)
    return result


# ---------------------------------------------------------------- conformance

def test_conformance_values(ctx):
    got = ctx.sql(
        "SELECT stable_id('ns', 'delta') AS a, 'ns:' || stable_hash128('delta') AS b, "
        "col_to_byte('abcdef', 3, 'BYTE') AS c, "
        "canonicalize_byte_span(10, 'abcdef', 3, 20, 'ghijkl', 2, 'BYTE') AS d"
    ).to_pylist()[0]
    assert got["a"] == got["b"] == "ns:" + hash128("delta")
    assert got["c"] == 3
    assert got["d"] == {"bstart": 13, "bend": 22}


# ---------------------------------------------------------------- hashing

@SETTINGS
@given(data=rows(maybe_text, maybe_text))
def test_hashes_match_blake2b(shared_ctx, data):
    ctx = shared_ctx
    types = {"p": pa.string(), "s": pa.string()}

    def ref(f):
        return [None if p is None or s is None else f(p, s) for p, s in data]

    assert run(ctx, types, data, "stable_hash64(s)") == [None if s is None else hash64(s) for _, s in data]
    assert run(ctx, types, data, "hash64(s)") == [None if s is None else hash64(s) for _, s in data]
    assert run(ctx, types, data, "stable_hash128(s)") == [None if s is None else hash128(s) for _, s in data]
    assert run(ctx, types, data, "hash128(s)") == [None if s is None else hash128(s) for _, s in data]
    assert run(ctx, types, data, "prefixed_hash64(p, s)") == ref(lambda p, s: f"{p}:{hash64(s)}")
    assert run(ctx, types, data, "prefixed_hash(p, s)") == ref(lambda p, s: f"{p}:{hash64(s)}")
    assert run(ctx, types, data, "stable_id(p, s)") == ref(lambda p, s: f"{p}:{hash128(s)}")


@SETTINGS
@given(data=rows(maybe_text, maybe_text, maybe_int, st.one_of(st.none(), st.booleans())))
def test_multi_part_ids_join_parts_with_unit_separator(shared_ctx, data):
    ctx = shared_ctx
    types = {"p": pa.string(), "s": pa.string(), "n": pa.int64(), "b": pa.bool_()}
    expect_id = [None if p is None else f"{p}:{hash128(joined([s, n, b]))}" for p, s, n, b in data]
    expect_64 = [None if p is None else f"{p}:{hash64(joined([s, n]))}" for p, s, n, b in data]
    assert run(ctx, types, data, "stable_id_parts(p, s, n, b)") == expect_id
    assert run(ctx, types, data, "stable_id_multi(p, s, n, b)") == expect_id
    assert run(ctx, types, data, "prefixed_hash_parts64(p, s, n)") == expect_64
    assert run(ctx, types, data, "prefixed_hash_parts(p, s, n)") == expect_64


@SETTINGS
@given(data=rows(maybe_text, maybe_int))
def test_stable_hash_any_hashes_canonical_text(shared_ctx, data):
    ctx = shared_ctx
    types = {"s": pa.string(), "n": pa.int64()}

    def canon(v, sentinel="__NULL__"):
        t = sentinel if v is None else text_of(v)
        t = t.strip(WHITE_SPACE)
        return unicodedata.normalize("NFKC", t)

    assert run(ctx, types, data, "stable_hash_any(s)") == [hash128(canon(s)) for s, _ in data]
    assert run(ctx, types, data, "stable_hash(n)") == [hash128(canon(n)) for _, n in data]
    raw = [hash128(NULL_PART if s is None else s) for s, _ in data]
    assert run(ctx, types, data, "stable_hash_any(s, false)") == raw
    assert run(ctx, types, data, "stable_hash_any(s, true, ' -- ')") == [
        hash128(canon(s, " -- ")) for s, _ in data
    ]


# ---------------------------------------------------------------- positions

units = st.sampled_from(["BYTE", "UTF8", "UTF16", "UTF32", "utf16", "Utf8"])


@SETTINGS
@given(data=rows(maybe_text, st.one_of(st.none(), st.integers(-3, 40)), st.one_of(st.none(), units)))
def test_col_to_byte_matches_reference(shared_ctx, data):
    ctx = shared_ctx
    types = {"line": pa.string(), "c": pa.int64(), "u": pa.string()}
    got = run(ctx, types, data, "col_to_byte(line, c, u)")
    assert got == [ref_col_to_byte(line, c, u) for line, c, u in data]


@SETTINGS
@given(
    data=rows(
        st.one_of(st.none(), st.integers(-2, 10**6)),
        maybe_text,
        st.integers(-1, 30),
        st.integers(0, 10**6),
        texts,
        st.integers(0, 30),
    ),
    unit=units,
)
def test_canonicalize_byte_span_adds_line_starts(shared_ctx, data, unit):
    ctx = shared_ctx
    types = {"sb": pa.int64(), "sl": pa.string(), "sc": pa.int64(), "eb": pa.int64(),
             "el": pa.string(), "ec": pa.int64()}

    def ref(sb, sl, sc, eb, el, ec):
        s, e = ref_col_to_byte(sl, sc, unit), ref_col_to_byte(el, ec, unit)
        if sb is None or sb < 0 or eb < 0 or s is None or e is None:
            return None
        return {"bstart": sb + s, "bend": eb + e}

    got = run(ctx, types, data, f"canonicalize_byte_span(sb, sl, sc, eb, el, ec, '{unit}')")
    assert got == [ref(*r) for r in data]


# ---------------------------------------------------------------- spans

@SETTINGS
@given(data=rows(maybe_int, maybe_int, maybe_bool, maybe_int, maybe_int, maybe_bool))
def test_span_predicates_treat_inclusive_end_as_end_plus_one(shared_ctx, data):
    ctx = shared_ctx
    types = {"as_": pa.int64(), "ae": pa.int64(), "ax": pa.bool_(),
             "bs": pa.int64(), "be": pa.int64(), "bx": pa.bool_()}
    a = "span_make(as_, ae, 0, 'byte', ax)"
    b = "span(bs, be, NULL, NULL, bx)"

    def both(f):
        out = []
        for as_, ae, ax, bs, be, bx in data:
            if None in (as_, ae, bs, be):
                out.append(None)
            else:
                out.append(f(as_, exclusive_end(ae, ax), bs, exclusive_end(be, bx)))
        return out

    lens = [None if None in (s, e) else exclusive_end(e, x) - s for s, e, x, *_ in data]
    assert run(ctx, types, data, f"span_len({a})") == lens
    assert run(ctx, types, data, f"span_overlaps({a}, {b})") == both(
        lambda s1, e1, s2, e2: s1 < e2 and s2 < e1)
    assert run(ctx, types, data, f"span_contains({a}, {b})") == both(
        lambda s1, e1, s2, e2: s1 <= s2 and e2 <= e1)
    made = run(ctx, types, data, a)
    assert made == [{"bstart": s, "bend": e, "line_base": 0, "col_unit": "byte",
                     "end_exclusive": True if x is None else x} for s, e, x, *_ in data]


@SETTINGS
@given(data=rows(maybe_text, maybe_text, maybe_int, maybe_int, maybe_text, maybe_int))
def test_span_id_and_interval_align_score(shared_ctx, data):
    ctx = shared_ctx
    types = {"p": pa.string(), "path": pa.string(), "s": pa.int64(), "e": pa.int64(),
             "k": pa.string(), "x": pa.int64()}
    ids4 = [None if p is None else f"{p}:{hash128(joined([path, s, e]))}"
            for p, path, s, e, k, x in data]
    ids5 = [None if p is None else f"{p}:{hash128(joined([path, s, e, k]))}"
            for p, path, s, e, k, x in data]
    assert run(ctx, types, data, "span_id(p, path, s, e)") == ids4
    assert run(ctx, types, data, "span_id(p, path, s, e, k)") == ids5
    scores = [None if None in (x, s, e) else -float(e - s) for p, path, s, e, k, x in data]
    assert run(ctx, types, data, "interval_align_score(x, x, s, e)") == scores


# ---------------------------------------------------------------- strings

forms = st.sampled_from(["NFC", "NFD", "NFKC", "NFKD", "nfkc"])


@SETTINGS
@given(data=rows(maybe_text), form=forms, casefold=st.booleans(), collapse=st.booleans())
def test_utf8_normalize_matches_unicodedata(shared_ctx, data, form, casefold, collapse):
    ctx = shared_ctx
    types = {"s": pa.string()}

    def ref(v, form=form.upper(), casefold=casefold, collapse=collapse):
        if v is None:
            return None
        return norm_text(v, form, casefold, collapse) or None

    sql = f"utf8_normalize(s, '{form}', {str(casefold).lower()}, {str(collapse).lower()})"
    assert run(ctx, types, data, sql) == [ref(s) for (s,) in data]
    defaults = [ref(s, "NFKC", True, True) for (s,) in data]
    assert run(ctx, types, data, "utf8_normalize(s)") == defaults
    assert run(ctx, types, data, "normalize_utf8(s, NULL, NULL, NULL)") == defaults


@SETTINGS
@given(data=rows(maybe_text, maybe_text, maybe_text))
def test_blank_and_qualified_names(shared_ctx, data):
    ctx = shared_ctx
    types = {"s": pa.string(), "m": pa.string(), "lang": pa.string()}
    blank = [None if s is None else (s.strip(WHITE_SPACE) or None) for s, _, _ in data]
    assert run(ctx, types, data, "utf8_null_if_blank(s)") == blank
    assert run(ctx, types, data, "null_if_blank(s)") == blank

    def qname(symbol, module):
        if symbol is None:
            return None
        sym = norm_text(symbol, "NFKC", True, True)
        mod = norm_text(module, "NFKC", True, True) if module is not None else ""
        if not sym:
            return None
        return sym if not mod or "." in sym else f"{mod}.{sym}"

    expect = [qname(s, m) for s, m, _ in data]
    assert run(ctx, types, data, "qname_normalize(s, m, lang)") == expect
    assert run(ctx, types, data, "qualname_normalize(s, m)") == expect
    assert run(ctx, types, data, "qname_normalize(s)") == [qname(s, None) for s, _, _ in data]
    assert run(ctx, types, data, "semantic_tag('NodeId', s)") == [s for s, _, _ in data]


change_types = st.one_of(
    st.none(),
    st.sampled_from(["insert", "delete", "update_preimage", "update_postimage", "merge", ""]).map(
        lambda s: s
    ),
    st.sampled_from([" INSERT ", "Delete", "UPDATE_POSTIMAGE\t", "upsert"]),
)


@SETTINGS
@given(data=rows(change_types))
def test_change_data_functions(shared_ctx, data):
    ctx = shared_ctx
    types = {"c": pa.string()}
    ranks = [cdf_rank(c) for (c,) in data]
    assert run(ctx, types, data, "cdf_change_rank(c)") == ranks
    assert run(ctx, types, data, "cdf_is_upsert(c)") == [None if r is None else r in (2, 3) for r in ranks]
    assert run(ctx, types, data, "cdf_is_delete(c)") == [None if r is None else r == 1 for r in ranks]


@SETTINGS
@given(
    data=rows(st.one_of(st.none(), st.lists(maybe_text, max_size=6))),
    ints_=rows(st.one_of(st.none(), st.lists(maybe_int, max_size=6))),
)
def test_lists_compact_and_unique_sorted_as_text(shared_ctx, data, ints_):
    ctx = shared_ctx
    for rows_, type_ in ((data, pa.list_(pa.string())), (ints_, pa.list_(pa.int64()))):
        types = {"xs": type_}
        compact = [None if xs is None else [text_of(x) for x in xs if x is not None]
                   for (xs,) in rows_]
        assert run(ctx, types, rows_, "list_compact(xs)") == compact
        assert run(ctx, types, rows_, "array_compact(xs)") == compact
        unique = [None if c is None else sorted(set(c), key=lambda t: t.encode()) for c in compact]
        assert run(ctx, types, rows_, "list_unique_sorted(xs)") == unique
        assert run(ctx, types, rows_, "array_unique_sorted(xs)") == unique


keys = st.sampled_from(["a", "A", "b", "B", "ß", "k ", "İ"])


@SETTINGS
@given(
    data=rows(st.one_of(st.none(), st.lists(st.tuples(keys, maybe_int), max_size=5))),
    key_case=st.sampled_from(["lower", "upper", "none", "NONE"]),
    sort_keys=st.booleans(),
)
def test_maps_look_up_and_normalize_as_text(shared_ctx, data, key_case, sort_keys):
    ctx = shared_ctx
    types = {"m": pa.map_(pa.string(), pa.int64())}

    def get(m):
        if m is not None:
            for k, v in m:
                if k == "a" and v is not None:
                    return str(v)
        return "dflt"

    assert run(ctx, types, data, "map_get_default(m, 'a', 'dflt')") == [get(m) for (m,) in data]

    def normalize(m, key_case=key_case.lower(), sort_keys=sort_keys):
        if m is None:
            return None
        case = {"lower": simple_lower, "upper": simple_upper, "none": lambda k: k}[key_case]
        entries = [(case(k), None if v is None else str(v)) for k, v in m]
        if sort_keys:
            entries = sorted(dict(entries).items(), key=lambda kv: kv[0].encode())
        return entries

    sql = f"map_normalize(m, '{key_case}', {str(sort_keys).lower()})"
    assert run(ctx, types, data, sql) == [normalize(m) for (m,) in data]
    assert run(ctx, types, data, "map_normalize(m)") == [normalize(m, "lower", True) for (m,) in data]


# ---------------------------------------------------------------- config, API, errors

def test_config_sets_the_defaults():
    ctx = ca.SessionContext()
    ctx.install_codeanatomy_udfs({"utf8_normalize_casefold": False, "span_default_line_base": 1,
                                  "span_default_col_unit": "UTF16",
                                  "span_default_end_exclusive": False})
    got = ctx.sql("SELECT utf8_normalize(' A  B ') AS n, span_make(1, 2) AS s").to_pylist()[0]
    assert got["n"] == "A B"
    assert got["s"] == {"bstart": 1, "bend": 2, "line_base": 1, "col_unit": "utf16",
                        "end_exclusive": False}
    ctx.install_codeanatomy_udfs()  # installing again replaces the defaults
    assert ctx.sql("SELECT utf8_normalize(' A  B ') AS n").to_pylist()[0]["n"] == "a b"


@pytest.mark.parametrize(
    "config, field",
    [
        ({"utf8_normalize_form": "NFX"}, "utf8_normalize_form"),
        ({"utf8_normalize_casefold": "yes"}, "utf8_normalize_casefold"),
        ({"span_default_line_base": 7}, "span_default_line_base"),
        ({"span_default_col_unit": "lines"}, "span_default_col_unit"),
        ({"map_normalize_key_case": 1}, "map_normalize_key_case"),
        ({"no_such_option": True}, "no_such_option"),
    ],
)
def test_bad_config_is_a_typed_error_naming_the_field(config, field):
    ctx = ca.SessionContext()
    with pytest.raises(EngineExecutionError) as err:
        ctx.install_codeanatomy_udfs(config)
    assert (err.value.stage, err.value.code) == ("validation", "INVALID_UDF_CONFIG")
    assert err.value.details == {"field": field}
    assert field in err.value.message


def test_null_literals_stand_for_any_argument(ctx):
    got = ctx.sql(
        "SELECT span_len(NULL) AS a, span_overlaps(NULL, span(1, 2)) AS b, list_compact(NULL) AS c,"
        " col_to_byte(NULL, 3, 'BYTE') AS e,"
        " stable_hash_any(NULL) AS f, span_make(1, NULL, NULL, NULL, NULL) AS g"
    ).to_pylist()[0]
    assert got == {"a": None, "b": None, "c": None, "e": None,
                   "f": hash128("__NULL__"),
                   "g": {"bstart": 1, "bend": None, "line_base": 0, "col_unit": "byte",
                         "end_exclusive": True}}


def test_map_options_are_checked(ctx):
    ctx.register_arrow("t", pa.table({"m": pa.array([[("a", 1)]], pa.map_(pa.string(), pa.int64()))}))
    with pytest.raises(EngineExecutionError) as err:
        ctx.sql("SELECT map_normalize(m, 'title') FROM t").to_pylist()
    assert (err.value.stage, err.value.code) == ("execution", "INVALID_KEY_CASE")
    with pytest.raises(EngineExecutionError) as err:
        ctx.sql("SELECT map_get_default(m, CAST(NULL AS VARCHAR), 'd') FROM t").to_pylist()
    assert err.value.code == "NULL_MAP_KEY"


def test_functions_need_installing():
    with pytest.raises(EngineExecutionError) as err:
        ca.SessionContext().sql("SELECT stable_hash64('x')").to_pylist()
    assert err.value.code == "UNKNOWN_FUNCTION"


def test_dataframe_api_resolves_the_bundle(ctx):
    ctx.register_arrow("t", pa.table({"s": ["delta", None]}))
    df = ctx.table("t").select(F.call("stable_id", lit("ns"), col("s")).alias("id"))
    assert df.to_pydict()["id"] == ["ns:" + hash128("delta"), None]


@pytest.mark.parametrize(
    "query, stage, code",
    [
        ("SELECT col_to_byte('abc', 1, 'chars')", "execution", "INVALID_COL_UNIT"),
        ("SELECT span_make(1, 2, 0, 'lines')", "execution", "INVALID_COL_UNIT"),
        ("SELECT utf8_normalize('x', 'NFX')", "execution", "INVALID_NORMALIZATION_FORM"),
        ("SELECT semantic_tag('', 1)", "execution", "INVALID_SEMANTIC_TYPE"),
        ("SELECT canonicalize_byte_span(9223372036854775807, 'ab', 1, 0, 'ab', 1, 'BYTE')",
         "execution", "INTEGER_OVERFLOW"),
        ("SELECT span_make(1, 2, 0, 'byte', true, 7)", "planning", "WRONG_ARITY"),
        ("SELECT span_len(1)", "planning", "TYPE_MISMATCH"),
        ("SELECT list_compact('x')", "planning", "TYPE_MISMATCH"),
        ("SELECT stable_id('ns')", "planning", "WRONG_ARITY"),
    ],
)
def test_typed_errors(ctx, query, stage, code):
    with pytest.raises(EngineExecutionError) as err:
        ctx.sql(query).to_pylist()
    assert (err.value.stage, err.value.code) == (stage, code)


def test_options_must_be_constants(ctx):
    ctx.register_arrow("t", pa.table({"s": ["a", "b"], "f": ["NFC", "NFD"]}))
    with pytest.raises(EngineExecutionError) as err:
        ctx.sql("SELECT utf8_normalize(s, f) FROM t").to_pylist()
    assert err.value.code == "ARGUMENT_NOT_CONSTANT"
    assert err.value.details["argument"] == "form"


def test_invalid_utf8_is_a_typed_error_not_a_crash(ctx):
    bad = pa.array([b"ok", b"\xff\xfe"], pa.binary()).view(pa.string())
    ctx.register_arrow("t", pa.table({"s": bad}))
    for fn in ("utf8_normalize(s)", "utf8_null_if_blank(s)", "col_to_byte(s, 1, 'UTF16')",
               "qname_normalize(s)"):
        with pytest.raises(EngineExecutionError) as err:
            ctx.sql(f"SELECT {fn} FROM t").to_pylist()
        assert err.value.code == "INVALID_UTF8", fn
    # Byte-level functions do not need to decode.
    got = ctx.sql("SELECT stable_hash128(s) AS h, col_to_byte(s, 1, 'BYTE') AS c FROM t")
    assert got.to_pydict()["c"] == [1, 1]


def test_descriptors_cover_every_installed_name(ctx):
    everything = json.loads(_native.codeanatomy_function_descriptors_json())
    assert [d["name"] for d in everything] == sorted(d["name"] for d in everything)
    descriptors = [d for d in everything if d["kind"] == "scalar"]
    names = [d["name"] for d in descriptors]
    # Every scalar function CONTRACTS §5 lists, and no other.
    assert set(names) == {
        "stable_hash64", "stable_hash128", "prefixed_hash64", "stable_id", "stable_id_parts",
        "prefixed_hash_parts64", "stable_hash_any", "span_make", "span_len", "span_overlaps",
        "span_contains", "span_id", "interval_align_score", "col_to_byte",
        "canonicalize_byte_span", "utf8_normalize", "utf8_null_if_blank", "qname_normalize",
        "semantic_tag", "map_get_default", "map_normalize", "list_compact", "list_unique_sorted",
        "struct_pick", "cdf_change_rank", "cdf_is_upsert", "cdf_is_delete", "arrow_metadata",
        "cpg_score"}
    aliases = {a: d["name"] for d in descriptors for a in d["aliases"]}
    assert aliases == {
        "hash64": "stable_hash64", "hash128": "stable_hash128", "prefixed_hash": "prefixed_hash64",
        "stable_id_multi": "stable_id_parts", "prefixed_hash_parts": "prefixed_hash_parts64",
        "stable_hash": "stable_hash_any", "span": "span_make", "normalize_utf8": "utf8_normalize",
        "null_if_blank": "utf8_null_if_blank", "qualname_normalize": "qname_normalize",
        "array_compact": "list_compact", "array_unique_sorted": "list_unique_sorted",
        "struct_select": "struct_pick",
    }
    for d in descriptors:
        assert d["kind"] == "scalar" and d["volatility"] == "immutable" and d["doc"]
        assert len(d["signatures"][-1]) == (len(d["parameter_names"]) if not d["variadic"]
                                            else len(d["signatures"][0]))
        for name in [d["name"], *d["aliases"]]:
            # Resolves: a call without arguments is a wrong arity, not an unknown function.
            with pytest.raises(EngineExecutionError) as err:
                ctx.sql(f"SELECT {name}()").to_pylist()
            assert err.value.code == "WRONG_ARITY", name
