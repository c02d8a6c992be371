#include "delta/schema.h"

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>
#include <arrow/util/key_value_metadata.h>
#include <gtest/gtest.h>

#include "common/status.h"

namespace codeanatomy::delta {
namespace {

#define DS_CONCAT_INNER(a, b) a##b
#define DS_CONCAT(a, b) DS_CONCAT_INNER(a, b)
#define DS_ASSIGN_OR_FAIL_IMPL(result, lhs, rexpr)        \
  auto result = (rexpr);                                  \
  ASSERT_TRUE(result.ok()) << result.status().ToString(); \
  lhs = std::move(result).ValueUnsafe()
/// Assigns the value of a Result or fails the test with its status.
#define DS_ASSIGN_OR_FAIL(lhs, rexpr) \
  DS_ASSIGN_OR_FAIL_IMPL(DS_CONCAT(_ds_result_, __COUNTER__), lhs, rexpr)

std::string CodeOf(const Status& status) { return DescribeError(status).code; }

std::shared_ptr<arrow::KeyValueMetadata> Meta(std::vector<std::string> keys,
                                              std::vector<std::string> values) {
  return arrow::key_value_metadata(std::move(keys), std::move(values));
}

std::shared_ptr<arrow::DataType> TimestampUtc() {
  return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
}
std::shared_ptr<arrow::DataType> TimestampNtz() { return arrow::timestamp(arrow::TimeUnit::MICRO); }
std::shared_ptr<arrow::DataType> ListOf(std::shared_ptr<arrow::DataType> type, bool nullable) {
  return arrow::list(arrow::field("element", std::move(type), nullable));
}
std::shared_ptr<arrow::DataType> MapOf(std::shared_ptr<arrow::DataType> key,
                                       std::shared_ptr<arrow::DataType> value, bool nullable) {
  return std::make_shared<arrow::MapType>(arrow::field("key", std::move(key), false),
                                          arrow::field("value", std::move(value), nullable));
}

void ExpectSchemaEquals(const arrow::Schema& actual, const arrow::Schema& expected) {
  EXPECT_TRUE(actual.Equals(expected, /*check_metadata=*/true))
      << "actual:\n"
      << actual.ToString(true) << "\nexpected:\n"
      << expected.ToString(true);
}

// ---------------------------------------------------------------------------------------------
// schemaString <-> Arrow

// Canonical form: compact, keys sorted. Every primitive type, nested struct/array/map, nullability.
constexpr const char* kAllTypesCanonical =
    R"j({"fields":[)j"
    R"j({"metadata":{},"name":"s","nullable":true,"type":"string"},)j"
    R"j({"metadata":{},"name":"l","nullable":false,"type":"long"},)j"
    R"j({"metadata":{},"name":"i","nullable":true,"type":"integer"},)j"
    R"j({"metadata":{},"name":"sh","nullable":true,"type":"short"},)j"
    R"j({"metadata":{},"name":"by","nullable":true,"type":"byte"},)j"
    R"j({"metadata":{},"name":"f","nullable":true,"type":"float"},)j"
    R"j({"metadata":{},"name":"d","nullable":true,"type":"double"},)j"
    R"j({"metadata":{},"name":"bo","nullable":true,"type":"boolean"},)j"
    R"j({"metadata":{},"name":"bi","nullable":true,"type":"binary"},)j"
    R"j({"metadata":{},"name":"da","nullable":true,"type":"date"},)j"
    R"j({"metadata":{},"name":"ts","nullable":true,"type":"timestamp"},)j"
    R"j({"metadata":{},"name":"ntz","nullable":true,"type":"timestamp_ntz"},)j"
    R"j({"metadata":{},"name":"dec","nullable":true,"type":"decimal(38,18)"},)j"
    R"j({"metadata":{},"name":"st","nullable":true,"type":{"fields":[)j"
    R"j({"metadata":{},"name":"x","nullable":false,"type":"integer"},)j"
    R"j({"metadata":{},"name":"inner","nullable":true,"type":{"fields":[)j"
    R"j({"metadata":{},"name":"y","nullable":true,"type":"string"}],"type":"struct"}}],)j"
    R"j("type":"struct"}},)j"
    R"j({"metadata":{},"name":"arr","nullable":true,"type":{"containsNull":false,)j"
    R"j("elementType":"long","type":"array"}},)j"
    R"j({"metadata":{},"name":"nested_arr","nullable":true,"type":{"containsNull":true,)j"
    R"j("elementType":{"containsNull":true,"elementType":{"fields":[)j"
    R"j({"metadata":{},"name":"z","nullable":true,"type":"double"}],"type":"struct"},)j"
    R"j("type":"array"},"type":"array"}},)j"
    R"j({"metadata":{},"name":"m","nullable":true,"type":{"keyType":"string","type":"map",)j"
    R"j("valueContainsNull":false,"valueType":{"keyType":"integer","type":"map",)j"
    R"j("valueContainsNull":true,"valueType":{"containsNull":true,"elementType":"date",)j"
    R"j("type":"array"}}}}],"type":"struct"})j";

std::shared_ptr<arrow::Schema> AllTypesSchema() {
  return arrow::schema({
      arrow::field("s", arrow::utf8()),
      arrow::field("l", arrow::int64(), false),
      arrow::field("i", arrow::int32()),
      arrow::field("sh", arrow::int16()),
      arrow::field("by", arrow::int8()),
      arrow::field("f", arrow::float32()),
      arrow::field("d", arrow::float64()),
      arrow::field("bo", arrow::boolean()),
      arrow::field("bi", arrow::binary()),
      arrow::field("da", arrow::date32()),
      arrow::field("ts", TimestampUtc()),
      arrow::field("ntz", TimestampNtz()),
      arrow::field("dec", arrow::decimal128(38, 18)),
      arrow::field("st", arrow::struct_({arrow::field("x", arrow::int32(), false),
                                         arrow::field("inner", arrow::struct_({arrow::field(
                                                                   "y", arrow::utf8())}))})),
      arrow::field("arr", ListOf(arrow::int64(), false)),
      arrow::field(
          "nested_arr",
          ListOf(ListOf(arrow::struct_({arrow::field("z", arrow::float64())}), true), true)),
      arrow::field("m", MapOf(arrow::utf8(),
                              MapOf(arrow::int32(), ListOf(arrow::date32(), true), true), false)),
  });
}

TEST(DeltaSchemaJsonTest, ReadsEveryTypeAndNesting) {
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kAllTypesCanonical));
  ExpectSchemaEquals(*schema, *AllTypesSchema());
}

TEST(DeltaSchemaJsonTest, WritesTheCanonicalFormByteForByte) {
  DS_ASSIGN_OR_FAIL(auto json, SchemaToDeltaJson(*AllTypesSchema()));
  EXPECT_EQ(json, kAllTypesCanonical);
  DS_ASSIGN_OR_FAIL(auto again, SchemaToDeltaJson(*AllTypesSchema()));
  EXPECT_EQ(again, json);
}

TEST(DeltaSchemaJsonTest, RoundTripsThroughArrow) {
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kAllTypesCanonical));
  DS_ASSIGN_OR_FAIL(auto json, SchemaToDeltaJson(*schema));
  EXPECT_EQ(json, kAllTypesCanonical);
}

// The example of PROTOCOL.md "Schema Serialization Format", pretty-printed as there.
TEST(DeltaSchemaJsonTest, ReadsTheProtocolExample) {
  constexpr const char* kExample = R"j({
  "type" : "struct",
  "fields" : [ {
    "name" : "a", "type" : "integer", "nullable" : false, "metadata" : { }
  }, {
    "name" : "b",
    "type" : { "type" : "struct", "fields" : [ {
        "name" : "d", "type" : "integer", "nullable" : false, "metadata" : { } } ] },
    "nullable" : true, "metadata" : { }
  }, {
    "name" : "c",
    "type" : { "type" : "array", "elementType" : "integer", "containsNull" : false },
    "nullable" : true, "metadata" : { }
  }, {
    "name" : "e",
    "type" : { "type" : "array", "elementType" : { "type" : "struct", "fields" : [ {
          "name" : "d", "type" : "integer", "nullable" : false, "metadata" : { } } ] },
      "containsNull" : true },
    "nullable" : true, "metadata" : { }
  }, {
    "name" : "f",
    "type" : { "type" : "map", "keyType" : "string", "valueType" : "string",
      "valueContainsNull" : true },
    "nullable" : true, "metadata" : { }
  } ]
})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kExample));
  auto d = arrow::field("d", arrow::int32(), false);
  ExpectSchemaEquals(*schema, *arrow::schema({
                                  arrow::field("a", arrow::int32(), false),
                                  arrow::field("b", arrow::struct_({d})),
                                  arrow::field("c", ListOf(arrow::int32(), false)),
                                  arrow::field("e", ListOf(arrow::struct_({d}), true)),
                                  arrow::field("f", MapOf(arrow::utf8(), arrow::utf8(), true)),
                              }));
}

