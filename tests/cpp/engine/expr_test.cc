#include "engine/expr.h"

#include <memory>
#include <string>
#include <vector>

#include <arrow/array/util.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/expression.h>
#include <gtest/gtest.h>

#include "engine/session_state.h"
#include "test_util.h"

namespace codeanatomy::engine {
namespace {

namespace cp = arrow::compute;
using testing::ArrayFromJSON;
using testing::BatchFromJSON;
using testing::Bool;
using testing::ErrorCode;
using testing::ErrorDetails;
using testing::ErrorStage;
using testing::Int32;
using testing::Int64;
using testing::Null;
using testing::Str;

class ExprTest : public testing::SessionStateTest {
 protected:
  void SetUp() override {
    SessionStateTest::SetUp();
    schema_ =
        arrow::schema({arrow::field("i32", arrow::int32()), arrow::field("i64", arrow::int64()),
                       arrow::field("s", arrow::utf8()), arrow::field("d", arrow::float64()),
                       arrow::field("flag", arrow::boolean())});
  }

  Result<cp::Expression> Lower(const ExprPtr& e) { return LowerScalar(*e, *schema_, resolver()); }

  std::shared_ptr<arrow::DataType> TypeOf(const ExprPtr& e) {
    auto lowered = Lower(e);
    EXPECT_TRUE(lowered.ok()) << ToString(*e) << ": " << lowered.status().ToString();
    if (!lowered.ok() || lowered->type() == nullptr) return nullptr;
    return lowered->type()->GetSharedPtr();
  }

  /// Evaluates `e` over `rows_json` (rows of schema_) and returns the result as an array.
  Result<std::shared_ptr<arrow::Array>> Eval(const ExprPtr& e, const std::string& rows_json) {
    auto batch = BatchFromJSON(schema_, rows_json);
    CA_ASSIGN_OR_RAISE(auto lowered, Lower(e));
    cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, state_->registry());
    CA_ASSIGN_OR_RAISE(auto datum,
                       cp::ExecuteScalarExpression(lowered, cp::ExecBatch(*batch), &ctx));
    if (datum.is_scalar()) {
      return arrow::MakeArrayFromScalar(*datum.scalar(), batch->num_rows());
    }
    return datum.make_array();
  }

  void ExpectEval(const ExprPtr& e, const std::string& rows_json,
                  const std::shared_ptr<arrow::DataType>& type, const std::string& expected_json) {
    auto actual = Eval(e, rows_json);
    ASSERT_TRUE(actual.ok()) << ToString(*e) << ": " << actual.status().ToString();
    auto expected = ArrayFromJSON(type, expected_json);
    EXPECT_TRUE((*actual)->Equals(*expected))
        << ToString(*e) << "\nexpected " << expected->ToString() << "\nactual "
        << (*actual)->ToString();
  }

