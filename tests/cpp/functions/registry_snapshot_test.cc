// The function catalog and the registry snapshot (CONTRACTS.md §5). Hash values come from
// Python's hashlib, e.g.
//   python3 -c "import hashlib; print(hashlib.blake2b(b'a\0b\0', digest_size=16).hexdigest())"
#include "functions/registry_snapshot.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/hash.h"
#include "engine/session_context.h"
#include "functions/window_functions.h"

namespace codeanatomy::functions {
namespace {

JsonValue Parse(const std::string& text) { return *JsonValue::Parse(text); }

JsonValue Fn(const std::string& name, const std::string& kind, const std::string& extra = "") {
  return Parse(R"({"name":")" + name + R"(","kind":")" + kind +
               R"(","aliases":[],"parameter_names":["v"],"volatility":"immutable",)"
               R"("signatures":[["utf8"]],"variadic":false,"return_type":"int64",)"
               R"("doc":"d","config_defaults":{})" +
               extra + "}");
}

TEST(NamesHashTest, SortsNamesAndEndsEachWithNul) {
  EXPECT_EQ(NamesHash({"b", "a"}), "08b1e8b75c8635d39c23d0ebbd825af4");
  EXPECT_EQ(NamesHash({}), "cae66941d9efbd404e4d88758ea67670");
}

TEST(RegistrySnapshotTest, GroupsByKindAndMapsByName) {
  JsonValue alias = Fn("stable_hash64", "scalar");
  alias.Set("aliases", Parse(R"(["hash64"])"));
  auto snap = RegistrySnapshot({Fn("zeta", "aggregate"), alias, Fn("lag", "window")});
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->Get("version")->int_value(), kRegistrySnapshotVersion);
  EXPECT_EQ(snap->Get("scalar")->ToJson(), R"(["stable_hash64"])");
  EXPECT_EQ(snap->Get("aggregate")->ToJson(), R"(["zeta"])");
  EXPECT_EQ(snap->Get("window")->ToJson(), R"(["lag"])");
  EXPECT_EQ(snap->Get("table")->ToJson(), "[]");
  EXPECT_EQ(snap->Get("aliases")->ToJson(), R"({"hash64":"stable_hash64"})");
  EXPECT_EQ(snap->Get("return_types")->Get("lag")->string_value(), "int64");
  EXPECT_EQ(snap->Get("config_defaults")->ToJson(), "{}");  // none reads the config
  EXPECT_EQ(snap->Get("names_hash")->string_value(), NamesHash({"lag", "stable_hash64", "zeta"}));
  // snapshot_hash covers everything else, in canonical JSON.
  JsonValue rest = *snap;
  rest.mutable_object().erase("snapshot_hash");
  EXPECT_EQ(snap->Get("snapshot_hash")->string_value(), Blake2bHex(rest.ToJson(), 32));
}

TEST(RegistrySnapshotTest, IsIndependentOfOrderAndDocs) {
  auto a = RegistrySnapshot({Fn("a", "scalar"), Fn("b", "scalar")});
  JsonValue reworded = Fn("a", "scalar");
  reworded.Set("doc", "another wording");
  auto b = RegistrySnapshot({Fn("b", "scalar"), reworded});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->ToJson(), b->ToJson());
}