TEST(DeltaSchemaJsonTest, KeepsFieldMetadataWithTypedValuesAsJsonText) {
  // Sorted keys, as the canonical writer emits them. delta.invariants is a string holding JSON;
  // a comment "12" must stay a string; ids, identity values and nested ids are JSON values.
  constexpr const char* kJson =
      R"j({"fields":[{"metadata":{"comment":"12",)j"
      R"j("delta.columnMapping.id":5,)j"
      R"j("delta.columnMapping.nested.ids":{"col-a.element":7},)j"
      R"j("delta.columnMapping.physicalName":"col-a",)j"
      R"j("delta.invariants":"{\"expression\":{\"expression\":\"a > 3\"}}"},)j"
      R"j("name":"a","nullable":true,"type":{"containsNull":true,"elementType":"integer",)j"
      R"j("type":"array"}},)j"
      R"j({"metadata":{"delta.generationExpression":"year(ts)",)j"
      R"j("delta.identity.allowExplicitInsert":false,"delta.identity.start":-1,)j"
      R"j("delta.identity.step":2},"name":"g","nullable":false,"type":"long"}],)j"
      R"j("type":"struct"})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kJson));
  auto expected = arrow::schema({
      arrow::field("a", ListOf(arrow::int32(), true), true,
                   Meta({"comment", "delta.columnMapping.id", "delta.columnMapping.nested.ids",
                         "delta.columnMapping.physicalName", "delta.invariants"},
                        {"12", "5", R"j({"col-a.element":7})j", "col-a",
                         R"j({"expression":{"expression":"a > 3"}})j"})),
      arrow::field("g", arrow::int64(), false,
                   Meta({"delta.generationExpression", "delta.identity.allowExplicitInsert",
                         "delta.identity.start", "delta.identity.step"},
                        {"year(ts)", "false", "-1", "2"})),
  });
  ExpectSchemaEquals(*schema, *expected);
  DS_ASSIGN_OR_FAIL(auto json, SchemaToDeltaJson(*schema));
  EXPECT_EQ(json, kJson);
}

TEST(DeltaSchemaJsonTest, ReadsDecimalSpellings) {
  DS_ASSIGN_OR_FAIL(
      auto schema,
      SchemaFromDeltaJson(R"j({"type":"struct","fields":[)j"
                          R"j({"name":"a","type":"decimal(10, 2)","nullable":true,"metadata":{}},)j"
                          R"j({"name":"b","type":"decimal","nullable":true,"metadata":{}},)j"
                          R"j({"name":"c","type":"decimal(38,0)","nullable":true}]})j"));
  ExpectSchemaEquals(*schema, *arrow::schema({arrow::field("a", arrow::decimal128(10, 2)),
                                              arrow::field("b", arrow::decimal128(10, 0)),
                                              arrow::field("c", arrow::decimal128(38, 0))}));
}

TEST(DeltaSchemaJsonTest, WritesAnyTimeZoneAsTimestamp) {
  auto schema = arrow::schema(
      {arrow::field("t", arrow::timestamp(arrow::TimeUnit::MICRO, "America/New_York"))});
  DS_ASSIGN_OR_FAIL(auto json, SchemaToDeltaJson(*schema));
  EXPECT_EQ(json, R"j({"fields":[{"metadata":{},"name":"t","nullable":true,"type":"timestamp"}],)j"
                  R"j("type":"struct"})j");
}

TEST(DeltaSchemaJsonTest, UnknownTypeNamesTheTypeAndFieldPath) {
  auto status = SchemaFromDeltaJson(
                    R"j({"type":"struct","fields":[{"name":"a","type":{"type":"struct","fields":[)j"
                    R"j({"name":"b","type":{"type":"array","elementType":"interval",)j"
                    R"j("containsNull":true},"nullable":true,"metadata":{}}]},)j"
                    R"j("nullable":true,"metadata":{}}]})j")
                    .status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(CodeOf(status), "UNSUPPORTED_TYPE");
  EXPECT_EQ(DescribeError(status).stage, "delta");
  EXPECT_NE(status.message().find("interval"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("a.b.element"), std::string::npos) << status.message();

  for (const char* type :
       {R"j("void")j", R"j("decimal(39,0)")j", R"j({"type":"udt","class":"x"})j"}) {
    auto st =
        SchemaFromDeltaJson(std::string(R"j({"type":"struct","fields":[{"name":"v","type":)j") +
                            type + R"j(,"nullable":true,"metadata":{}}]})j")
            .status();
    EXPECT_EQ(CodeOf(st), "UNSUPPORTED_TYPE") << type << ": " << st.ToString();
  }
  // Variant (reader feature variantType): its stored value and metadata, for the caller.
  auto variant = SchemaFromDeltaJson(
      R"j({"type":"struct","fields":[{"name":"v","type":"variant","nullable":true,"metadata":{}}]})j");
  ASSERT_TRUE(variant.ok()) << variant.status().ToString();
  EXPECT_EQ((*variant)->field(0)->type()->ToString(),
            "struct<value: binary not null, metadata: binary not null>");
}

TEST(DeltaSchemaJsonTest, MalformedSchemaIsInvalidSchema) {
  for (const char* text :
       {"", "{not json", R"j({"type":"array","elementType":"long"})j", R"j({"type":"struct"})j",
        R"j({"type":"struct","fields":[{"type":"long"}]})j",
        R"j({"type":"struct","fields":[{"name":"x","nullable":true}]})j",
        R"j({"type":"struct","fields":[{"name":"x","type":{"type":"map","keyType":"long"}}]})j",
        R"j({"type":"struct","fields":[{"name":"x","type":"long","metadata":[1]}]})j"}) {
    auto status = SchemaFromDeltaJson(text).status();
    EXPECT_EQ(CodeOf(status), "INVALID_SCHEMA") << text << ": " << status.ToString();
  }
}

TEST(DeltaSchemaJsonTest, WritingAnUnsupportedArrowTypeNamesTheFieldPath) {
  struct Case {
    std::shared_ptr<arrow::DataType> type;
    std::string path;
  };
  for (const auto& c : std::vector<Case>{
           {arrow::large_utf8(), "x"},
           {arrow::uint32(), "x"},
           {arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), "x"},
           {arrow::decimal256(40, 2), "x"},
           {arrow::struct_(
                {arrow::field("y", ListOf(arrow::time64(arrow::TimeUnit::MICRO), true))}),
            "x.y.element"},
       }) {
    auto status = SchemaToDeltaJson(*arrow::schema({arrow::field("x", c.type)})).status();
    ASSERT_FALSE(status.ok()) << c.type->ToString();
    EXPECT_EQ(CodeOf(status), "UNSUPPORTED_TYPE");
    EXPECT_NE(status.message().find("'" + c.path + "'"), std::string::npos) << status.message();
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas of the golden tables (first commit's schemaString, copied verbatim), read by hand.

TEST(DeltaGoldenSchemaTest, DataReaderPrimitives) {
  constexpr const char* kSchema =
      R"j({"type":"struct","fields":[{"name":"as_int","type":"integer","nullable":true,"metadata":{}},{"name":"as_long","type":"long","nullable":true,"metadata":{}},{"name":"as_byte","type":"byte","nullable":true,"metadata":{}},{"name":"as_short","type":"short","nullable":true,"metadata":{}},{"name":"as_boolean","type":"boolean","nullable":true,"metadata":{}},{"name":"as_float","type":"float","nullable":true,"metadata":{}},{"name":"as_double","type":"double","nullable":true,"metadata":{}},{"name":"as_string","type":"string","nullable":true,"metadata":{}},{"name":"as_binary","type":"binary","nullable":true,"metadata":{}},{"name":"as_big_decimal","type":"decimal(1,0)","nullable":true,"metadata":{}}]})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kSchema));
  ExpectSchemaEquals(
      *schema,
      *arrow::schema(
          {arrow::field("as_int", arrow::int32()), arrow::field("as_long", arrow::int64()),
           arrow::field("as_byte", arrow::int8()), arrow::field("as_short", arrow::int16()),
           arrow::field("as_boolean", arrow::boolean()), arrow::field("as_float", arrow::float32()),
           arrow::field("as_double", arrow::float64()), arrow::field("as_string", arrow::utf8()),
           arrow::field("as_binary", arrow::binary()),
           arrow::field("as_big_decimal", arrow::decimal128(1, 0))}));
}

TEST(DeltaGoldenSchemaTest, DataReaderNestedStruct) {
  constexpr const char* kSchema =
      R"j({"type":"struct","fields":[{"name":"a","type":{"type":"struct","fields":[{"name":"aa","type":"string","nullable":true,"metadata":{}},{"name":"ab","type":"string","nullable":true,"metadata":{}},{"name":"ac","type":{"type":"struct","fields":[{"name":"aca","type":"integer","nullable":true,"metadata":{}},{"name":"acb","type":"long","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},{"name":"b","type":"integer","nullable":true,"metadata":{}}]})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kSchema));
  auto ac =
      arrow::struct_({arrow::field("aca", arrow::int32()), arrow::field("acb", arrow::int64())});
  ExpectSchemaEquals(*schema,
                     *arrow::schema({arrow::field("a", arrow::struct_({
                                                           arrow::field("aa", arrow::utf8()),
                                                           arrow::field("ab", arrow::utf8()),
                                                           arrow::field("ac", ac),
                                                       })),
                                     arrow::field("b", arrow::int32())}));
}

