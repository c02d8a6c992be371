// The bundle's aggregates (CONTRACTS.md §5): accumulators driven directly with values worked by
// hand, the split-and-merge law (any split of the rows into partial accumulators, merged in any
// order, finalizes like one accumulator over all rows), typed errors, and SQL end to end.
#include "functions/aggregate_functions.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/array/concatenate.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "../engine/test_util.h"
#include "common/status.h"
#include "engine/session_context.h"
#include "sql/statement.h"

namespace codeanatomy::functions {
namespace {

using engine::testing::ArrayFromJSON;
using engine::testing::ErrorCode;
using engine::testing::ErrorStage;

const auto kNansEqual = arrow::EqualOptions::Defaults().nans_equal(true);

const AggregateSpec& SpecOf(const std::string& name) {
  for (const auto& spec : AggregateFunctionSpecs()) {
    if (spec.name == name) return spec;
  }
  ADD_FAILURE() << "no aggregate " << name;
  return AggregateFunctionSpecs().front();
}

/// Argument columns of one batch, as JSON arrays (one per argument).
using Batch = std::vector<std::string>;

ArrayList Columns(const TypeList& types, const Batch& batch) {
  ArrayList out;
  for (size_t i = 0; i < types.size(); ++i) out.push_back(ArrayFromJSON(types[i], batch[i]));
  return out;
}

std::vector<ArrayList> AllColumns(const TypeList& types, const std::vector<Batch>& batches) {
  std::vector<ArrayList> out;
  for (const auto& b : batches) out.push_back(Columns(types, b));
  return out;
}

/// One accumulator over all batches, finalized.
Result<std::shared_ptr<arrow::Array>> RunOne(const std::string& name, const TypeList& types,
                                             const std::vector<ArrayList>& batches) {
  auto acc = SpecOf(name).make_accumulator(types);
  for (const auto& b : batches) CA_RETURN_NOT_OK(acc->Update(b));
  return acc->Finalize();
}

/// One accumulator per batch; the states merged into a fresh accumulator one by one in
/// `order`, or all at once as multi-row state arrays when `order` is empty.
Result<std::shared_ptr<arrow::Array>> RunSplit(const std::string& name, const TypeList& types,
                                               const std::vector<ArrayList>& batches,
                                               std::vector<size_t> order) {
  const auto& spec = SpecOf(name);
  std::vector<ArrayList> states;
  for (const auto& b : batches) {
    auto acc = spec.make_accumulator(types);
    CA_RETURN_NOT_OK(acc->Update(b));
    CA_ASSIGN_OR_RAISE(auto state, acc->State());
    auto state_types = spec.state_types(types);
    if (state.size() != state_types.size()) return Status::Invalid("state arity");
    for (size_t i = 0; i < state.size(); ++i) {
      if (state[i]->length() != 1 || !state[i]->type()->Equals(*state_types[i])) {
        return Status::Invalid("state ", i, " is ", state[i]->type()->ToString());
      }
    }
    states.push_back(std::move(state));
  }
  auto merged = spec.make_accumulator(types);
  if (order.empty()) {
    ArrayList columns;
    for (size_t i = 0; !states.empty() && i < states[0].size(); ++i) {
      arrow::ArrayVector parts;
      for (const auto& s : states) parts.push_back(s[i]);
      CA_ASSIGN_OR_RAISE(auto column, arrow::Concatenate(parts));
      columns.push_back(std::move(column));
    }
    if (!columns.empty()) CA_RETURN_NOT_OK(merged->Merge(columns));
  } else {
    for (size_t i : order) CA_RETURN_NOT_OK(merged->Merge(states[i]));
  }
  return merged->Finalize();
}

struct Case {
  std::string function;
  TypeList types;
  std::vector<Batch> batches;
  std::shared_ptr<arrow::DataType> result_type;
  std::string expected;  ///< one-element JSON array
};

std::vector<Case> HandWorkedCases() {
  auto i64 = arrow::int64();
  auto str = arrow::utf8();
  auto f64 = arrow::float64();
  auto b = arrow::boolean();
  return {
      {"list_unique", {i64}, {{"[3, null, 1, 3]"}, {"[2, 1]"}}, arrow::list(i64), "[[1, 2, 3]]"},
      {"list_unique",
       {str},
       {{R"(["b", "a"])"}, {R"([null, "b"])"}},
       arrow::list(str),
       R"([["a", "b"]])"},
      {"list_unique", {i64}, {{"[null]"}, {"[null, null]"}}, arrow::list(i64), "[null]"},
      {"list_unique", {i64}, {{"[]"}}, arrow::list(i64), "[null]"},
      {"collect_set",
       {f64},
       {{"[2.5, NaN, -0.0]"}, {"[0.0, NaN, -3]"}},
       arrow::list(f64),
       "[[-3, 0, 2.5, NaN]]"},
      {"count_distinct_agg", {i64}, {{"[3, null, 1, 3]"}, {"[2, 1]"}}, i64, "[3]"},
      {"count_distinct_agg", {str}, {{"[null]"}}, i64, "[0]"},
      {"count_if", {b}, {{"[true, null, false, true]"}, {"[true]"}}, i64, "[3]"},
      {"count_if", {b}, {{"[]"}}, i64, "[0]"},
      {"any_value_det", {str}, {{R"(["b", null])"}, {R"(["a", "c"])"}}, str, R"(["a"])"},
      {"any_value_det", {f64}, {{"[NaN, 2.0]"}, {"[-1.5, null]"}}, f64, "[-1.5]"},
      {"any_value_det", {i64}, {{"[null]"}}, i64, "[null]"},
      // key 5 carries a NULL value (skipped); keys 3 tie: the smaller value "b" wins.
      {"arg_max",
       {str, i64},
       {{R"(["a", "c"])", "[1, 3]"}, {R"(["b", "d", null])", "[3, 2, 5]"}},
       str,
       R"(["b"])"},
      {"arg_min",
       {str, i64},
       {{R"(["a", "c", "z"])", "[1, 3, null]"}, {R"(["b", null])", "[3, 0]"}},
       str,
       R"(["a"])"},
      {"arg_max", {str, i64}, {{R"([null, "x"])", "[1, null]"}}, str, "[null]"},
      // Keys <= 6: 1 and 5; the value at 5.
      {"asof_select",
       {i64, i64, i64},
       {{"[10, 20]", "[1, 5]", "[6, 6]"}, {"[30, 40]", "[7, 9]", "[6, 6]"}},
       i64,
       "[20]"},
      // A NULL bound skips its row; the bound may differ per row.
      {"asof_select",
       {i64, i64, i64},
       {{"[10, 20, 30]", "[1, 5, 8]", "[4, null, 9]"}},
       i64,
       "[30]"},
      {"asof_select", {i64, i64, i64}, {{"[10]", "[7]", "[6]"}}, i64, "[null]"},
      // Tied at key 1: "x" beats NULL. Key 2 is last.
      {"first_value",
       {str, i64},
       {{R"([null, "x"])", "[1, 1]"}, {R"(["y", "w"])", "[2, null]"}},
       str,
       R"(["x"])"},
      {"first_value", {str, i64}, {{R"([null, "y"])", "[1, 2]"}}, str, "[null]"},
      {"last_value", {str, i64}, {{R"([null, "y"])", "[1, 2]"}}, str, R"(["y"])"},
      {"last_value", {str, i64}, {{R"(["y", null])", "[1, 2]"}}, str, "[null]"},
      {"string_agg",
       {str, str},
       {{R"(["b", null])", R"([", ", ", "])"}, {R"(["a", "b"])", R"([", ", ", "])"}},
       str,
       R"(["a, b, b"])"},
      {"string_agg", {str, str}, {{R"(["b", "a"])", "[null, null]"}}, str, R"(["ab"])"},
      {"string_agg", {str, str}, {{"[null]", R"([","])"}}, str, "[null]"},
  };
}

TEST(AggregateAccumulatorTest, HandWorkedValues) {
  for (const auto& c : HandWorkedCases()) {
    SCOPED_TRACE(c.function + " " + c.batches[0][0]);
    auto type = SpecOf(c.function).return_type(c.types);
    ASSERT_TRUE(type.ok()) << type.status().ToString();
    EXPECT_TRUE((*type)->Equals(*c.result_type)) << (*type)->ToString();
    auto result = RunOne(c.function, c.types, AllColumns(c.types, c.batches));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    auto expected = ArrayFromJSON(c.result_type, c.expected);
    EXPECT_TRUE((*result)->Equals(*expected, kNansEqual))
        << (*result)->ToString() << " != " << expected->ToString();
  }
}

TEST(AggregateAccumulatorTest, SplitAndMergedInAnyOrderEqualsOneAccumulator) {
  for (const auto& c : HandWorkedCases()) {
    SCOPED_TRACE(c.function + " " + c.batches[0][0]);
    // Split every batch further into single rows, so that partials hold one row each.
    auto batches = AllColumns(c.types, c.batches);
    std::vector<ArrayList> rows;
    for (const auto& columns : batches) {
      for (int64_t r = 0; r < columns[0]->length(); ++r) {
        ArrayList row;
        for (const auto& column : columns) row.push_back(column->Slice(r, 1));
        rows.push_back(std::move(row));
      }
    }
    if (rows.empty()) continue;
    auto whole = RunOne(c.function, c.types, batches);
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    std::vector<size_t> forward(rows.size());
    for (size_t i = 0; i < forward.size(); ++i) forward[i] = i;
    std::vector<size_t> backward(forward.rbegin(), forward.rend());
    for (const auto& order : {forward, backward, std::vector<size_t>{}}) {
      auto split = RunSplit(c.function, c.types, rows, order);
      ASSERT_TRUE(split.ok()) << split.status().ToString();
      EXPECT_TRUE((*split)->Equals(**whole, kNansEqual))
          << (*split)->ToString() << " != " << (*whole)->ToString();
    }
  }
}

TEST(AggregateAccumulatorTest, ParallelPartialsOfAManyRowInputAgree) {
  // 200 rows with many ties, split three different ways.
  std::string values = "[", keys = "[";
  for (int i = 0; i < 200; ++i) {
    values += (i ? ", " : "") + ((i % 7 == 0) ? std::string("null") : std::to_string(i * 37 % 11));
    keys += (i ? ", " : "") + ((i % 5 == 0) ? std::string("null") : std::to_string(i % 13));
  }
  values += "]";
  keys += "]";
  auto i64 = arrow::int64();
  TypeList types = {i64, i64};
  auto v = ArrayFromJSON(i64, values);
  auto k = ArrayFromJSON(i64, keys);
  for (const char* fn : {"arg_max", "arg_min", "first_value", "last_value"}) {
    SCOPED_TRACE(fn);
    auto one = SpecOf(fn).make_accumulator(types);
    ASSERT_TRUE(one->Update({v, k}).ok());
    auto expected = one->Finalize().ValueOrDie();
    for (int64_t chunk : {1, 7, 64}) {
      auto merged = SpecOf(fn).make_accumulator(types);
      for (int64_t start = 200 - chunk; start > -chunk; start -= chunk) {  // back to front
        int64_t s = std::max<int64_t>(start, 0);
        int64_t len = std::min<int64_t>(chunk, start + chunk - s);
        auto part = SpecOf(fn).make_accumulator(types);
        ASSERT_TRUE(part->Update({v->Slice(s, len), k->Slice(s, len)}).ok());
        ASSERT_TRUE(merged->Merge(part->State().ValueOrDie()).ok());
      }
      EXPECT_TRUE(merged->Finalize().ValueOrDie()->Equals(*expected)) << chunk;
    }
  }
  // Hand-worked: the largest key is 12 (rows i = 12, 25, ...); of those, the smallest non-null
  // value wins.
  int64_t best = -1;
  for (int i = 0; i < 200; ++i) {
    if (i % 5 == 0 || i % 7 == 0 || i % 13 != 12) continue;
    int64_t value = i * 37 % 11;
    if (best < 0 || value < best) best = value;
  }
  auto acc = SpecOf("arg_max").make_accumulator(types);
  ASSERT_TRUE(acc->Update({v, k}).ok());
  EXPECT_EQ(acc->Finalize().ValueOrDie()->ToString(),
            ArrayFromJSON(i64, "[" + std::to_string(best) + "]")->ToString());
}

TEST(AggregateAccumulatorTest, StringAggNeedsOneSeparatorPerGroup) {
  TypeList types = {arrow::utf8(), arrow::utf8()};
  auto acc = SpecOf("string_agg").make_accumulator(types);
  auto st = acc->Update(Columns(types, {R"(["a", "b"])", R"([",", ";"])"}));
  EXPECT_EQ(ErrorCode(st), "ARGUMENT_NOT_CONSTANT");
  EXPECT_EQ(ErrorStage(st), "execution");
  // Also when the partials disagree.
  auto left = SpecOf("string_agg").make_accumulator(types);
  auto right = SpecOf("string_agg").make_accumulator(types);
  ASSERT_TRUE(left->Update(Columns(types, {R"(["a"])", R"([","])"})).ok());
  ASSERT_TRUE(right->Update(Columns(types, {R"(["b"])", R"([";"])"})).ok());
  st = left->Merge(right->State().ValueOrDie());
  EXPECT_EQ(ErrorCode(st), "ARGUMENT_NOT_CONSTANT");
  // A partial that saw no rows has no separator and merges with any.
  auto empty = SpecOf("string_agg").make_accumulator(types);
  auto full = SpecOf("string_agg").make_accumulator(types);
  ASSERT_TRUE(full->Update(Columns(types, {R"(["a"])", R"([";"])"})).ok());
  ASSERT_TRUE(full->Merge(empty->State().ValueOrDie()).ok());
  EXPECT_EQ(full->Finalize().ValueOrDie()->ToString(),
            ArrayFromJSON(arrow::utf8(), R"(["a"])")->ToString());
}

TEST(AggregateSpecTest, UnorderableArgumentsAreTypeMismatches) {
  auto st = arrow::struct_({arrow::field("a", arrow::int64())});
  auto i64 = arrow::int64();
  struct Bad {
    std::string function;
    TypeList types;
  };
  for (const auto& bad : std::vector<Bad>{{"arg_max", {i64, st}},
                                          {"arg_min", {st, i64}},
                                          {"list_unique", {arrow::list(i64)}},
                                          {"count_if", {i64}},
                                          {"string_agg", {i64, arrow::utf8()}},
                                          {"asof_select", {i64, i64, arrow::utf8()}},
                                          {"asof_select", {i64, arrow::date32(), i64}}}) {
    auto result = SpecOf(bad.function).return_type(bad.types);
    ASSERT_FALSE(result.ok()) << bad.function;
    EXPECT_EQ(ErrorCode(result.status()), "TYPE_MISMATCH") << bad.function;
    EXPECT_EQ(ErrorStage(result.status()), "planning") << bad.function;
  }
  // Numeric keys and bounds compare across widths.
  EXPECT_TRUE(SpecOf("asof_select").return_type({i64, arrow::int32(), arrow::float64()}).ok());
}

TEST(AggregateSpecTest, DescriptorsAndRegistration) {
  auto registry = arrow::compute::FunctionRegistry::Make(arrow::compute::GetFunctionRegistry());
  ASSERT_TRUE(InstallAggregateFunctions(registry.get()).ok());
  ASSERT_TRUE(InstallAggregateFunctions(registry.get()).ok());  // replaces, idempotent
  std::vector<std::string> names;
  for (const auto& d : AggregateFunctionDescriptors()) {
    EXPECT_EQ(d.kind, "aggregate");
    EXPECT_FALSE(d.doc.empty()) << d.name;
    ASSERT_EQ(d.signatures.size(), 1u) << d.name;
    EXPECT_EQ(d.signatures[0].size(), d.parameter_names.size()) << d.name;
    std::vector<std::string> all = {d.name};
    all.insert(all.end(), d.aliases.begin(), d.aliases.end());
    for (const auto& n : all) {
      auto fn = registry->GetFunction(n);
      ASSERT_TRUE(fn.ok()) << n;
      EXPECT_EQ((*fn)->kind(), arrow::compute::Function::SCALAR_AGGREGATE) << n;
      auto hash = registry->GetFunction("hash_" + n);
      ASSERT_TRUE(hash.ok()) << n;
      EXPECT_EQ((*hash)->kind(), arrow::compute::Function::HASH_AGGREGATE) << n;
      EXPECT_EQ((*hash)->arity().num_args, static_cast<int>(d.parameter_names.size()) + 1) << n;
    }
    names.push_back(d.name);
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names,
            (std::vector<std::string>{"any_value_det", "arg_max", "arg_min", "asof_select",
                                      "collect_set", "count_distinct_agg", "count_if",
                                      "first_value", "last_value", "list_unique", "string_agg"}));
  // The bundle's catalogue lists them with the scalar functions, sorted by name.
  std::vector<std::string> bundle;
  for (const auto& d : CodeanatomyFunctions()) bundle.push_back(d.name);
  EXPECT_TRUE(std::is_sorted(bundle.begin(), bundle.end()));
  for (const auto& n : names) {
    EXPECT_TRUE(std::find(bundle.begin(), bundle.end(), n) != bundle.end()) << n;
  }
}

class AggregateSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ctx = engine::SessionContext::Make();
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    ctx_ = std::make_unique<engine::SessionContext>(std::move(*ctx));
    ASSERT_TRUE(InstallCodeanatomyFunctions(ctx_->state()->registry()).ok());
    auto schema =
        arrow::schema({arrow::field("g", arrow::utf8()), arrow::field("v", arrow::utf8()),
                       arrow::field("k", arrow::int64()), arrow::field("b", arrow::boolean())});
    // Three record batches; group "x" spans all of them.
    auto table = engine::testing::TableFromJSON(
        schema,
        {R"([{"g": "x", "v": "p", "k": 1, "b": true}, {"g": "y", "v": "q", "k": 4, "b": null}])",
         R"([{"g": "x", "v": "r", "k": 3, "b": false}, {"g": "x", "v": null, "k": 9},
             {"g": "y", "v": "s", "k": null, "b": true}])",
         R"([{"g": "x", "v": "p", "k": 2, "b": true}, {"g": "z", "v": null, "k": null}])"});
    ASSERT_TRUE(ctx_->RegisterTable("t", table).ok());
  }

  Result<std::vector<std::string>> Query(const std::string& sql) {
    CA_ASSIGN_OR_RAISE(auto df, sql::ExecuteSql(*ctx_, sql));
    CA_ASSIGN_OR_RAISE(auto table, df.Collect());
    return engine::testing::Rows(*table);
  }

  std::unique_ptr<engine::SessionContext> ctx_;
};