  std::shared_ptr<arrow::Schema> schema_;
};

// ------------------------------------------------------------------ printing

TEST_F(ExprTest, ToStringRendersSqlText) {
  EXPECT_EQ(ToString(*Column("a")), "a");
  EXPECT_EQ(ToString(*Int64(7)), "7");
  EXPECT_EQ(ToString(*Str("x")), "'x'");
  EXPECT_EQ(ToString(*Null()), "NULL");
  EXPECT_EQ(ToString(*Call("+", {Column("a"), Int64(1)})), "(a + 1)");
  EXPECT_EQ(ToString(*Call("add", {Column("a"), Int64(1)})), "(a + 1)");
  EXPECT_EQ(ToString(*Call("and", {Column("p"), Call("<>", {Column("a"), Column("b")})})),
            "(p AND (a != b))");
  EXPECT_EQ(ToString(*Call("not", {Column("p")})), "NOT p");
  EXPECT_EQ(ToString(*Call("is_null", {Column("a")})), "a IS NULL");
  EXPECT_EQ(ToString(*Call("is_not_null", {Column("a")})), "a IS NOT NULL");
  EXPECT_EQ(ToString(*Call("upper", {Column("s")})), "upper(s)");
  EXPECT_EQ(ToString(*Alias(Call("+", {Column("a"), Int64(1)}), "x")), "(a + 1) AS x");
  EXPECT_EQ(ToString(*Cast(Column("a"), arrow::int64())), "CAST(a AS int64)");
  EXPECT_EQ(ToString(*Case({{Call(">", {Column("a"), Int64(1)}), Str("big")}}, nullptr)),
            "CASE WHEN (a > 1) THEN 'big' END");
  EXPECT_EQ(ToString(*Case({{Column("p"), Int64(1)}, {Column("q"), Int64(2)}}, Null())),
            "CASE WHEN p THEN 1 WHEN q THEN 2 ELSE NULL END");
  EXPECT_EQ(ToString(*InList(Column("a"), {Int64(1), Int64(2)}, false)), "a IN (1, 2)");
  EXPECT_EQ(ToString(*InList(Column("a"), {Int64(1)}, true)), "a NOT IN (1)");
  EXPECT_EQ(ToString(*Like(Column("s"), "ab%", false, false)), "(s LIKE 'ab%')");
  EXPECT_EQ(ToString(*Like(Column("s"), "ab%", true, true)), "NOT (s ILIKE 'ab%')");
  EXPECT_EQ(ToString(*Between(Column("a"), Int64(1), Int64(3), false)), "((a >= 1) AND (a <= 3))");
  EXPECT_EQ(ToString(*AggregateCall("count", {})), "count()");
  EXPECT_EQ(ToString(*AggregateCall("count_all", {})), "count(*)");
  EXPECT_EQ(ToString(*AggregateCall("count", {Column("a")}, /*distinct=*/true)),
            "count(DISTINCT a)");
}

TEST_F(ExprTest, OutputNameIsAliasColumnOrText) {
  EXPECT_EQ(OutputName(*Column("a")), "a");
  EXPECT_EQ(OutputName(*Alias(Column("a"), "b")), "b");
  EXPECT_EQ(OutputName(*Call("*", {Column("a"), Int64(2)})), "(a * 2)");
  EXPECT_EQ(OutputName(*AggregateCall("sum", {Column("a")})), "sum(a)");
}

TEST_F(ExprTest, UnaliasedStripsNestedAliases) {
  auto inner = Call("+", {Column("a"), Int64(1)});
  const Expr& stripped = Unaliased(*Alias(Alias(inner, "x"), "y"));
  EXPECT_EQ(&stripped, inner.get());
}

// ------------------------------------------------------------------ rewriting

TEST_F(ExprTest, ReferencedColumnsInFirstUseOrderWithoutDuplicates) {
  auto e =
      Call("+", {Call("*", {Call("+", {Column("a"), Column("b")}), Column("a")}), Column("c")});
  EXPECT_EQ(ReferencedColumns(*e), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(ReferencedColumns(*Int64(1)).empty());
  auto in_case = Case({{Column("p"), Column("x")}}, Column("y"));
  EXPECT_EQ(ReferencedColumns(*in_case), (std::vector<std::string>{"p", "x", "y"}));
}

TEST_F(ExprTest, ReplaceColumnsRewritesWithoutMutatingTheOriginal) {
  auto original = Call("+", {Column("a"), Column("b")});
  auto replaced = ReplaceColumns(original, {{"a", Call("*", {Column("x"), Int64(2)})}});
  EXPECT_EQ(ToString(*replaced), "((x * 2) + b)");
  EXPECT_EQ(ToString(*original), "(a + b)");
  // Unmatched trees come back as is.
  auto untouched = ReplaceColumns(original, {{"zzz", Column("q")}});
  EXPECT_EQ(ToString(*untouched), "(a + b)");
  // Aliases keep their names.
  auto aliased = ReplaceColumns(Alias(Column("a"), "out"), {{"a", Column("z")}});
  EXPECT_EQ(ToString(*aliased), "z AS out");
}

// ------------------------------------------------------------------ types

// "cast" Arrow inserts cannot dispatch there). See the test report.
TEST_F(ExprTest, ArithmeticWidensInt32PlusInt64ToInt64) {
  auto type = TypeOf(Call("+", {Column("i32"), Column("i64")}));
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::int64())) << type->ToString();
  ExpectEval(Call("+", {Column("i32"), Column("i64")}), R"([{"i32": 2147483647, "i64": 1}])",
             arrow::int64(), "[2147483648]");
  type = TypeOf(Call("*", {Column("i32"), Column("d")}));
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::float64())) << type->ToString();
}