TEST(DeltaGoldenSchemaTest, DataReaderMap) {
  constexpr const char* kSchema =
      R"j({"type":"struct","fields":[{"name":"i","type":"integer","nullable":true,"metadata":{}},{"name":"a","type":{"type":"map","keyType":"integer","valueType":"integer","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"b","type":{"type":"map","keyType":"long","valueType":"byte","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"c","type":{"type":"map","keyType":"short","valueType":"boolean","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"d","type":{"type":"map","keyType":"float","valueType":"double","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"e","type":{"type":"map","keyType":"string","valueType":"decimal(1,0)","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"f","type":{"type":"map","keyType":"integer","valueType":{"type":"array","elementType":{"type":"struct","fields":[{"name":"val","type":"integer","nullable":true,"metadata":{}}]},"containsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{}}]})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kSchema));
  ExpectSchemaEquals(
      *schema,
      *arrow::schema({
          arrow::field("i", arrow::int32()),
          arrow::field("a", MapOf(arrow::int32(), arrow::int32(), true)),
          arrow::field("b", MapOf(arrow::int64(), arrow::int8(), true)),
          arrow::field("c", MapOf(arrow::int16(), arrow::boolean(), true)),
          arrow::field("d", MapOf(arrow::float32(), arrow::float64(), true)),
          arrow::field("e", MapOf(arrow::utf8(), arrow::decimal128(1, 0), true)),
          arrow::field(
              "f",
              MapOf(arrow::int32(),
                    ListOf(arrow::struct_({arrow::field("val", arrow::int32())}), true), true)),
      }));
}

TEST(DeltaGoldenSchemaTest, DataReaderArrayPrimitivesFirstAndLastColumns) {
  // The table has ten array columns of each primitive; the first and last are pinned here.
  constexpr const char* kSchema =
      R"j({"type":"struct","fields":[{"name":"as_array_int","type":{"type":"array","elementType":"integer","containsNull":true},"nullable":true,"metadata":{}},{"name":"as_array_big_decimal","type":{"type":"array","elementType":"decimal(1,0)","containsNull":true},"nullable":true,"metadata":{}}]})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kSchema));
  ExpectSchemaEquals(
      *schema, *arrow::schema(
                   {arrow::field("as_array_int", ListOf(arrow::int32(), true)),
                    arrow::field("as_array_big_decimal", ListOf(arrow::decimal128(1, 0), true))}));
}

TEST(DeltaGoldenSchemaTest, DataReaderTimestampNtz) {
  constexpr const char* kSchema =
      R"j({"type":"struct","fields":[{"name":"id","type":"integer","nullable":true,"metadata":{}},{"name":"tsNtz","type":"timestamp_ntz","nullable":true,"metadata":{}},{"name":"tsNtzPartition","type":"timestamp_ntz","nullable":true,"metadata":{}}]})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kSchema));
  ExpectSchemaEquals(*schema, *arrow::schema({arrow::field("id", arrow::int32()),
                                              arrow::field("tsNtz", TimestampNtz()),
                                              arrow::field("tsNtzPartition", TimestampNtz())}));
}

TEST(DeltaGoldenSchemaTest, BasicDecimalTable) {
  constexpr const char* kSchema =
      R"j({"type":"struct","fields":[{"name":"part","type":"decimal(12,5)","nullable":true,"metadata":{}},{"name":"col1","type":"decimal(5,2)","nullable":true,"metadata":{}},{"name":"col2","type":"decimal(10,5)","nullable":true,"metadata":{}},{"name":"col3","type":"decimal(20,10)","nullable":true,"metadata":{}}]})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kSchema));
  ExpectSchemaEquals(*schema, *arrow::schema({arrow::field("part", arrow::decimal128(12, 5)),
                                              arrow::field("col1", arrow::decimal128(5, 2)),
                                              arrow::field("col2", arrow::decimal128(10, 5)),
                                              arrow::field("col3", arrow::decimal128(20, 10))}));
}

// table-with-columnmapping-mode-id: five of its columns. The physical schema expected below is
// the one of the table's Parquet files (names and field ids read from a data file's footer).
constexpr const char* kColumnMappingIdSchema =
    R"j({"type":"struct","fields":[{"name":"ByteType","type":"byte","nullable":true,"metadata":{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-adb3ab8f-9a6d-4f44-abb3-cf411d800e5f"}},{"name":"TimestampType","type":"timestamp","nullable":true,"metadata":{"delta.columnMapping.id":12,"delta.columnMapping.physicalName":"col-f29ec8fb-9484-4812-a396-0b2fd1912807"}},{"name":"nested_struct","type":{"type":"struct","fields":[{"name":"aa","type":"string","nullable":true,"metadata":{"delta.columnMapping.id":14,"delta.columnMapping.physicalName":"col-90dee9a2-cdfc-4ea5-aebd-5cc4a125df4d"}},{"name":"ac","type":{"type":"struct","fields":[{"name":"aca","type":"integer","nullable":true,"metadata":{"delta.columnMapping.id":16,"delta.columnMapping.physicalName":"col-c091fdeb-7cca-4849-912d-5f77fa400933"}}]},"nullable":true,"metadata":{"delta.columnMapping.id":15,"delta.columnMapping.physicalName":"col-6551e960-1c32-4bf2-bd5b-1f57180d25f7"}}]},"nullable":true,"metadata":{"delta.columnMapping.id":13,"delta.columnMapping.physicalName":"col-ab01c262-302d-4162-be9c-98d905966527"}},{"name":"array_of_structs","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"ab","type":"long","nullable":true,"metadata":{"delta.columnMapping.id":20,"delta.columnMapping.physicalName":"col-e983d1fc-d588-46a7-a0ad-2f63a6834ea6"}}]},"containsNull":true},"nullable":true,"metadata":{"delta.columnMapping.id":19,"delta.columnMapping.physicalName":"col-b89fd303-7352-4044-842e-87f428ee80be"}},{"name":"map_of_rows","type":{"type":"map","keyType":"integer","valueType":{"type":"struct","fields":[{"name":"ab","type":"long","nullable":true,"metadata":{"delta.columnMapping.id":23,"delta.columnMapping.physicalName":"col-43f9ca1b-82fe-4ad7-9e5a-1af143d2abf4"}}]},"valueContainsNull":true},"nullable":true,"metadata":{"delta.columnMapping.id":22,"delta.columnMapping.physicalName":"col-43b81fe9-ba74-40a8-8f0b-f27aaf2c2f5b"}}]})j";

// A field's name, and its Parquet field id or -1.
struct PhysicalNode {
  std::string name;
  int field_id;
};

PhysicalNode NodeOf(const arrow::Field& field) {
  int id = -1;
  if (field.metadata()) {
    if (auto text = field.metadata()->Get("PARQUET:field_id"); text.ok()) id = std::stoi(*text);
  }
  return {field.name(), id};
}

void ExpectNode(const std::shared_ptr<arrow::Field>& field, const std::string& name, int id) {
  ASSERT_NE(field, nullptr);
  PhysicalNode node = NodeOf(*field);
  EXPECT_EQ(node.name, name);
  EXPECT_EQ(node.field_id, id) << name;
}

TEST(DeltaGoldenSchemaTest, ColumnMappingIdLogicalSchema) {
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kColumnMappingIdSchema));
  ASSERT_EQ(schema->num_fields(), 5);
  EXPECT_EQ(schema->field(0)->name(), "ByteType");
  EXPECT_TRUE(schema->field(1)->type()->Equals(TimestampUtc()));
  EXPECT_EQ(schema->field(2)->metadata()->Get(kPhysicalNameKey).ValueOrDie(),
            "col-ab01c262-302d-4162-be9c-98d905966527");
  EXPECT_EQ(schema->field(2)->metadata()->Get(kColumnIdKey).ValueOrDie(), "13");
  EXPECT_EQ(schema->field(3)->type()->field(0)->type()->field(0)->name(), "ab");
}

TEST(DeltaGoldenSchemaTest, ColumnMappingIdPhysicalSchemaMatchesTheParquetFiles) {
  DS_ASSIGN_OR_FAIL(auto logical, SchemaFromDeltaJson(kColumnMappingIdSchema));
  DS_ASSIGN_OR_FAIL(auto physical, PhysicalSchema(*logical, ColumnMappingMode::kId));
  ExpectNode(physical->field(0), "col-adb3ab8f-9a6d-4f44-abb3-cf411d800e5f", 1);
  ExpectNode(physical->field(1), "col-f29ec8fb-9484-4812-a396-0b2fd1912807", 12);
  const auto& nested = physical->field(2);
  ExpectNode(nested, "col-ab01c262-302d-4162-be9c-98d905966527", 13);
  ExpectNode(nested->type()->field(0), "col-90dee9a2-cdfc-4ea5-aebd-5cc4a125df4d", 14);
  ExpectNode(nested->type()->field(1), "col-6551e960-1c32-4bf2-bd5b-1f57180d25f7", 15);
  ExpectNode(nested->type()->field(1)->type()->field(0), "col-c091fdeb-7cca-4849-912d-5f77fa400933",
             16);
  const auto& array = physical->field(3);
  ExpectNode(array, "col-b89fd303-7352-4044-842e-87f428ee80be", 19);
  ExpectNode(array->type()->field(0), "element", -1);
  ExpectNode(array->type()->field(0)->type()->field(0), "col-e983d1fc-d588-46a7-a0ad-2f63a6834ea6",
             20);
  const auto& map = physical->field(4);
  ExpectNode(map, "col-43b81fe9-ba74-40a8-8f0b-f27aaf2c2f5b", 22);
  const auto& map_type = static_cast<const arrow::MapType&>(*map->type());
  ExpectNode(map_type.key_field(), "key", -1);
  ExpectNode(map_type.item_field(), "value", -1);
  ExpectNode(map_type.item_type()->field(0), "col-43f9ca1b-82fe-4ad7-9e5a-1af143d2abf4", 23);
  // Types and nullability are untouched.
  EXPECT_TRUE(physical->field(1)->type()->Equals(TimestampUtc()));
  EXPECT_TRUE(map_type.key_type()->Equals(arrow::int32()));
}

// ---------------------------------------------------------------------------------------------
// Column mapping

TEST(ColumnMappingModeTest, ParsesTheTableProperty) {
  const std::string none = "none", name = "name", id = "ID", bad = "names";
  EXPECT_EQ(ParseColumnMappingMode(nullptr).ValueOrDie(), ColumnMappingMode::kNone);
  EXPECT_EQ(ParseColumnMappingMode(&none).ValueOrDie(), ColumnMappingMode::kNone);
  EXPECT_EQ(ParseColumnMappingMode(&name).ValueOrDie(), ColumnMappingMode::kName);
  EXPECT_EQ(ParseColumnMappingMode(&id).ValueOrDie(), ColumnMappingMode::kId);
  auto status = ParseColumnMappingMode(&bad).status();
  EXPECT_EQ(CodeOf(status), "INVALID_COLUMN_MAPPING_MODE");
  EXPECT_NE(status.message().find("names"), std::string::npos);
}

std::shared_ptr<arrow::KeyValueMetadata> Mapping(const std::string& physical, int id) {
  return Meta({std::string(kColumnIdKey), std::string(kPhysicalNameKey)},
              {std::to_string(id), physical});
}

// a: struct<b: int, c: list<struct<d: string>>>, m: map<string, struct<e: long>>, p: int
std::shared_ptr<arrow::Schema> MappedSchema() {
  auto d = arrow::field("d", arrow::utf8(), true, Mapping("phys-d", 4));
  auto c = arrow::field("c", ListOf(arrow::struct_({d}), true), true, Mapping("phys-c", 3));
  auto b = arrow::field("b", arrow::int32(), false, Mapping("phys-b", 2));
  auto e = arrow::field("e", arrow::int64(), true, Mapping("phys-e", 6));
  return arrow::schema({
      arrow::field("a", arrow::struct_({b, c}), true, Mapping("phys-a", 1)),
      arrow::field("m", MapOf(arrow::utf8(), arrow::struct_({e}), true), true,
                   Mapping("phys-m", 5)),
      arrow::field("p", arrow::int32(), true, Mapping("phys-p", 7)),
  });
}

TEST(PhysicalSchemaTest, NoneModeKeepsTheLogicalSchema) {
  auto logical = MappedSchema();
  DS_ASSIGN_OR_FAIL(auto physical, PhysicalSchema(*logical, ColumnMappingMode::kNone));
  ExpectSchemaEquals(*physical, *logical);
  // Even without any column mapping metadata.
  auto plain = arrow::schema({arrow::field("x", arrow::int32())});
  DS_ASSIGN_OR_FAIL(auto same, PhysicalSchema(*plain, ColumnMappingMode::kNone));
  ExpectSchemaEquals(*same, *plain);
}

TEST(PhysicalSchemaTest, NameModeRenamesEveryStructFieldAtAnyDepth) {
  DS_ASSIGN_OR_FAIL(auto physical, PhysicalSchema(*MappedSchema(), ColumnMappingMode::kName));
  ASSERT_EQ(physical->num_fields(), 3);
  const auto& a = physical->field(0);
  ExpectNode(a, "phys-a", -1);
  ExpectNode(a->type()->field(0), "phys-b", -1);
  EXPECT_FALSE(a->type()->field(0)->nullable());
  const auto& c = a->type()->field(1);
  ExpectNode(c, "phys-c", -1);
  ExpectNode(c->type()->field(0), "element", -1);
  ExpectNode(c->type()->field(0)->type()->field(0), "phys-d", -1);
  const auto& m = physical->field(1);
  ExpectNode(m, "phys-m", -1);
  const auto& map_type = static_cast<const arrow::MapType&>(*m->type());
  ExpectNode(map_type.item_type()->field(0), "phys-e", -1);
  ExpectNode(physical->field(2), "phys-p", -1);
  // Logical metadata is kept on the physical fields.
  EXPECT_EQ(physical->field(2)->metadata()->Get(kColumnIdKey).ValueOrDie(), "7");
}

TEST(PhysicalSchemaTest, IdModeSetsParquetFieldIdsAtAnyDepth) {
  DS_ASSIGN_OR_FAIL(auto physical, PhysicalSchema(*MappedSchema(), ColumnMappingMode::kId));
  const auto& a = physical->field(0);
  ExpectNode(a, "phys-a", 1);
  ExpectNode(a->type()->field(0), "phys-b", 2);
  ExpectNode(a->type()->field(1), "phys-c", 3);
  ExpectNode(a->type()->field(1)->type()->field(0)->type()->field(0), "phys-d", 4);
  ExpectNode(physical->field(1), "phys-m", 5);
  const auto& map_type = static_cast<const arrow::MapType&>(*physical->field(1)->type());
  ExpectNode(map_type.item_type()->field(0), "phys-e", 6);
  ExpectNode(physical->field(2), "phys-p", 7);
}

TEST(PhysicalSchemaTest, IdModeGivesListElementsAndMapEntriesTheirNestedIds) {
  // IcebergCompatV2: ids of elements/keys/values live on the nearest struct field, keyed by the
  // physical path below it.
  auto nested_list = arrow::field(
      "l", ListOf(ListOf(arrow::int32(), true), true), true,
      Meta({std::string(kColumnIdKey), std::string(kNestedIdsKey), std::string(kPhysicalNameKey)},
           {"1", R"j({"col-l.element":10,"col-l.element.element":11})j", "col-l"}));
  auto map = arrow::field(
      "m", MapOf(arrow::utf8(), arrow::int64(), true), true,
      Meta({std::string(kColumnIdKey), std::string(kNestedIdsKey), std::string(kPhysicalNameKey)},
           {"2", R"j({"col-m.key":12,"col-m.value":13})j", "col-m"}));
  auto logical = arrow::schema({nested_list, map});
  DS_ASSIGN_OR_FAIL(auto physical, PhysicalSchema(*logical, ColumnMappingMode::kId));
  const auto& outer = physical->field(0)->type()->field(0);
  ExpectNode(outer, "element", 10);
  ExpectNode(outer->type()->field(0), "element", 11);
  const auto& map_type = static_cast<const arrow::MapType&>(*physical->field(1)->type());
  ExpectNode(map_type.key_field(), "key", 12);
  ExpectNode(map_type.item_field(), "value", 13);
  // Name mode does not set ids, nested or not.
  DS_ASSIGN_OR_FAIL(auto by_name, PhysicalSchema(*logical, ColumnMappingMode::kName));
  ExpectNode(by_name->field(0)->type()->field(0), "element", -1);
}

TEST(PhysicalSchemaTest, MissingPhysicalNameNamesTheNestedField) {
  auto d = arrow::field("d", arrow::utf8());  // no mapping metadata
  auto logical = arrow::schema(
      {arrow::field("a", ListOf(arrow::struct_({d}), true), true, Mapping("phys-a", 1))});
  for (auto mode : {ColumnMappingMode::kName, ColumnMappingMode::kId}) {
    auto status = PhysicalSchema(*logical, mode).status();
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(CodeOf(status), "MISSING_PHYSICAL_NAME");
    EXPECT_NE(status.message().find("'a.element.d'"), std::string::npos) << status.message();
    EXPECT_NE(DescribeError(status).details_json.find("a.element.d"), std::string::npos);
  }
}

TEST(PhysicalSchemaTest, IdModeNeedsColumnIds) {
  auto logical = arrow::schema(
      {arrow::field("x", arrow::int32(), true, Meta({std::string(kPhysicalNameKey)}, {"col-x"}))});
  DS_ASSIGN_OR_FAIL(auto by_name, PhysicalSchema(*logical, ColumnMappingMode::kName));
  EXPECT_EQ(by_name->field(0)->name(), "col-x");
  auto status = PhysicalSchema(*logical, ColumnMappingMode::kId).status();
  EXPECT_EQ(CodeOf(status), "MISSING_FIELD_ID");
  EXPECT_NE(status.message().find("'x'"), std::string::npos) << status.message();
}

// ---------------------------------------------------------------------------------------------
// Partition values

std::shared_ptr<arrow::Scalar> ParseOk(const std::optional<std::string>& value,
                                       const std::shared_ptr<arrow::DataType>& type) {
  auto result = ParsePartitionValue(value, type);
  EXPECT_TRUE(result.ok()) << (value ? *value : "<null>") << " as " << type->ToString() << ": "
                           << result.status().ToString();
  return result.ok() ? *result : nullptr;
}

void ExpectScalar(const std::shared_ptr<arrow::Scalar>& actual, const arrow::Scalar& expected) {
  ASSERT_NE(actual, nullptr);
  EXPECT_TRUE(actual->Equals(expected))
      << actual->ToString() << " (" << actual->type->ToString() << ") vs " << expected.ToString()
      << " (" << expected.type->ToString() << ")";
}

arrow::Decimal128Scalar Dec(const std::string& text, int32_t precision, int32_t scale) {
  arrow::Decimal128 value;
  int32_t p = 0, s = 0;
  EXPECT_TRUE(arrow::Decimal128::FromString(text, &value, &p, &s).ok());
  return arrow::Decimal128Scalar(value.Rescale(s, scale).ValueOrDie(),
                                 arrow::decimal128(precision, scale));
}

TEST(PartitionValueTest, ParsesEveryType) {
  ExpectScalar(ParseOk("abc", arrow::utf8()), arrow::StringScalar("abc"));
  ExpectScalar(ParseOk("-128", arrow::int8()), arrow::Int8Scalar(-128));
  ExpectScalar(ParseOk("32767", arrow::int16()), arrow::Int16Scalar(32767));
  ExpectScalar(ParseOk("-7", arrow::int32()), arrow::Int32Scalar(-7));
  ExpectScalar(ParseOk("9223372036854775807", arrow::int64()),
               arrow::Int64Scalar(9223372036854775807LL));
  ExpectScalar(ParseOk("1.5", arrow::float32()), arrow::FloatScalar(1.5f));
  ExpectScalar(ParseOk("0.0", arrow::float64()), arrow::DoubleScalar(0.0));
  ExpectScalar(ParseOk("1.0E10", arrow::float64()), arrow::DoubleScalar(1e10));
  ExpectScalar(ParseOk("-Infinity", arrow::float64()),
               arrow::DoubleScalar(-std::numeric_limits<double>::infinity()));
  auto nan = ParseOk("NaN", arrow::float64());
  ASSERT_NE(nan, nullptr);
  EXPECT_TRUE(std::isnan(static_cast<const arrow::DoubleScalar&>(*nan).value));
  ExpectScalar(ParseOk("true", arrow::boolean()), arrow::BooleanScalar(true));
  ExpectScalar(ParseOk("FALSE", arrow::boolean()), arrow::BooleanScalar(false));
  ExpectScalar(ParseOk("2021-09-08", arrow::date32()), arrow::Date32Scalar(18878));
  ExpectScalar(ParseOk("1969-12-31", arrow::date32()), arrow::Date32Scalar(-1));
  ExpectScalar(ParseOk("2024-02-29", arrow::date32()), arrow::Date32Scalar(19782));
  ExpectScalar(ParseOk(std::string("\x01\x02\x00\xff", 4), arrow::binary()),
               arrow::BinaryScalar(arrow::Buffer::FromString(std::string("\x01\x02\x00\xff", 4))));
}

TEST(PartitionValueTest, NullAndEmptyAreSqlNullButTheWordNullIsAString) {
  for (const auto& type : {arrow::utf8(), arrow::int32(), arrow::date32(), TimestampUtc(),
                           arrow::decimal128(5, 2), arrow::binary(), arrow::boolean()}) {
    auto absent = ParseOk(std::nullopt, type);
    ASSERT_NE(absent, nullptr);
    EXPECT_FALSE(absent->is_valid);
    EXPECT_TRUE(absent->type->Equals(type));
    auto empty = ParseOk("", type);
    ASSERT_NE(empty, nullptr);
    EXPECT_FALSE(empty->is_valid) << type->ToString();
  }
  // data-reader-partition-values: as_string_lit_null is the string "null".
  ExpectScalar(ParseOk("null", arrow::utf8()), arrow::StringScalar("null"));
}

TEST(PartitionValueTest, KeepsEscapedStringsVerbatim) {
  // The JSON layer has unescaped them already: every byte is part of the value.
  for (const std::string text : {"a/b=c", "100%", "sp ace", "quote\"d", "tab\there", "ü€😀",
                                 "__HIVE_DEFAULT_PARTITION__", "back\\slash"}) {
    ExpectScalar(ParseOk(text, arrow::utf8()), arrow::StringScalar(text));
    DS_ASSIGN_OR_FAIL(auto formatted, FormatPartitionValue(arrow::StringScalar(text)));
    EXPECT_EQ(formatted, text);
  }
}

TEST(PartitionValueTest, ParsesTimestampsInBothSpellings) {
  auto utc = TimestampUtc();
  // data-reader-partition-values: "2021-09-08 11:11:11", no zone: UTC.
  ExpectScalar(ParseOk("2021-09-08 11:11:11", utc), arrow::TimestampScalar(1631099471000000, utc));
  ExpectScalar(ParseOk("2021-09-08T11:11:11Z", utc), arrow::TimestampScalar(1631099471000000, utc));
  ExpectScalar(ParseOk("2021-09-08T11:11:11.000000Z", utc),
               arrow::TimestampScalar(1631099471000000, utc));
  ExpectScalar(ParseOk("2013-07-05 17:01:00.123456", utc),
               arrow::TimestampScalar(1373043660123456, utc));
  ExpectScalar(ParseOk("2013-07-05T17:01:00.123456Z", utc),
               arrow::TimestampScalar(1373043660123456, utc));
  ExpectScalar(ParseOk("2013-07-05 17:01:00.1", utc),
               arrow::TimestampScalar(1373043660100000, utc));
  ExpectScalar(ParseOk("1969-12-31 23:59:59.999999", utc), arrow::TimestampScalar(-1, utc));
  // Offsets are applied: 12:00 at +05:30 is 06:30 UTC; 00:00 at -08:00 is 08:00 UTC.
  ExpectScalar(ParseOk("2024-02-29T12:00:00+05:30", utc),
               arrow::TimestampScalar(1709188200000000, utc));
  ExpectScalar(ParseOk("2000-01-01T00:00:00.000-08:00", utc),
               arrow::TimestampScalar(946713600000000, utc));
  // Nanosecond digits are accepted when they are zero.
  ExpectScalar(ParseOk("2013-07-05 17:01:00.123456000", utc),
               arrow::TimestampScalar(1373043660123456, utc));

  // timestamp_ntz: wall clock, no shift (data-reader-timestamp_ntz partition values).
  auto ntz = TimestampNtz();
  ExpectScalar(ParseOk("2013-07-05 17:01:00.123456", ntz),
               arrow::TimestampScalar(1373043660123456, ntz));
  ExpectScalar(ParseOk("2021-11-18 02:30:00.123456", ntz),
               arrow::TimestampScalar(1637202600123456, ntz));
  ExpectScalar(ParseOk("2021-11-18T02:30:00.123456", ntz),
               arrow::TimestampScalar(1637202600123456, ntz));

  // Other units of the Arrow type.
  auto ms = arrow::timestamp(arrow::TimeUnit::MILLI, "UTC");
  ExpectScalar(ParseOk("2021-09-08 11:11:11.5", ms), arrow::TimestampScalar(1631099471500, ms));
}

TEST(PartitionValueTest, ParsesDecimalsIncludingNegativeAndRescaled) {
  auto type = arrow::decimal128(12, 5);
  ExpectScalar(ParseOk("-1.23456", type), Dec("-1.23456", 12, 5));
  ExpectScalar(ParseOk("-0.5", type), Dec("-0.50000", 12, 5));
  ExpectScalar(ParseOk("1234567", type), Dec("1234567.00000", 12, 5));
  ExpectScalar(ParseOk("1.5E+2", type), Dec("150.00000", 12, 5));
  ExpectScalar(ParseOk("0", arrow::decimal128(1, 0)), Dec("0", 1, 0));
  ExpectScalar(ParseOk("-99999999999999999999.999999999999999999", arrow::decimal128(38, 18)),
               Dec("-99999999999999999999.999999999999999999", 38, 18));
}

TEST(PartitionValueTest, MalformedValuesNameValueAndType) {
  struct Case {
    std::string value;
    std::shared_ptr<arrow::DataType> type;
  };
  for (const auto& c : std::vector<Case>{
           {"128", arrow::int8()},
           {"1.5", arrow::int32()},
           {"12abc", arrow::int64()},
           {" 1", arrow::int32()},
           {"x", arrow::float64()},
           {"yes", arrow::boolean()},
           {"1.234", arrow::decimal128(5, 2)},    // would lose a digit
           {"12345.6", arrow::decimal128(5, 2)},  // too many digits
           {"abc", arrow::decimal128(5, 2)},
           {"2021-02-30", arrow::date32()},
           {"2021-9-8", arrow::date32()},
           {"2021-09-08 11:11:11", arrow::date32()},
           {"2021-09-08 25:00:00", TimestampUtc()},
           {"2021-09-08 11:11:11.1234567", TimestampUtc()},  // below a microsecond
           {"2021-09-08T11:11:11+01:00", TimestampNtz()},    // offsets only for timestamp
           {"2021-09-08T11:11:11Zjunk", TimestampUtc()},
           {"yesterday", TimestampUtc()},
       }) {
    auto status = ParsePartitionValue(c.value, c.type).status();
    ASSERT_FALSE(status.ok()) << c.value << " as " << c.type->ToString();
    EXPECT_EQ(CodeOf(status), "INVALID_PARTITION_VALUE") << status.ToString();
    EXPECT_NE(status.message().find(c.value), std::string::npos) << status.message();
    EXPECT_NE(status.message().find(c.type->ToString()), std::string::npos) << status.message();
  }
  auto unsupported = ParsePartitionValue("1", arrow::uint16()).status();
  EXPECT_EQ(CodeOf(unsupported), "UNSUPPORTED_TYPE");
}

std::optional<std::string> Format(const arrow::Scalar& scalar) {
  auto result = FormatPartitionValue(scalar);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : std::optional<std::string>("<error>");
}

TEST(PartitionValueTest, FormatsEveryType) {
  EXPECT_EQ(Format(arrow::StringScalar("a b")), "a b");
  EXPECT_EQ(Format(arrow::Int8Scalar(-128)), "-128");
  EXPECT_EQ(Format(arrow::Int16Scalar(7)), "7");
  EXPECT_EQ(Format(arrow::Int32Scalar(-2147483647 - 1)), "-2147483648");
  EXPECT_EQ(Format(arrow::Int64Scalar(9223372036854775807LL)), "9223372036854775807");
  EXPECT_EQ(Format(arrow::FloatScalar(0.1f)), "0.1");
  EXPECT_EQ(Format(arrow::DoubleScalar(1.0)), "1.0");
  EXPECT_EQ(Format(arrow::DoubleScalar(-0.25)), "-0.25");
  EXPECT_EQ(Format(arrow::DoubleScalar(std::numeric_limits<double>::infinity())), "Infinity");
  EXPECT_EQ(Format(arrow::DoubleScalar(std::nan(""))), "NaN");
  EXPECT_EQ(Format(arrow::BooleanScalar(true)), "true");
  EXPECT_EQ(Format(Dec("-1.5", 10, 2)), "-1.50");
  EXPECT_EQ(Format(Dec("-0.05", 10, 2)), "-0.05");
  EXPECT_EQ(Format(Dec("0.0000000001", 20, 10)), "0.0000000001");
  EXPECT_EQ(Format(Dec("42", 5, 0)), "42");
  EXPECT_EQ(Format(arrow::Date32Scalar(18878)), "2021-09-08");
  EXPECT_EQ(Format(arrow::Date32Scalar(-1)), "1969-12-31");
  EXPECT_EQ(Format(arrow::TimestampScalar(1373043660123456, TimestampNtz())),
            "2013-07-05 17:01:00.123456");
  EXPECT_EQ(Format(arrow::TimestampScalar(-1, TimestampNtz())), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(Format(arrow::TimestampScalar(1631099471000000, TimestampUtc())),
            "2021-09-08T11:11:11.000000Z");
  EXPECT_EQ(Format(arrow::BinaryScalar(arrow::Buffer::FromString(std::string("\x01\x00", 2)))),
            std::string("\x01\x00", 2));
  EXPECT_EQ(Format(*arrow::MakeNullScalar(arrow::int32())), std::nullopt);
  EXPECT_EQ(Format(*arrow::MakeNullScalar(TimestampUtc())), std::nullopt);
  EXPECT_EQ(CodeOf(FormatPartitionValue(arrow::UInt8Scalar(1)).status()), "UNSUPPORTED_TYPE");
}

TEST(PartitionValueTest, FormatThenParseRoundTrips) {
  std::vector<std::shared_ptr<arrow::Scalar>> values = {
      std::make_shared<arrow::StringScalar>("x=1/y"),
      std::make_shared<arrow::Int8Scalar>(-5),
      std::make_shared<arrow::Int64Scalar>(-9223372036854775807LL - 1),
      std::make_shared<arrow::FloatScalar>(3.4028235e38f),
      std::make_shared<arrow::DoubleScalar>(0.1 + 0.2),
      std::make_shared<arrow::DoubleScalar>(-1e300),
      std::make_shared<arrow::BooleanScalar>(false),
      std::make_shared<arrow::Decimal128Scalar>(Dec("-12345.67890", 12, 5)),
      std::make_shared<arrow::Date32Scalar>(-719162),  // 0001-01-01
      std::make_shared<arrow::TimestampScalar>(1637202600123456, TimestampNtz()),
      std::make_shared<arrow::TimestampScalar>(-62135596800000000, TimestampUtc()),
      arrow::MakeNullScalar(arrow::float64()),
  };
  for (const auto& value : values) {
    DS_ASSIGN_OR_FAIL(auto text, FormatPartitionValue(*value));
    DS_ASSIGN_OR_FAIL(auto back, ParsePartitionValue(text, value->type));
    EXPECT_TRUE(back->Equals(*value))
        << value->ToString() << " -> " << text.value_or("<null>") << " -> " << back->ToString();
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

std::shared_ptr<arrow::Schema> AllStatsTypesSchema() {
  return arrow::schema(
      {arrow::field("as_int", arrow::int32()), arrow::field("as_long", arrow::int64()),
       arrow::field("as_byte", arrow::int8()), arrow::field("as_short", arrow::int16()),
       arrow::field("as_float", arrow::float32()), arrow::field("as_double", arrow::float64()),
       arrow::field("as_string", arrow::utf8()), arrow::field("as_date", arrow::date32()),
       arrow::field("as_timestamp", TimestampUtc()),
       arrow::field("as_big_decimal", arrow::decimal128(1, 0))});
}

TEST(FileStatsTest, ReadsTheStatsOfDataSkippingBasicStatsAllTypes) {
  // The first add action's stats of data-skipping-basic-stats-all-types.
  constexpr const char* kStats =
      R"j({"numRecords":1,"minValues":{"as_int":0,"as_long":0,"as_byte":0,"as_short":0,"as_float":0.0,"as_double":0.0,"as_string":"0","as_date":"2000-01-01","as_timestamp":"2000-01-01T00:00:00.000-08:00","as_big_decimal":0},"maxValues":{"as_int":0,"as_long":0,"as_byte":0,"as_short":0,"as_float":0.0,"as_double":0.0,"as_string":"0","as_date":"2000-01-01","as_timestamp":"2000-01-01T00:00:00.000-08:00","as_big_decimal":0},"nullCount":{"as_int":0,"as_long":0,"as_byte":0,"as_short":0,"as_float":0,"as_double":0,"as_string":0,"as_date":0,"as_timestamp":0,"as_big_decimal":0}})j";
  DS_ASSIGN_OR_FAIL(auto stats, ParseFileStats(kStats, *AllStatsTypesSchema()));
  EXPECT_EQ(stats.num_records, 1);
  ASSERT_EQ(stats.columns.size(), 10u);
  for (const auto& [path, column] : stats.columns) {
    EXPECT_NE(column.min, nullptr) << path;
    EXPECT_NE(column.max, nullptr) << path;
    EXPECT_EQ(column.null_count, 0) << path;
  }
  ExpectScalar(stats.columns["as_int"].min, arrow::Int32Scalar(0));
  ExpectScalar(stats.columns["as_byte"].max, arrow::Int8Scalar(0));
  ExpectScalar(stats.columns["as_float"].min, arrow::FloatScalar(0.0f));
  ExpectScalar(stats.columns["as_string"].min, arrow::StringScalar("0"));
  ExpectScalar(stats.columns["as_date"].max, arrow::Date32Scalar(10957));
  ExpectScalar(stats.columns["as_timestamp"].min,
               arrow::TimestampScalar(946713600000000, TimestampUtc()));
  ExpectScalar(stats.columns["as_big_decimal"].max, Dec("0", 1, 0));
}

TEST(FileStatsTest, ReadsNestedColumnsByPhysicalNameUnderColumnMapping) {
  // Three columns of table-with-columnmapping-mode-name and its first add's stats for them.
  constexpr const char* kSchema =
      R"j({"type":"struct","fields":[{"name":"decimal","type":"decimal(10,2)","nullable":true,"metadata":{"delta.columnMapping.id":7,"delta.columnMapping.physicalName":"col-fe8ada24-f4e7-47c0-8b04-8207c427b232"}},{"name":"TimestampType","type":"timestamp","nullable":true,"metadata":{"delta.columnMapping.id":12,"delta.columnMapping.physicalName":"col-0b5309e1-aa86-4b87-8518-140cde5402c9"}},{"name":"nested_struct","type":{"type":"struct","fields":[{"name":"aa","type":"string","nullable":true,"metadata":{"delta.columnMapping.id":14,"delta.columnMapping.physicalName":"col-b70f7585-aae4-4c91-befe-d4b958dc4b38"}},{"name":"ac","type":{"type":"struct","fields":[{"name":"aca","type":"integer","nullable":true,"metadata":{"delta.columnMapping.id":16,"delta.columnMapping.physicalName":"col-47272f8f-d4ab-45e7-a6b8-09a5684bcd0b"}}]},"nullable":true,"metadata":{"delta.columnMapping.id":15,"delta.columnMapping.physicalName":"col-eaa68779-506e-4105-96f2-5ffa36e49460"}}]},"nullable":true,"metadata":{"delta.columnMapping.id":13,"delta.columnMapping.physicalName":"col-bd5b1c73-a03c-4003-9f20-87824bdc7bdf"}},{"name":"array_of_prims","type":{"type":"array","elementType":"integer","containsNull":true},"nullable":true,"metadata":{"delta.columnMapping.id":17,"delta.columnMapping.physicalName":"col-5b541ad9-2c28-4744-8bc6-be861b37434f"}}]})j";
  constexpr const char* kStats =
      R"j({"numRecords":2,"minValues":{"col-fe8ada24-f4e7-47c0-8b04-8207c427b232":1.00,"col-0b5309e1-aa86-4b87-8518-140cde5402c9":"1970-01-01T00:00:00.001Z","col-bd5b1c73-a03c-4003-9f20-87824bdc7bdf":{"col-b70f7585-aae4-4c91-befe-d4b958dc4b38":"1","col-eaa68779-506e-4105-96f2-5ffa36e49460":{"col-47272f8f-d4ab-45e7-a6b8-09a5684bcd0b":1}}},"maxValues":{"col-fe8ada24-f4e7-47c0-8b04-8207c427b232":3.00,"col-0b5309e1-aa86-4b87-8518-140cde5402c9":"1970-01-01T00:00:00.003Z","col-bd5b1c73-a03c-4003-9f20-87824bdc7bdf":{"col-b70f7585-aae4-4c91-befe-d4b958dc4b38":"3","col-eaa68779-506e-4105-96f2-5ffa36e49460":{"col-47272f8f-d4ab-45e7-a6b8-09a5684bcd0b":3}}},"nullCount":{"col-fe8ada24-f4e7-47c0-8b04-8207c427b232":0,"col-0b5309e1-aa86-4b87-8518-140cde5402c9":0,"col-bd5b1c73-a03c-4003-9f20-87824bdc7bdf":{"col-b70f7585-aae4-4c91-befe-d4b958dc4b38":0,"col-eaa68779-506e-4105-96f2-5ffa36e49460":{"col-47272f8f-d4ab-45e7-a6b8-09a5684bcd0b":0}},"col-5b541ad9-2c28-4744-8bc6-be861b37434f":0}})j";
  DS_ASSIGN_OR_FAIL(auto schema, SchemaFromDeltaJson(kSchema));
  DS_ASSIGN_OR_FAIL(auto stats, ParseFileStats(kStats, *schema));
  EXPECT_EQ(stats.num_records, 2);
  ExpectScalar(stats.columns["decimal"].min, Dec("1.00", 10, 2));
  ExpectScalar(stats.columns["decimal"].max, Dec("3.00", 10, 2));
  ExpectScalar(stats.columns["TimestampType"].min, arrow::TimestampScalar(1000, TimestampUtc()));
  ExpectScalar(stats.columns["TimestampType"].max, arrow::TimestampScalar(3000, TimestampUtc()));
  ExpectScalar(stats.columns["nested_struct.aa"].min, arrow::StringScalar("1"));
  ExpectScalar(stats.columns["nested_struct.ac.aca"].max, arrow::Int32Scalar(3));
  EXPECT_EQ(stats.columns["nested_struct.ac.aca"].null_count, 0);
  // An array column has a null count but no bounds.
  ASSERT_EQ(stats.columns.count("array_of_prims"), 1u);
  EXPECT_EQ(stats.columns["array_of_prims"].min, nullptr);
  EXPECT_EQ(stats.columns["array_of_prims"].null_count, 0);
  EXPECT_EQ(stats.columns.size(), 5u);
}

TEST(FileStatsTest, ReadsTimestampNtzBoundsAsWallClock) {
  // data-reader-timestamp_ntz, second add action.
  auto schema =
      arrow::schema({arrow::field("id", arrow::int32()), arrow::field("tsNtz", TimestampNtz()),
                     arrow::field("tsNtzPartition", TimestampNtz())});
  DS_ASSIGN_OR_FAIL(
      auto stats,
      ParseFileStats(R"j({"numRecords":3,"minValues":{"id":0,"tsNtz":"2013-07-05T17:01:00.123"},)j"
                     R"j("maxValues":{"id":2,"tsNtz":"2021-11-18T02:30:00.123"},)j"
                     R"j("nullCount":{"id":0,"tsNtz":1}})j",
                     *schema));
  EXPECT_EQ(stats.num_records, 3);
  ExpectScalar(stats.columns["tsNtz"].min,
               arrow::TimestampScalar(1373043660123000, TimestampNtz()));
  ExpectScalar(stats.columns["tsNtz"].max,
               arrow::TimestampScalar(1637202600123000, TimestampNtz()));
  EXPECT_EQ(stats.columns["tsNtz"].null_count, 1);
  EXPECT_EQ(stats.columns.count("tsNtzPartition"), 0u);  // partition columns have no stats
}

TEST(FileStatsTest, MissingAndUnparsableStatsAreUnknown) {
  auto schema =
      arrow::schema({arrow::field("a", arrow::int32()), arrow::field("b", arrow::utf8()),
                     arrow::field("c", arrow::date32()),
                     arrow::field("s", arrow::struct_({arrow::field("x", arrow::int64()),
                                                       arrow::field("y", arrow::int8())}))});
  // Only numRecords.
  DS_ASSIGN_OR_FAIL(auto only_count, ParseFileStats(R"j({"numRecords":10})j", *schema));
  EXPECT_EQ(only_count.num_records, 10);
  EXPECT_TRUE(only_count.columns.empty());
  // Nothing at all.
  DS_ASSIGN_OR_FAIL(auto empty, ParseFileStats("{}", *schema));
  EXPECT_EQ(empty.num_records, std::nullopt);
  EXPECT_TRUE(empty.columns.empty());
  // Partial and partly unparsable: a's min is not an int, c's max is no date, y overflows int8,
  // b's null count is negative, unknown columns are ignored, struct s given as a scalar in max.
  DS_ASSIGN_OR_FAIL(
      auto partial,
      ParseFileStats(R"j({"numRecords":"ten","minValues":{"a":"abc","b":"","c":"2020-01-01",)j"
                     R"j("s":{"x":-5,"y":300},"zzz":1},"maxValues":{"a":7,"c":"nope","s":3},)j"
                     R"j("nullCount":{"a":0,"b":-1,"s":{"x":2}}})j",
                     *schema));
  EXPECT_EQ(partial.num_records, std::nullopt);
  EXPECT_EQ(partial.columns["a"].min, nullptr);
  ExpectScalar(partial.columns["a"].max, arrow::Int32Scalar(7));
  EXPECT_EQ(partial.columns["a"].null_count, 0);
  ExpectScalar(partial.columns["b"].min, arrow::StringScalar(""));  // "" is a real min string
  EXPECT_EQ(partial.columns["b"].null_count, std::nullopt);
  ExpectScalar(partial.columns["c"].min, arrow::Date32Scalar(18262));
  EXPECT_EQ(partial.columns["c"].max, nullptr);
  ExpectScalar(partial.columns["s.x"].min, arrow::Int64Scalar(-5));
  EXPECT_EQ(partial.columns["s.x"].null_count, 2);
  EXPECT_EQ(partial.columns.count("s.y"), 0u);
  EXPECT_EQ(partial.columns.count("zzz"), 0u);
}

TEST(FileStatsTest, DecimalBoundsKeepEveryDigit) {
  // Spark writes decimal bounds as JSON numbers; a double would round the wide ones.
  auto schema = arrow::schema(
      {arrow::field("small", arrow::decimal128(10, 2)),
       arrow::field("wide", arrow::decimal128(20, 2)),
       arrow::field("widest", arrow::decimal128(38, 18)),
       arrow::field("zero", arrow::decimal128(20, 10)),
       arrow::field("neg", arrow::decimal128(5, 3)), arrow::field("d", arrow::float64()),
       arrow::field("f", arrow::float32()), arrow::field("s", arrow::utf8())});
  DS_ASSIGN_OR_FAIL(
      auto stats,
      ParseFileStats(R"j({"minValues":{"small":-12345678.91,"wide":123456789012345678.12,)j"
                     R"j("widest":-99999999999999999999.999999999999999999,"zero":0E-10,)j"
                     R"j("neg":-0.001,"d":1.5e300,"f":0.1,"s":"-1.5 \" 2.5"},)j"
                     R"j("maxValues":{"wide":123456789012345678,"neg":"-0.0005","d":-0.0}})j",
                     *schema));
  ExpectScalar(stats.columns["small"].min, Dec("-12345678.91", 10, 2));
  ExpectScalar(stats.columns["wide"].min, Dec("123456789012345678.12", 20, 2));
  ExpectScalar(stats.columns["wide"].max, Dec("123456789012345678.00", 20, 2));
  ExpectScalar(stats.columns["widest"].min,
               Dec("-99999999999999999999.999999999999999999", 38, 18));
  ExpectScalar(stats.columns["zero"].min, Dec("0", 20, 10));
  ExpectScalar(stats.columns["neg"].min, Dec("-0.001", 5, 3));
  EXPECT_EQ(stats.columns["neg"].max, nullptr);  // would lose a digit at scale 3
  ExpectScalar(stats.columns["d"].min, arrow::DoubleScalar(1.5e300));
  ExpectScalar(stats.columns["d"].max, arrow::DoubleScalar(-0.0));
  ExpectScalar(stats.columns["f"].min, arrow::FloatScalar(0.1f));
  // Numbers inside strings stay as they are.
  ExpectScalar(stats.columns["s"].min, arrow::StringScalar("-1.5 \" 2.5"));
}

TEST(FileStatsTest, InvalidJsonIsAnError) {
  auto schema = arrow::schema({arrow::field("a", arrow::int32())});
  for (const char* text : {"", "{", "{\"numRecords\":1,}", "[1,2]", "42"}) {
    auto status = ParseFileStats(text, *schema).status();
    ASSERT_FALSE(status.ok()) << text;
    EXPECT_EQ(CodeOf(status), "INVALID_STATS") << text;
  }
}

}  // namespace
}  // namespace codeanatomy::delta
