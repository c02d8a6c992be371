#include "sql/statement.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include <arrow/builder.h>
#include <arrow/table.h>
#include <arrow/util/string.h>

#include "common/tracing.h"
#include "engine/view.h"
#include "sql/binder.h"
#include "sql/parse_tree.h"
#include "sql/sql_types.h"

namespace codeanatomy::sql {

namespace {

enum class StatementClass { kQuery, kDdl, kDml, kOther };

struct PolicyState {
  std::mutex mutex;
  StatementPolicy policy;
};

std::string StatementLabel(std::string_view type) {
  static const std::map<std::string_view, std::string> kNames = {
      {"SelectStmt", "SELECT"},
      {"ExplainStmt", "EXPLAIN"},
      {"ViewStmt", "CREATE VIEW"},
      {"DropStmt", "DROP"},
      {"CreateFunctionStmt", "CREATE FUNCTION"},
      {"CreateTableAsStmt", "CREATE TABLE AS"},
      {"CreateStmt", "CREATE TABLE"},
      {"InsertStmt", "INSERT"},
      {"UpdateStmt", "UPDATE"},
      {"DeleteStmt", "DELETE"},
      {"MergeStmt", "MERGE"},
      {"VariableSetStmt", "SET"},
      {"VariableShowStmt", "SHOW"},
      {"TransactionStmt", "a transaction statement"},
      {"CopyStmt", "COPY"},
      {"AlterTableStmt", "ALTER TABLE"}};
  if (auto it = kNames.find(type); it != kNames.end()) return it->second;
  return std::string(type);
}

StatementClass Classify(std::string_view type) {
  if (type == "SelectStmt" || type == "ExplainStmt" || type == "VariableShowStmt") {
    return StatementClass::kQuery;
  }
  if (type == "ViewStmt" || type == "DropStmt" || type == "CreateFunctionStmt" ||
      type == "CreateTableAsStmt" || type == "CreateStmt" || type == "AlterTableStmt" ||
      type == "IndexStmt" || type == "CreateSchemaStmt" || type == "RenameStmt") {
    return StatementClass::kDdl;
  }
  if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt" || type == "MergeStmt" ||
      type == "CopyStmt") {
    return StatementClass::kDml;
  }
  return StatementClass::kOther;
}

Result<engine::DataFrame> TableFrame(const engine::SessionContext& ctx,
                                     std::shared_ptr<arrow::Table> table) {
  CA_ASSIGN_OR_RAISE(auto provider, engine::MemoryTableProvider::Make(std::move(table)));
  CA_ASSIGN_OR_RAISE(auto scan, engine::plan::Scan("(result)", std::move(provider)));
  return engine::DataFrame(ctx.state(), std::move(scan));
}

Result<engine::DataFrame> StringColumns(const engine::SessionContext& ctx,
                                        const std::vector<std::string>& names,
                                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (size_t c = 0; c < names.size(); ++c) {
    arrow::StringBuilder b;
    for (const auto& row : rows) CA_RETURN_NOT_OK(b.Append(row[c]));
    std::shared_ptr<arrow::Array> a;
    CA_RETURN_NOT_OK(b.Finish(&a));
    fields.push_back(arrow::field(names[c], arrow::utf8(), false));
    arrays.push_back(std::move(a));
  }
  return TableFrame(
      ctx, arrow::Table::Make(arrow::schema(fields), arrays, static_cast<int64_t>(rows.size())));
}

Result<engine::DataFrame> Status1(const engine::SessionContext& ctx, const std::string& what) {
  return StringColumns(ctx, {"status"}, {{what}});
}

std::string QualifiedName(const JsonValue& range_var) {
  std::string name = Member(range_var, "relname").string_value();
  if (Member(range_var, "schemaname").is_string()) {
    name = Member(range_var, "schemaname").string_value() + "." + name;
  }
  if (Member(range_var, "catalogname").is_string()) {
    name = Member(range_var, "catalogname").string_value() + "." + name;
  }
  return name;
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

class StatementRunner {
 public:
  StatementRunner(engine::SessionContext& ctx, const std::string& text, const SqlParams& params)
      : ctx_(ctx), state_(ctx.state()), text_(text), params_(params) {}

  Result<engine::DataFrame> Run(const ParsedStatement& st) {
    std::string_view type = NodeType(st.node);
    const JsonValue& body = NodeBody(st.node);
    Binder binder(state_, text_);
    binder.set_params(&params_);
    if (type == "SelectStmt") {
      CA_ASSIGN_OR_RAISE(auto plan, binder.PlanQuery(st.node));
      return engine::DataFrame(state_, std::move(plan));
    }
    if (type == "ExplainStmt") {
      const JsonValue& query = Member(body, "query");
      if (NodeType(query) != "SelectStmt") {
        return binder.ErrorAt(
            "NOT_SUPPORTED", "not supported: EXPLAIN of " + StatementLabel(NodeType(query)), query);
      }
      CA_ASSIGN_OR_RAISE(auto plan, binder.PlanQuery(query));
      CA_ASSIGN_OR_RAISE(auto text, engine::DataFrame(state_, plan).Explain());
      return StringColumns(ctx_, {"plan"}, {{text}});
    }
    if (type == "VariableShowStmt") {
      std::string name = Member(body, "name").string_value();
      if (name == "tables") {
        std::vector<std::vector<std::string>> rows;
        auto names = state_->catalog().List();
        std::sort(names.begin(), names.end());
        for (const auto& n : names) rows.push_back({n});
        return StringColumns(ctx_, {"name"}, rows);
      }
      auto value = state_->GetOption(name);
      if (!value.ok()) {
        return SqlError("UNKNOWN_SETTING", "unrecognized configuration parameter \"" + name + "\"",
                        text_, st.location, "\"setting\":" + JsonQuote(name));
      }
      return StringColumns(ctx_, {name}, {{*value}});
    }
    if (type == "VariableSetStmt") {
      std::string name = Member(body, "name").string_value();
      const JsonValue& args = Member(body, "args");
      if (Member(body, "kind").string_value() != "VAR_SET_VALUE" || !args.is_array() ||
          args.array_value().size() != 1) {
        return SqlError("NOT_SUPPORTED", "not supported: this form of SET", text_, st.location);
      }
      ExprScope scope;
      scope.clause = "SET";
      CA_ASSIGN_OR_RAISE(auto e, binder.BindExpr(args.array_value()[0], scope));
      e = engine::FoldConstants(e, binder.resolver());
      if (e->kind != engine::ExprKind::kLiteral) {
        return SqlError("INVALID_SETTING", "SET needs a constant value", text_, st.location);
      }
      std::string value = e->literal->type->id() == arrow::Type::STRING
                              ? static_cast<const arrow::StringScalar&>(*e->literal).ToString()
                              : e->literal->ToString();
      state_->SetOption(name, value);
      return Status1(ctx_, "SET " + name);
    }
    if (type == "ViewStmt") return CreateView(binder, st, body);
    if (type == "DropStmt") return Drop(binder, st, body);
    if (type == "CreateFunctionStmt") return CreateFunction(binder, st, body);
    if (type == "CreateTableAsStmt") {
      const JsonValue& into = Member(body, "into");
      std::string name = QualifiedName(Member(into, "rel"));
      if (Member(body, "objtype").string_value() != "OBJECT_TABLE") {
        return SqlError("NOT_SUPPORTED", "not supported: CREATE MATERIALIZED VIEW", text_,
                        st.location);
      }
      if (state_->catalog().Lookup(name).ok()) {
        return SqlError("TABLE_EXISTS", "relation \"" + name + "\" already exists", text_,
                        st.location, "\"table\":" + JsonQuote(name));
      }
      CA_ASSIGN_OR_RAISE(auto plan, binder.PlanQuery(Member(body, "query")));
      CA_ASSIGN_OR_RAISE(auto table, engine::DataFrame(state_, plan).Collect());
      CA_RETURN_NOT_OK(ctx_.RegisterTable(name, table));
      return Status1(ctx_, "CREATE TABLE " + name);
    }
    std::string label = StatementLabel(type);
    std::string why;
    if (Classify(type) == StatementClass::kDml) {
      why = " (tables are registered from Arrow data; Delta writes go through the Delta API)";
    }
    return SqlError("NOT_SUPPORTED", "not supported: " + label + why, text_, st.location,
                    "\"statement\":" + JsonQuote(label));
  }

 private:
  Result<engine::DataFrame> CreateView(Binder& binder, const ParsedStatement& st,
                                       const JsonValue& body) {
    std::string name = QualifiedName(Member(body, "view"));
    bool replace = Member(body, "replace").is_bool() && Member(body, "replace").bool_value();
    auto existing = state_->catalog().Lookup(name);
    if (existing.ok()) {
      bool is_view = std::dynamic_pointer_cast<engine::ViewProvider>(*existing) != nullptr;
      if (!replace || !is_view) {
        return SqlError(is_view ? "VIEW_EXISTS" : "TABLE_EXISTS",
                        "relation \"" + name + "\" already exists", text_, st.location,
                        "\"table\":" + JsonQuote(name));
      }
    }
    CA_ASSIGN_OR_RAISE(auto rel, binder.BindQuery(NodeBody(Member(body, "query"))));
    auto aliases = StringList(Member(body, "aliases"));
    if (aliases.size() > rel.columns.size()) {
      return SqlError("TOO_MANY_COLUMN_ALIASES",
                      "CREATE VIEW specifies more column names than columns", text_, st.location);
    }
    for (size_t i = 0; i < aliases.size(); ++i) rel.columns[i].name = aliases[i];
    CA_ASSIGN_OR_RAISE(auto plan, binder.OutputPlan(rel));
    std::string definition =
        st.length > 0 ? text_.substr(st.location, st.length) : text_.substr(st.location);
    CA_RETURN_NOT_OK(state_->catalog().Register(
        name, std::make_shared<engine::ViewProvider>(std::move(plan), definition)));
    return Status1(ctx_, "CREATE VIEW " + name);
  }

  Result<engine::DataFrame> Drop(Binder& binder, const ParsedStatement& st, const JsonValue& body) {
    std::string kind = Member(body, "removeType").string_value();
    bool missing_ok =
        Member(body, "missing_ok").is_bool() && Member(body, "missing_ok").bool_value();
    std::vector<std::string> dropped;
    for (const JsonValue& obj : Member(body, "objects").array_value()) {
      if (kind == "OBJECT_FUNCTION") {
        auto parts = StringList(Member(NodeBody(obj), "objname"));
        std::string name = parts.empty() ? "" : parts.back();
        auto sql_state = SqlStateOf(*state_);
        std::lock_guard<std::mutex> lock(sql_state->mutex);
        if (sql_state->macros.erase(name) == 0 && !missing_ok) {
          return SqlError("UNKNOWN_FUNCTION", "function " + name + " does not exist", text_,
                          st.location, "\"function\":" + JsonQuote(name));
        }
        dropped.push_back(name);
        continue;
      }
      if (kind != "OBJECT_VIEW" && kind != "OBJECT_TABLE") {
        return SqlError("NOT_SUPPORTED", "not supported: DROP of " + kind, text_, st.location);
      }
      std::string name = Join(StringList(Member(NodeBody(obj), "items")), ".");
      auto provider = state_->catalog().Lookup(name);
      if (!provider.ok()) {
        if (missing_ok) continue;
        return SqlError("UNKNOWN_TABLE",
                        std::string(kind == "OBJECT_VIEW" ? "view" : "table") + " \"" + name +
                            "\" does not exist",
                        text_, st.location, "\"table\":" + JsonQuote(name));
      }
      bool is_view = std::dynamic_pointer_cast<engine::ViewProvider>(*provider) != nullptr;
      if (is_view != (kind == "OBJECT_VIEW")) {
        return SqlError("WRONG_OBJECT_TYPE",
                        "\"" + name + "\" is not a " + (kind == "OBJECT_VIEW" ? "view" : "table"),
                        text_, st.location, "\"table\":" + JsonQuote(name));
      }
      CA_RETURN_NOT_OK(state_->catalog().Deregister(name));
      dropped.push_back(name);
    }
    (void)binder;
    std::string what = kind == "OBJECT_FUNCTION" ? "FUNCTION"
                       : kind == "OBJECT_VIEW"   ? "VIEW"
                                                 : "TABLE";
    return Status1(ctx_, "DROP " + what + " " + Join(dropped, ", "));
  }

  Result<engine::DataFrame> CreateFunction(Binder& binder, const ParsedStatement& st,
                                           const JsonValue& body) {
    auto parts = StringList(Member(body, "funcname"));
    std::string name = arrow::internal::AsciiToLower(parts.empty() ? "" : parts.back());
    auto macro = std::make_shared<SqlMacro>();
    for (const JsonValue& p : Member(body, "parameters").array_value()) {
      const JsonValue& pb = NodeBody(p);
      if (!Member(pb, "name").is_string()) {
        return SqlError("INVALID_FUNCTION", "SQL function parameters need names", text_,
                        st.location);
      }
      macro->params.push_back(Member(pb, "name").string_value());
      CA_ASSIGN_OR_RAISE(auto t, binder.BindType(Member(pb, "argType")));
      macro->param_types.push_back(t);
    }
    if (Member(body, "returnType").is_null()) {
      return SqlError("INVALID_FUNCTION", "CREATE FUNCTION needs RETURNS <type>", text_,
                      st.location);
    }
    CA_ASSIGN_OR_RAISE(macro->return_type, binder.BindType(Member(body, "returnType")));
    const JsonValue& sql_body = Member(body, "sql_body");
    if (NodeType(sql_body) != "ReturnStmt") {
      return SqlError("NOT_SUPPORTED",
                      "not supported: function bodies other than RETURN <expression>", text_,
                      st.location);
    }
    macro->body = Member(NodeBody(sql_body), "returnval");
    macro->body_text = text_;
    if (engine::FunctionResolver(state_->registry()).Resolve(name).ok()) {
      return SqlError("FUNCTION_EXISTS",
                      "function " + name + " already exists as a built-in or registered function",
                      text_, st.location, "\"function\":" + JsonQuote(name));
    }
    bool replace = Member(body, "replace").is_bool() && Member(body, "replace").bool_value();
    // Check the body now: bind it over the parameters.
    {
      auto sql_state = SqlStateOf(*state_);
      {
        std::lock_guard<std::mutex> lock(sql_state->mutex);
        if (sql_state->macros.count(name) && !replace) {
          return SqlError("FUNCTION_EXISTS", "function " + name + " already exists", text_,
                          st.location, "\"function\":" + JsonQuote(name));
        }
      }
      BoundRelation params = MacroParameters(*macro);
      ExprScope scope;
      scope.rel = &params;
      scope.clause = "a function body";
      CA_ASSIGN_OR_RAISE(auto bound, binder.BindExpr(macro->body, scope));
      auto typed = engine::ScalarField(*engine::Cast(bound, macro->return_type),
                                       *params.plan->schema, binder.resolver());
      if (!typed.ok()) return WithStage(typed.status(), stage::kSql, "TYPE_ERROR");
      std::lock_guard<std::mutex> lock(sql_state->mutex);
      sql_state->macros[name] = macro;
    }
    return Status1(ctx_, "CREATE FUNCTION " + name);
  }

  engine::SessionContext& ctx_;
  std::shared_ptr<engine::SessionState> state_;
  const std::string& text_;
  const SqlParams& params_;
};

std::mutex& FormatsMutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, ExternalTableFactory>& Formats() {
  static std::map<std::string, ExternalTableFactory> formats;
  return formats;
}

// CREATE EXTERNAL TABLE is not PostgreSQL grammar either (it is DataFusion's).
bool MatchCreateExternal(const std::string& text, std::string* name, std::string* format,
                         std::string* location) {
  static const std::regex kCreate(
      R"(^\s*CREATE\s+EXTERNAL\s+TABLE\s+([A-Za-z_][A-Za-z0-9_.]*)\s+STORED\s+AS\s+([A-Za-z_]+)\s+LOCATION\s+'((?:[^']|'')*)'\s*;?\s*$)",
      std::regex::icase);
  std::smatch m;
  if (!std::regex_match(text, m, kCreate)) return false;
  *name = m[1].str();
  *format = arrow::internal::AsciiToUpper(m[2].str());
  *location = std::regex_replace(m[3].str(), std::regex("''"), "'");
  return true;
}

// DESCRIBE is not PostgreSQL grammar: recognized before parsing.
bool MatchDescribe(const std::string& text, std::string* name) {
  static const std::regex kDescribe(R"(^\s*(?:DESCRIBE|DESC)\s+([A-Za-z_][A-Za-z0-9_.]*)\s*;?\s*$)",
                                    std::regex::icase);
  std::smatch m;
  if (!std::regex_match(text, m, kDescribe)) return false;
  *name = m[1].str();
  return true;
}

}  // namespace

void RegisterExternalTableFormat(const std::string& format, ExternalTableFactory factory) {
  std::lock_guard<std::mutex> lock(FormatsMutex());
  Formats()[arrow::internal::AsciiToUpper(format)] = std::move(factory);
}

void SetStatementPolicy(engine::SessionState& state, const StatementPolicy& policy) {
  auto p = state.Extension<PolicyState>("sql.policy");
  std::lock_guard<std::mutex> lock(p->mutex);
  p->policy = policy;
}

StatementPolicy GetStatementPolicy(engine::SessionState& state) {
  auto p = state.Extension<PolicyState>("sql.policy");
  std::lock_guard<std::mutex> lock(p->mutex);
  return p->policy;
}

Result<engine::DataFrame> ExecuteSql(engine::SessionContext& ctx, const std::string& text) {
  return ExecuteSql(ctx, text, SqlParams{});
}

Result<engine::DataFrame> ExecuteSql(engine::SessionContext& ctx, const std::string& text,
                                     const SqlParams& params) {
  tracing::Span span("SessionContext.sql");
  std::string ext_name, ext_format, ext_location;
  if (MatchCreateExternal(text, &ext_name, &ext_format, &ext_location)) {
    if (!GetStatementPolicy(*ctx.state()).allow_ddl) {
      return SqlError("STATEMENT_NOT_ALLOWED",
                      "CREATE EXTERNAL TABLE is not allowed by this session's statement policy "
                      "(allow_ddl is false)",
                      text, 0, "\"statement\":\"CREATE EXTERNAL TABLE\",\"policy\":\"allow_ddl\"");
    }
    ExternalTableFactory factory;
    {
      std::lock_guard<std::mutex> lock(FormatsMutex());
      if (auto it = Formats().find(ext_format); it != Formats().end()) factory = it->second;
    }
    if (!factory) {
      return SqlError("NOT_SUPPORTED", "not supported: STORED AS " + ext_format, text, 0,
                      "\"format\":" + JsonQuote(ext_format));
    }
    CA_ASSIGN_OR_RAISE(auto provider, factory(ext_location));
    CA_RETURN_NOT_OK(ctx.RegisterProvider(ext_name, provider));
    return Status1(ctx, "CREATE EXTERNAL TABLE " + ext_name);
  }
  std::string describe;
  if (MatchDescribe(text, &describe)) {
    CA_ASSIGN_OR_RAISE(auto df, ctx.Table(describe));
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : df.schema()->fields()) {
      rows.push_back({f->name(), SqlTypeName(*f->type()), f->nullable() ? "YES" : "NO"});
    }
    return StringColumns(ctx, {"column_name", "column_type", "null"}, rows);
  }
  CA_ASSIGN_OR_RAISE(auto statements, ParseStatements(text));
  if (statements.empty()) {
    return SqlError("EMPTY_STATEMENT", "no SQL statement to run", text, -1);
  }
  StatementPolicy policy = GetStatementPolicy(*ctx.state());
  for (const auto& st : statements) {
    std::string_view type = NodeType(st.node);
    StatementClass cls = Classify(type);
    const char* flag = nullptr;
    if (cls == StatementClass::kDdl && !policy.allow_ddl) flag = "allow_ddl";
    if (cls == StatementClass::kDml && !policy.allow_dml) flag = "allow_dml";
    if (cls == StatementClass::kOther && !policy.allow_statements) flag = "allow_statements";
    if (flag) {
      std::string label = StatementLabel(type);
      return SqlError(
          "STATEMENT_NOT_ALLOWED",
          label + " is not allowed by this session's statement policy (" + flag + " is false)",
          text, st.location,
          "\"statement\":" + JsonQuote(label) + ",\"policy\":" + JsonQuote(flag));
    }
  }
  Result<engine::DataFrame> last = Status::Invalid("unreachable");
  for (const auto& st : statements) {
    StatementRunner runner(ctx, text, params);
    last = runner.Run(st);
    CA_RETURN_NOT_OK(last.status());
  }
  return last;
}

}  // namespace codeanatomy::sql