// overflows where SQL would widen to int64. See the test report.
// Arrow binds an int64 literal next to an int32 column as int32 (the literal adopts the
// column's type), so checked arithmetic reports overflow rather than widening.
TEST_F(ExprTest, Int64LiteralAdoptsTheInt32ColumnType) {
  auto type = TypeOf(Call("+", {Column("i32"), Int64(1)}));
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::int32())) << type->ToString();
}

TEST_F(ExprTest, ArithmeticOnEqualTypesKeepsTheType) {
  auto type = TypeOf(Call("+", {Column("i32"), Int32(1)}));
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::int32())) << type->ToString();
  type = TypeOf(Call("/", {Column("d"), Column("d")}));
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::float64())) << type->ToString();
}

TEST_F(ExprTest, ComparisonsAndLogicAreBoolean) {
  for (const auto& op : {"=", "!=", "<>", "<", "<=", ">", ">="}) {
    auto type = TypeOf(Call(op, {Column("i64"), Column("i64")}));
    ASSERT_NE(type, nullptr) << op;
    EXPECT_TRUE(type->Equals(arrow::boolean())) << op << " " << type->ToString();
    type = TypeOf(Call(op, {Column("s"), Str("x")}));
    ASSERT_NE(type, nullptr) << op;
    EXPECT_TRUE(type->Equals(arrow::boolean())) << op << " " << type->ToString();
  }
  auto type = TypeOf(Call("and", {Column("flag"), Call("not", {Column("flag")})}));
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::boolean()));
  ExpectEval(Call("or", {Column("flag"), Null()}),
             R"([{"flag": true}, {"flag": false}, {"flag": null}])", arrow::boolean(),
             "[true, null, null]");
}

TEST_F(ExprTest, MixedTypeComparisonsAreBoolean) {
  for (const auto& op : {"=", "!=", "<>", "<", "<=", ">", ">="}) {
    auto type = TypeOf(Call(op, {Column("i32"), Column("i64")}));
    ASSERT_NE(type, nullptr) << op;
    EXPECT_TRUE(type->Equals(arrow::boolean())) << op << " " << type->ToString();
  }
  ExpectEval(Call("<", {Column("i32"), Column("d")}),
             R"([{"i32": 1, "d": 1.5}, {"i32": 2, "d": 1.5}])", arrow::boolean(), "[true, false]");
}

TEST_F(ExprTest, ArithmeticIsChecked) {
  ExpectEval(Call("+", {Column("i64"), Int64(1)}), R"([{"i64": 1}, {"i64": null}])", arrow::int64(),
             "[2, null]");
  auto overflow = Eval(Call("+", {Column("i64"), Int64(1)}), R"([{"i64": 9223372036854775807}])");
  EXPECT_FALSE(overflow.ok());
}

TEST_F(ExprTest, CaseWithNullBranchesTakesTheTypedBranchType) {
  auto e = Case({{Call(">", {Column("i32"), Int32(1)}), Column("i64")}}, Null());
  auto type = TypeOf(e);
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::int64())) << type->ToString();
  ExpectEval(e, R"([{"i32": 5, "i64": 50}, {"i32": 0, "i64": 7}, {"i32": null, "i64": 9}])",
             arrow::int64(), "[50, null, null]");
  // A NULL THEN branch with a typed ELSE.
  auto e2 = Case({{Column("flag"), Null()}}, Str("no"));
  ExpectEval(e2, R"([{"flag": true}, {"flag": false}, {"flag": null}])", arrow::utf8(),
             R"([null, "no", "no"])");
}

TEST_F(ExprTest, CaseWithoutElseYieldsNullForUnmatchedRows) {
  auto e = Case({{Call("=", {Column("i32"), Int32(1)}), Str("one")},
                 {Call("=", {Column("i32"), Int32(2)}), Str("two")}},
                nullptr);
  ExpectEval(e, R"([{"i32": 1}, {"i32": 2}, {"i32": 3}])", arrow::utf8(),
             R"(["one", "two", null])");
}

