// Filters across the plugin ABI (plugin_host/plugin_filters.h): the conjuncts Substrait can
// carry are chosen, serialized as one ExtendedExpression and read back by column name.
#include "plugin_host/plugin_filters.h"

#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <gtest/gtest.h>

namespace codeanatomy::plugin_host {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Schema> TestSchema() {
  return arrow::schema({arrow::field("id", arrow::int64()), arrow::field("p", arrow::utf8())});
}

TEST(PluginFiltersTest, PushableConjunctsRoundTripByName) {
  auto schema = TestSchema();
  cp::Expression filter =
      cp::and_({cp::greater(cp::field_ref("id"), cp::literal(int64_t{3})),
                cp::equal(cp::field_ref("p"), cp::literal("a")),
                cp::call("not_a_function_anywhere", {cp::field_ref("id")}), cp::literal(true)});
  auto conjuncts = PushableConjuncts(filter, schema);
  ASSERT_EQ(conjuncts.size(), 2u);  // the unknown function and `true` stay with the host
  auto bytes = SerializeFilters(conjuncts, schema);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto back = DeserializeFilters((*bytes)->data(), (*bytes)->size(), schema);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  // Read back by name, they mean what was sent: same rows selected on a sample.
  auto ids = arrow::json::ArrayFromJSONString(arrow::int64(), "[1, 4, 5, 9]");
  auto ps = arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["a", "a", "b", null])");
  ASSERT_TRUE(ids.ok() && ps.ok());
  auto batch = arrow::RecordBatch::Make(schema, 4, {*ids, *ps});
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE((*back)[i].ToString().find(i == 0 ? "id" : "p"), std::string::npos);
    auto sent = conjuncts[i];
    auto got = (*back)[i].Bind(*schema);
    ASSERT_TRUE(got.ok());
    auto a = cp::ExecuteScalarExpression(sent, cp::ExecBatch(*batch));
    auto b = cp::ExecuteScalarExpression(*got, cp::ExecBatch(*batch));
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(a->Equals(*b)) << a->ToString() << " vs " << b->ToString();
  }
}

TEST(PluginFiltersTest, EmptyAndInvalidInput) {
  auto schema = TestSchema();
  auto none = DeserializeFilters(nullptr, 0, schema);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  const uint8_t junk[] = {0xff, 0x00, 0x13, 0x37};
  auto bad = DeserializeFilters(junk, sizeof(junk), schema);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(DescribeError(bad.status()).code, "INVALID_FILTERS");
  // Bound to another schema than the table's.
  auto other = arrow::schema({arrow::field("x", arrow::int64())});
  auto bytes = SerializeFilters({cp::greater(cp::field_ref("x"), cp::literal(int64_t{1}))}, other);
  ASSERT_TRUE(bytes.ok());
  auto wrong = DeserializeFilters((*bytes)->data(), (*bytes)->size(), schema);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(DescribeError(wrong.status()).code, "INVALID_FILTERS");
  EXPECT_TRUE(PushableConjuncts(cp::literal(true), schema).empty());
}

}  // namespace
}  // namespace codeanatomy::plugin_host