TEST_F(AggregateSqlTest, GroupedAndUngrouped) {
  auto grouped = Query(
      "SELECT g, arg_max(v, k) AS am, arg_min(v, k) AS an, first_value(v, k) AS fv, "
      "last_value_agg(v, k) AS lv, count_if(b) AS ci, count_distinct_agg(v) AS cd, "
      "string_agg(v, '-') AS sa, any_value_det(v) AS av, asof_select(v, k, 2) AS aso "
      "FROM t GROUP BY g ORDER BY g");
  ASSERT_TRUE(grouped.ok()) << grouped.status().ToString();
  EXPECT_EQ(*grouped,
            (std::vector<std::string>{"x|r|p|p|null|2|2|p-p-r|p|p", "y|q|q|q|q|1|2|q-s|q|null",
                                      "z|null|null|null|null|0|0|null|null|null"}));
  auto lists = Query("SELECT g, list_unique(v) AS l FROM t GROUP BY g ORDER BY g");
  ASSERT_TRUE(lists.ok()) << lists.status().ToString();
  EXPECT_EQ(*lists, (std::vector<std::string>{"x|list<item: string>[p, r]",
                                              "y|list<item: string>[q, s]", "z|null"}));
  auto all = Query(
      "SELECT arg_max(v, k) AS am, count_if(b) AS ci, collect_set(v) AS cs, "
      "string_agg(v, ',') AS sa FROM t");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<std::string>{"q|3|list<item: string>[p, q, r, s]|p,p,q,r,s"}));
  auto none = Query("SELECT arg_max(v, k) AS am, count_if(b) AS ci FROM t WHERE k > 100");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, (std::vector<std::string>{"null|0"}));
}

TEST_F(AggregateSqlTest, TypedErrorsAtPlanning) {
  auto arity = Query("SELECT arg_max(v) FROM t");
  ASSERT_FALSE(arity.ok());
  EXPECT_EQ(ErrorCode(arity.status()), "WRONG_ARITY");
  auto type = Query("SELECT arg_max(v, span_make(k, k)) FROM t");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(ErrorCode(type.status()), "TYPE_MISMATCH") << type.status().ToString();
  auto sep = Query("SELECT string_agg(v, g) FROM t WHERE g = 'x' OR g = 'y'");
  ASSERT_FALSE(sep.ok());
  EXPECT_EQ(ErrorCode(sep.status()), "ARGUMENT_NOT_CONSTANT") << sep.status().ToString();
}

}  // namespace
}  // namespace codeanatomy::functions