TEST_F(ExprTest, InListFollowsSqlNullSemantics) {
  // x IN (1, NULL): TRUE when x = 1, otherwise NULL (never FALSE).
  auto in = InList(Column("i64"), {Int64(1), Null()}, false);
  ExpectEval(in, R"([{"i64": 1}, {"i64": 2}, {"i64": null}])", arrow::boolean(),
             "[true, null, null]");
  // x NOT IN (1, NULL): FALSE when x = 1, otherwise NULL.
  auto not_in = InList(Column("i64"), {Int64(1), Null()}, true);
  ExpectEval(not_in, R"([{"i64": 1}, {"i64": 2}, {"i64": null}])", arrow::boolean(),
             "[false, null, null]");
  // Without NULL in the list a non-match is FALSE; a NULL probe is NULL.
  auto plain = InList(Column("i64"), {Int64(1), Int64(3)}, false);
  ExpectEval(plain, R"([{"i64": 1}, {"i64": 2}, {"i64": null}])", arrow::boolean(),
             "[true, false, null]");
}

TEST_F(ExprTest, InListOfExpressionsComparesRowWise) {
  auto e = InList(Column("s"), {Call("upper", {Column("s")}), Str("x")}, false);
  ExpectEval(e, R"([{"s": "A"}, {"s": "b"}, {"s": "x"}, {"s": null}])", arrow::boolean(),
             "[true, false, true, null]");
}

TEST_F(ExprTest, InListOfColumnsComparesRowWise) {
  auto e = InList(Column("i64"), {Column("i32"), Int64(10)}, false);
  ExpectEval(e, R"([{"i64": 1, "i32": 1}, {"i64": 10, "i32": 2}, {"i64": 3, "i32": 4},
                    {"i64": 3, "i32": null}])",
             arrow::boolean(), "[true, true, false, null]");
}

TEST_F(ExprTest, InListRejectsValuesOfAnotherType) {
  auto lowered = Lower(InList(Column("i64"), {Str("abc")}, false));
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(ErrorCode(lowered.status()), "TYPE_MISMATCH");
  EXPECT_EQ(ErrorStage(lowered.status()), "planning");
}

TEST_F(ExprTest, LikeUsesSqlWildcards) {
  const std::string rows =
      R"([{"s": "abc"}, {"s": "ABC"}, {"s": "xabc"}, {"s": "ab"}, {"s": null}])";
  ExpectEval(Like(Column("s"), "ab%", false, false), rows, arrow::boolean(),
             "[true, false, false, true, null]");
  ExpectEval(Like(Column("s"), "ab%", true, false), rows, arrow::boolean(),
             "[true, true, false, true, null]");
  ExpectEval(Like(Column("s"), "_bc", false, false), rows, arrow::boolean(),
             "[true, false, false, false, null]");
  ExpectEval(Like(Column("s"), "%bc", false, true), rows, arrow::boolean(),
             "[false, true, false, true, null]");
  // A LIKE call built by name (as the SQL layer does) behaves the same.
  ExpectEval(Call("like", {Column("s"), Str("%b%")}), rows, arrow::boolean(),
             "[true, false, true, true, null]");
}

TEST_F(ExprTest, BetweenIsInclusive) {
  const std::string rows = R"([{"i64": 1}, {"i64": 2}, {"i64": 3}, {"i64": 4}, {"i64": null}])";
  ExpectEval(Between(Column("i64"), Int64(2), Int64(3), false), rows, arrow::boolean(),
             "[false, true, true, false, null]");
  ExpectEval(Between(Column("i64"), Int64(2), Int64(3), true), rows, arrow::boolean(),
             "[true, false, false, true, null]");
}