TEST(RegistrySnapshotTest, HashChangesWithSignatureAndConfig) {
  auto base = RegistrySnapshot({Fn("a", "scalar")});
  auto sig = RegistrySnapshot({Fn("a", "scalar", R"(,"x":1)")});  // unknown member: ignored
  JsonValue changed = Fn("a", "scalar");
  changed.Set("signatures", Parse(R"([["int64"]])"));
  auto other = RegistrySnapshot({changed});
  JsonValue configured = Fn("a", "scalar");
  configured.Set("config_defaults", Parse(R"({"span_default_line_base":1})"));
  auto config = RegistrySnapshot({configured});
  ASSERT_TRUE(base.ok() && sig.ok() && other.ok() && config.ok());
  EXPECT_EQ(base->Get("snapshot_hash")->ToJson(), sig->Get("snapshot_hash")->ToJson());
  EXPECT_NE(base->Get("snapshot_hash")->ToJson(), other->Get("snapshot_hash")->ToJson());
  EXPECT_NE(base->Get("snapshot_hash")->ToJson(), config->Get("snapshot_hash")->ToJson());
  EXPECT_EQ(base->Get("names_hash")->ToJson(), config->Get("names_hash")->ToJson());
  EXPECT_EQ(config->Get("config_defaults")->ToJson(), R"({"a":{"span_default_line_base":1}})");
}

TEST(RegistrySnapshotTest, BadDescriptorsAreTypedErrorsNamingTheMember) {
  auto code_field = [](const std::vector<JsonValue>& ds) {
    auto snap = RegistrySnapshot(ds);
    EXPECT_FALSE(snap.ok());
    auto info = DescribeError(snap.status());
    return info.code + " " + info.details_json;
  };
  JsonValue no_sig = Fn("a", "scalar");
  no_sig.mutable_object().erase("signatures");
  EXPECT_EQ(code_field({no_sig}),
            R"(INVALID_FUNCTION_DESCRIPTOR {"function":"a","field":"signatures"})");
  EXPECT_EQ(code_field({Fn("a", "procedure")}),
            R"(INVALID_FUNCTION_DESCRIPTOR {"function":"a","field":"kind"})");
  EXPECT_EQ(code_field({Fn("a", "scalar"), Fn("a", "aggregate")}),
            R"(INVALID_FUNCTION_DESCRIPTOR {"function":"a","field":"name"})");
  JsonValue clash = Fn("a", "scalar");
  clash.Set("aliases", Parse(R"(["b"])"));
  EXPECT_EQ(code_field({clash, Fn("b", "scalar")}),
            R"(INVALID_FUNCTION_DESCRIPTOR {"function":"a","field":"aliases"})");
  EXPECT_EQ(code_field({Parse("[1]")}),
            R"(INVALID_FUNCTION_DESCRIPTOR {"function":"","field":"$"})");
}

TEST(FunctionCatalogTest, InstallRecordsTheBundleWithItsConfig) {
  auto ctx = engine::SessionContext::Make();
  ASSERT_TRUE(ctx.ok());
  auto state = ctx->state().get();
  EXPECT_TRUE(SessionFunctionCatalog(state)->Descriptors().empty());
  FunctionConfig config;
  config.span_default_line_base = 1;
  ASSERT_TRUE(InstallCodeanatomyBundle(state, config).ok());
  auto descriptors = SessionFunctionCatalog(state)->Descriptors();
  ASSERT_EQ(descriptors.size(), CodeanatomyFunctions().size() + WindowFunctionDescriptors().size());
  auto snap = RegistrySnapshot(descriptors);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->Get("config_defaults")->Get("span_make")->ToJson(),
            R"({"span_default_col_unit":"byte","span_default_end_exclusive":true,)"
            R"("span_default_line_base":1})");
  EXPECT_EQ(snap->Get("aliases")->Get("hash64")->string_value(), "stable_hash64");
  // Installing again with the defaults re-binds: the snapshot follows.
  ASSERT_TRUE(InstallCodeanatomyBundle(state).ok());
  auto again = RegistrySnapshot(SessionFunctionCatalog(state)->Descriptors());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(
      again->Get("config_defaults")->Get("span_make")->Get("span_default_line_base")->ToJson(),
      "0");
  EXPECT_EQ(again->Get("names_hash")->ToJson(), snap->Get("names_hash")->ToJson());
  EXPECT_NE(again->Get("snapshot_hash")->ToJson(), snap->Get("snapshot_hash")->ToJson());
}

}  // namespace
}  // namespace codeanatomy::functions
