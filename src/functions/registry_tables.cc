#include "functions/registry_tables.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <arrow/builder.h>
#include <arrow/table.h>

#include "engine/session_state.h"
#include "engine/table_function.h"
#include "functions/registry_snapshot.h"

namespace codeanatomy::functions {

namespace {

/// One listed function, whichever registry it came from.
struct Listed {
  std::string name;
  std::string kind;
  std::vector<std::string> aliases;
  std::vector<std::string> parameter_names;
  std::string volatility;
  std::string signatures;  // JSON
  bool variadic = false;
  std::string return_type;
  std::string config_defaults;  // JSON
  std::string doc;
};

std::vector<std::string> Strings(const JsonValue* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& s : v->array_value()) {
    if (s.is_string()) out.push_back(s.string_value());
  }
  return out;
}

std::string Text(const JsonValue* v) {
  return v != nullptr && v->is_string() ? v->string_value() : "";
}

/// What the session has: its catalog's functions and its table functions.
std::vector<Listed> ListFunctions(engine::SessionState* state) {
  std::vector<Listed> out;
  for (const auto& d : SessionDescriptors(state)) {
    Listed l;
    l.name = Text(d.Get("name"));
    l.kind = Text(d.Get("kind"));
    l.aliases = Strings(d.Get("aliases"));
    l.parameter_names = Strings(d.Get("parameter_names"));
    l.volatility = Text(d.Get("volatility"));
    const JsonValue* sig = d.Get("signatures");
    l.signatures = sig != nullptr ? sig->ToJson() : "[]";
    const JsonValue* variadic = d.Get("variadic");
    l.variadic = variadic != nullptr && variadic->is_bool() && variadic->bool_value();
    l.return_type = Text(d.Get("return_type"));
    const JsonValue* config = d.Get("config_defaults");
    l.config_defaults = config != nullptr ? config->ToJson() : "{}";
    l.doc = Text(d.Get("doc"));
    out.push_back(std::move(l));
  }
  std::sort(out.begin(), out.end(),
            [](const Listed& a, const Listed& b) { return a.name < b.name; });
  return out;
}

Status AppendList(arrow::ListBuilder* builder, const std::vector<std::string>& values) {
  CA_RETURN_NOT_OK(builder->Append());
  auto* items = static_cast<arrow::StringBuilder*>(builder->value_builder());
  for (const auto& v : values) CA_RETURN_NOT_OK(items->Append(v));
  return Status::OK();
}

Result<std::shared_ptr<engine::TableProvider>> RegistryTable(engine::SessionState* state) {
  arrow::StringBuilder name, kind, volatility, signatures, return_type, config_defaults;
  arrow::ListBuilder aliases(arrow::default_memory_pool(),
                             std::make_shared<arrow::StringBuilder>());
  arrow::ListBuilder params(arrow::default_memory_pool(), std::make_shared<arrow::StringBuilder>());
  arrow::BooleanBuilder variadic;
  for (const auto& l : ListFunctions(state)) {
    CA_RETURN_NOT_OK(name.Append(l.name));
    CA_RETURN_NOT_OK(kind.Append(l.kind));
    CA_RETURN_NOT_OK(AppendList(&aliases, l.aliases));
    CA_RETURN_NOT_OK(AppendList(&params, l.parameter_names));
    CA_RETURN_NOT_OK(volatility.Append(l.volatility));
    CA_RETURN_NOT_OK(signatures.Append(l.signatures));
    CA_RETURN_NOT_OK(variadic.Append(l.variadic));
    CA_RETURN_NOT_OK(return_type.Append(l.return_type));
    CA_RETURN_NOT_OK(config_defaults.Append(l.config_defaults));
  }
  auto list = arrow::list(arrow::field("item", arrow::utf8()));
  auto schema = arrow::schema(
      {arrow::field("name", arrow::utf8(), false), arrow::field("kind", arrow::utf8(), false),
       arrow::field("aliases", list, false), arrow::field("parameter_names", list, false),
       arrow::field("volatility", arrow::utf8(), false),
       arrow::field("signatures", arrow::utf8(), false),
       arrow::field("variadic", arrow::boolean(), false),
       arrow::field("return_type", arrow::utf8(), false),
       arrow::field("config_defaults", arrow::utf8(), false)});
  arrow::ArrayVector columns(9);
  CA_RETURN_NOT_OK(name.Finish(&columns[0]));
  CA_RETURN_NOT_OK(kind.Finish(&columns[1]));
  CA_RETURN_NOT_OK(aliases.Finish(&columns[2]));
  CA_RETURN_NOT_OK(params.Finish(&columns[3]));
  CA_RETURN_NOT_OK(volatility.Finish(&columns[4]));
  CA_RETURN_NOT_OK(signatures.Finish(&columns[5]));
  CA_RETURN_NOT_OK(variadic.Finish(&columns[6]));
  CA_RETURN_NOT_OK(return_type.Finish(&columns[7]));
  CA_RETURN_NOT_OK(config_defaults.Finish(&columns[8]));
  CA_ASSIGN_OR_RAISE(auto provider,
                     engine::MemoryTableProvider::Make(arrow::Table::Make(schema, columns)));
  return std::shared_ptr<engine::TableProvider>(std::move(provider));
}

Result<std::shared_ptr<engine::TableProvider>> DocsTable(engine::SessionState* state) {
  arrow::StringBuilder name, kind, signature, doc;
  for (const auto& l : ListFunctions(state)) {
    CA_RETURN_NOT_OK(name.Append(l.name));
    CA_RETURN_NOT_OK(kind.Append(l.kind));
    std::string text = l.name + "(";
    for (size_t i = 0; i < l.parameter_names.size(); ++i) {
      text += (i > 0 ? ", " : "") + l.parameter_names[i];
    }
    if (l.variadic) text += ", ...";
    CA_RETURN_NOT_OK(signature.Append(text + ")"));
    CA_RETURN_NOT_OK(doc.Append(l.doc));
  }
  auto schema = arrow::schema(
      {arrow::field("name", arrow::utf8(), false), arrow::field("kind", arrow::utf8(), false),
       arrow::field("signature", arrow::utf8(), false), arrow::field("doc", arrow::utf8(), false)});
  arrow::ArrayVector columns(4);
  CA_RETURN_NOT_OK(name.Finish(&columns[0]));
  CA_RETURN_NOT_OK(kind.Finish(&columns[1]));
  CA_RETURN_NOT_OK(signature.Finish(&columns[2]));
  CA_RETURN_NOT_OK(doc.Finish(&columns[3]));
  CA_ASSIGN_OR_RAISE(auto provider,
                     engine::MemoryTableProvider::Make(arrow::Table::Make(schema, columns)));
  return std::shared_ptr<engine::TableProvider>(std::move(provider));
}

}  // namespace

std::vector<engine::TableFunction> RegistryTableFunctions(engine::SessionState* state) {
  // The functions live in the session's own registry, so the raw pointer never outlives it.
  engine::TableFunction registry;
  registry.name = "udf_registry";
  registry.doc =
      "One row per function the session has (the codeanatomy bundle, plugins' functions and "
      "table functions): name, kind, aliases, parameter_names, volatility, signatures (JSON), "
      "variadic, return_type, config_defaults (JSON); sorted by name.";
  registry.invoke = [state](const engine::TableFunctionArgs&) { return RegistryTable(state); };
  engine::TableFunction docs;
  docs.name = "udf_docs";
  docs.doc = "One row per function the session has: name, kind, signature and doc; sorted by name.";
  docs.invoke = [state](const engine::TableFunctionArgs&) { return DocsTable(state); };
  return {std::move(registry), std::move(docs)};
}

Status RegisterRegistryTableFunctions(engine::SessionState* state) {
  for (auto& fn : RegistryTableFunctions(state)) {
    CA_RETURN_NOT_OK(state->RegisterTableFunction(std::move(fn)));
  }
  return Status::OK();
}

}  // namespace codeanatomy::functions