TEST_F(ExprTest, CastConvertsValuesAndTypes) {
  auto to_int = Cast(Column("s"), arrow::int64());
  auto type = TypeOf(to_int);
  ASSERT_NE(type, nullptr);
  EXPECT_TRUE(type->Equals(arrow::int64()));
  ExpectEval(to_int, R"([{"s": "12"}, {"s": "-3"}, {"s": null}])", arrow::int64(),
             "[12, -3, null]");
  ExpectEval(Cast(Column("i32"), arrow::utf8()), R"([{"i32": 7}, {"i32": null}])", arrow::utf8(),
             R"(["7", null])");
  ExpectEval(Cast(Column("d"), arrow::int32()), R"([{"d": 2.0}])", arrow::int32(), "[2]");
  // A safe cast of text that is not a number fails at run time.
  EXPECT_FALSE(Eval(to_int, R"([{"s": "abc"}])").ok());
}

TEST_F(ExprTest, CastToAnUnsupportedTypeIsATypeMismatch) {
  auto lowered = Lower(Cast(Column("flag"), arrow::list(arrow::int32())));
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(ErrorCode(lowered.status()), "TYPE_MISMATCH");
  EXPECT_EQ(ErrorStage(lowered.status()), "planning");
}

TEST_F(ExprTest, ScalarFieldNamesTypesAndNullability) {
  auto schema = arrow::schema({arrow::field("k", arrow::int32(), /*nullable=*/false)});
  ASSERT_OK_AND_ASSIGN(auto f, ScalarField(*Column("k"), *schema, resolver()));
  EXPECT_EQ(f->name(), "k");
  EXPECT_FALSE(f->nullable());
  ASSERT_OK_AND_ASSIGN(f, ScalarField(*Alias(Column("k"), "kk"), *schema, resolver()));
  EXPECT_EQ(f->name(), "kk");
  EXPECT_FALSE(f->nullable());
  ASSERT_OK_AND_ASSIGN(f, ScalarField(*Call("+", {Column("k"), Int32(1)}), *schema, resolver()));
  EXPECT_EQ(f->name(), "(k + 1)");
  EXPECT_TRUE(f->type()->Equals(arrow::int32()));
}

TEST_F(ExprTest, StringFunctionsResolveThroughAliases) {
  ExpectEval(Call("upper", {Column("s")}), R"([{"s": "ab"}])", arrow::utf8(), R"(["AB"])");
  ExpectEval(Call("LENGTH", {Column("s")}), R"([{"s": "abc"}])", arrow::int32(), "[3]");
  ExpectEval(Call("substr", {Column("s"), Int64(2), Int64(2)}), R"([{"s": "abcd"}])", arrow::utf8(),
             R"(["bc"])");
  ExpectEval(Call("concat", {Column("s"), Column("i32")}), R"([{"s": "a", "i32": 1},
             {"s": null, "i32": 2}])",
             arrow::utf8(), R"(["a1", "2"])");
  ExpectEval(Call("||", {Column("s"), Str("!")}), R"([{"s": "a"}, {"s": null}])", arrow::utf8(),
             R"(["a!", null])");
}

TEST_F(ExprTest, NullLiteralComparisonsAreNull) {
  ExpectEval(Call("=", {Column("i64"), Null()}), R"([{"i64": 1}, {"i64": null}])", arrow::boolean(),
             "[null, null]");
}

// ------------------------------------------------------------------ folding

TEST_F(ExprTest, FoldConstantsEvaluatesLiteralCalls) {
  auto folded = FoldConstants(Call("+", {Int64(1), Int64(2)}), resolver());
  ASSERT_EQ(folded->kind, ExprKind::kLiteral);
  EXPECT_TRUE(folded->literal->Equals(arrow::Int64Scalar(3))) << folded->literal->ToString();
}

TEST_F(ExprTest, FoldConstantsKeepsColumnsAndFoldsSubtrees) {
  auto column = Column("a");
  EXPECT_EQ(FoldConstants(column, resolver()).get(), column.get());
  auto folded =
      FoldConstants(Call("+", {Column("a"), Call("*", {Int64(2), Int64(3)})}), resolver());
  EXPECT_EQ(folded->kind, ExprKind::kCall);
  EXPECT_EQ(ToString(*folded), "(a + 6)");
  auto partially = FoldConstants(Call("+", {Column("a"), Int64(1)}), resolver());
  EXPECT_EQ(ToString(*partially), "(a + 1)");
}

TEST_F(ExprTest, FoldConstantsHandlesCastCaseAndInList) {
  auto cast = FoldConstants(Cast(Str("42"), arrow::int32()), resolver());
  ASSERT_EQ(cast->kind, ExprKind::kLiteral);
  EXPECT_TRUE(cast->literal->Equals(arrow::Int32Scalar(42))) << cast->literal->ToString();
  auto in = FoldConstants(InList(Int64(2), {Int64(1), Int64(2)}, false), resolver());
  ASSERT_EQ(in->kind, ExprKind::kLiteral);
  EXPECT_TRUE(in->literal->Equals(arrow::BooleanScalar(true)));
  auto c = FoldConstants(Case({{Bool(false), Int64(1)}}, Int64(2)), resolver());
  ASSERT_EQ(c->kind, ExprKind::kLiteral);
  EXPECT_TRUE(c->literal->Equals(arrow::Int64Scalar(2)));
}

TEST_F(ExprTest, FoldConstantsLeavesFailingCallsForRunTime) {
  // Overflow would fail; the call must stay so the error surfaces when the query runs.
  auto e = Call("+", {Int64(INT64_MAX), Int64(1)});
  auto folded = FoldConstants(e, resolver());
  EXPECT_EQ(folded->kind, ExprKind::kCall);
}

TEST_F(ExprTest, FoldConstantsDoesNotFoldAggregates) {
  auto folded = FoldConstants(AggregateCall("sum", {Int64(1)}), resolver());
  EXPECT_EQ(folded->kind, ExprKind::kCall);
}

// ------------------------------------------------------------------ errors

TEST_F(ExprTest, UnknownColumnSuggestsCandidatesInDetails) {
  auto schema =
      arrow::schema({arrow::field("alpha", arrow::int32()), arrow::field("beta", arrow::int32()),
                     arrow::field("gamma", arrow::int32())});
  auto r = ResolveColumn(*schema, "alpah");
  ASSERT_FALSE(r.ok());
  auto info = DescribeError(r.status());
  EXPECT_EQ(info.stage, "planning");
  EXPECT_EQ(info.code, "UNKNOWN_COLUMN");
  EXPECT_NE(info.message.find("alpah"), std::string::npos) << info.message;
  EXPECT_NE(info.message.find("alpha"), std::string::npos) << info.message;
  auto details = ErrorDetails(r.status());
  ASSERT_TRUE(details.is_object()) << info.details_json;
  ASSERT_NE(details.Get("column"), nullptr);
  EXPECT_EQ(details.Get("column")->string_value(), "alpah");
  const auto* candidates = details.Get("candidates");
  ASSERT_NE(candidates, nullptr);
  ASSERT_TRUE(candidates->is_array());
  ASSERT_FALSE(candidates->array_value().empty());
  EXPECT_EQ(candidates->array_value()[0].string_value(), "alpha");
}

TEST_F(ExprTest, UnknownColumnWithNothingCloseHasNoCandidates) {
  auto schema = arrow::schema({arrow::field("alpha", arrow::int32())});
  auto r = ResolveColumn(*schema, "zzzzzzzz");
  ASSERT_FALSE(r.ok());
  auto details = ErrorDetails(r.status());
  ASSERT_NE(details.Get("candidates"), nullptr);
  EXPECT_TRUE(details.Get("candidates")->array_value().empty());
}

TEST_F(ExprTest, DuplicateNamesAreAmbiguous) {
  auto schema =
      arrow::schema({arrow::field("x", arrow::int32()), arrow::field("x", arrow::utf8())});
  auto r = ResolveColumn(*schema, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorCode(r.status()), "AMBIGUOUS_COLUMN");
  EXPECT_EQ(ErrorStage(r.status()), "planning");
  EXPECT_EQ(ErrorDetails(r.status()).Get("column")->string_value(), "x");
  // Lowering a reference to it fails the same way.
  auto lowered = LowerScalar(*Column("x"), *schema, resolver());
  EXPECT_EQ(ErrorCode(lowered.status()), "AMBIGUOUS_COLUMN");
}

TEST_F(ExprTest, ResolveColumnFindsTheIndex) {
  auto r = ResolveColumn(*schema_, "s");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
}

TEST_F(ExprTest, UnknownFunctionIsAPlanningError) {
  auto lowered = Lower(Call("ascii_lowr", {Column("s")}));
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(ErrorCode(lowered.status()), "UNKNOWN_FUNCTION");
  EXPECT_EQ(ErrorStage(lowered.status()), "planning");
  auto details = ErrorDetails(lowered.status());
  EXPECT_EQ(details.Get("function")->string_value(), "ascii_lowr");
  const auto& candidates = details.Get("candidates")->array_value();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].string_value(), "ascii_lower");
}

TEST_F(ExprTest, ResolverMapsUserNamesToArrowFunctions) {
  auto fr = resolver();
  EXPECT_EQ(*fr.Resolve("+"), "add_checked");
  EXPECT_EQ(*fr.Resolve("LOWER"), "utf8_lower");
  EXPECT_EQ(*fr.Resolve("avg"), "mean");
  EXPECT_EQ(*fr.Resolve("sqrt"), "sqrt");
  EXPECT_TRUE(fr.IsAggregate("sum"));
  EXPECT_TRUE(fr.IsAggregate("AVG"));
  EXPECT_FALSE(fr.IsAggregate("abs"));
  EXPECT_FALSE(fr.IsAggregate("no_such_function"));
  EXPECT_TRUE(ContainsAggregate(*Call("+", {AggregateCall("sum", {Column("a")}), Int64(1)}), fr));
  EXPECT_FALSE(ContainsAggregate(*Call("+", {Column("a"), Int64(1)}), fr));
}

TEST_F(ExprTest, WrongArityNamesExpectedAndActual) {
  auto lowered = Lower(Call("abs", {Column("i32"), Column("i64")}));
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(ErrorCode(lowered.status()), "WRONG_ARITY");
  auto details = ErrorDetails(lowered.status());
  EXPECT_EQ(details.Get("function")->string_value(), "abs");
  EXPECT_EQ(details.Get("expected")->string_value(), "1");
  EXPECT_EQ(details.Get("actual")->int_value(), 2);
  EXPECT_EQ(ErrorCode(Lower(Call("+", {Column("i32")})).status()), "WRONG_ARITY");
}

TEST_F(ExprTest, AggregatesAreRejectedInScalarContext) {
  auto top = Lower(AggregateCall("sum", {Column("i32")}));
  EXPECT_EQ(ErrorCode(top.status()), "AGGREGATE_NOT_ALLOWED");
  auto nested = Lower(Call("+", {AggregateCall("sum", {Column("i32")}), Int64(1)}));
  EXPECT_EQ(ErrorCode(nested.status()), "AGGREGATE_NOT_ALLOWED");
}

TEST_F(ExprTest, UnknownColumnInsideACallIsReported) {
  auto lowered = Lower(Call("+", {Column("i33"), Int64(1)}));
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(ErrorCode(lowered.status()), "UNKNOWN_COLUMN");
  EXPECT_EQ(ErrorDetails(lowered.status()).Get("candidates")->array_value()[0].string_value(),
            "i32");
}

TEST_F(ExprTest, TypeErrorsInCallsArePlanningTypeMismatches) {
  auto lowered = Lower(Call("+", {Column("s"), Column("flag")}));
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(ErrorCode(lowered.status()), "TYPE_MISMATCH");
  EXPECT_EQ(ErrorStage(lowered.status()), "planning");
}

TEST_F(ExprTest, MakeCastWorksWithTheSessionRegistry) {
  auto arg = cp::field_ref("i32");
  ASSERT_OK_AND_ASSIGN(auto cast, MakeCast(arg, arrow::float64(), state_->registry()));
  cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, state_->registry());
  ASSERT_OK_AND_ASSIGN(auto bound, cast.Bind(*schema_, &ctx));
  ASSERT_NE(bound.type(), nullptr);
  EXPECT_TRUE(bound.type()->Equals(arrow::float64()));
}

}  // namespace
}  // namespace codeanatomy::engine
