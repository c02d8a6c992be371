#include "semantic/compiler.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "common/hash.h"
#include "delta/provider_options.h"
#include "engine/cached_view.h"
#include "engine/view.h"
#include "semantic/cache_policy.h"
#include "semantic/join_graph.h"
#include "semantic/parameters.h"
#include "semantic/pushdown.h"
#include "sql/statement.h"

namespace codeanatomy::semantic {

namespace {

// A compilation failure of view `index`: the planner's code and message, stage "compilation",
// details naming the view, its JSON path, the SQL planned and the cause's own stage.
Status ViewError(const Status& cause, const ViewDefinition& view, size_t index,
                 const std::string& sql) {
  ErrorInfo info = DescribeError(cause);
  std::string details = "{\"view\":" + JsonQuote(view.name) + ",\"path\":" +
                        JsonQuote("$.view_definitions[" + std::to_string(index) + "]") +
                        (sql.empty() ? "" : ",\"sql\":" + JsonQuote(sql)) +
                        ",\"cause_stage\":" + JsonQuote(info.stage) +
                        (info.details_json.empty() ? "" : ",\"cause\":" + info.details_json) + "}";
  return EngineError(cause.code(), stage::kCompilation, info.code,
                     "view '" + view.name + "': " + info.message, details);
}

Status CompileError(std::string_view code, const std::string& message, const ViewDefinition& view,
                    size_t index, const std::string& extra = "") {
  return InvalidError(stage::kCompilation, code, "view '" + view.name + "': " + message,
                      "{\"view\":" + JsonQuote(view.name) + ",\"path\":" +
                          JsonQuote("$.view_definitions[" + std::to_string(index) + "]") +
                          (extra.empty() ? "" : "," + extra) + "}");
}

std::string SqlJoinType(JoinType type) {
  switch (type) {
    case JoinType::kInner:
      return "JOIN";
    case JoinType::kLeft:
      return "LEFT JOIN";
    case JoinType::kRight:
      return "RIGHT JOIN";
    case JoinType::kFull:
      return "FULL JOIN";
    case JoinType::kSemi:
    case JoinType::kAnti:
      break;
  }
  return "";
}

using CpgLayout = std::vector<std::pair<std::string, std::string>>;  // column, SQL type

// The columns of each CPG output (CONTRACTS §6), in order; null for kinds not emitted yet.
const CpgLayout* CpgColumns(CpgOutputKind kind) {
  static const CpgLayout kNodes = {
      {"node_id", "VARCHAR"}, {"node_kind", "VARCHAR"}, {"path", "VARCHAR"}, {"bstart", "BIGINT"},
      {"bend", "BIGINT"},     {"file_id", "VARCHAR"},   {"name", "VARCHAR"}};
  static const CpgLayout kEdges = {
      {"edge_id", "VARCHAR"},     {"edge_kind", "VARCHAR"}, {"src_node_id", "VARCHAR"},
      {"dst_node_id", "VARCHAR"}, {"origin", "VARCHAR"},    {"resolution_method", "VARCHAR"},
      {"confidence", "DOUBLE"},   {"score", "DOUBLE"},      {"path", "VARCHAR"},
      {"bstart", "BIGINT"},       {"bend", "BIGINT"}};
  static const CpgLayout kProps = {
      {"entity_kind", "VARCHAR"}, {"entity_id", "VARCHAR"},    {"prop_key", "VARCHAR"},
      {"value_type", "VARCHAR"},  {"value_string", "VARCHAR"}, {"value_int", "BIGINT"},
      {"value_float", "DOUBLE"},  {"value_bool", "BOOLEAN"},   {"value_json", "VARCHAR"}};
  switch (kind) {
    case CpgOutputKind::kNodes:
      return &kNodes;
    case CpgOutputKind::kEdges:
    case CpgOutputKind::kEdgesBySrc:
    case CpgOutputKind::kEdgesByDst:
      return &kEdges;
    case CpgOutputKind::kProps:
    case CpgOutputKind::kPropsMap:  // its sources are props; the map is built over them
      return &kProps;
  }
  return nullptr;
}

std::string CpgColumnList(const CpgLayout& layout) {
  std::vector<std::string> names;
  for (const auto& [name, type] : layout) names.push_back(name);
  return Join(names, ", ");
}

// Writes the SQL of one view. `columns_of` gives a relation's column names (inputs and the
// views compiled so far); `location_of` an input relation's Delta location (empty for views).
class ViewSql {
 public:
  ViewSql(const ViewDefinition& view, size_t index,
          const std::map<std::string, std::vector<std::string>>& columns,
          const std::map<std::string, std::string>& locations)
      : view_(view), index_(index), columns_(columns), locations_(locations) {}

  Result<std::string> Write() {
    return std::visit([this](const auto& t) { return Sql(t); }, view_.transform);
  }

 private:
  const std::vector<std::string>& Columns(const std::string& relation) const {
    return columns_.at(relation);  // the spec's validation guarantees the relation exists
  }

  Result<std::string> Sql(const FilterTransform& t) const {
    return "SELECT * FROM " + QuoteIdent(t.source) + " WHERE " + t.predicate;
  }

  // Each entry is a column of the source (quoted as given) or an SQL expression with its
  // alias ("def_id AS node_id", "'CALL' AS node_kind"), as DataFusion's select_exprs takes.
  Result<std::string> Sql(const ProjectTransform& t) const {
    const auto& source = Columns(t.source);
    std::vector<std::string> cols;
    for (const auto& c : t.columns) {
      bool is_column = std::find(source.begin(), source.end(), c) != source.end();
      cols.push_back(is_column ? QuoteIdent(c) : c);
    }
    return "SELECT " + (cols.empty() ? std::string("*") : Join(cols, ", ")) + " FROM " +
           QuoteIdent(t.source);
  }

  Result<std::string> Sql(const AggregateTransform& t) const {
    std::vector<std::string> select, group;
    for (const auto& g : t.group_by) {
      select.push_back(QuoteIdent(g));
      group.push_back(QuoteIdent(g));
    }
    for (const auto& a : t.aggregations) {
      std::string arg = a.column == "*" ? "*" : QuoteIdent(a.column);
      select.push_back(a.function + "(" + arg + ") AS " + QuoteIdent(a.alias));
    }
    return "SELECT " + Join(select, ", ") + " FROM " + QuoteIdent(t.source) +
           (group.empty() ? "" : " GROUP BY " + Join(group, ", "));
  }

  // Left's columns, then right's that left does not have; a join key named alike on both
  // sides is one column (coalesced for the outer joins that can leave either side NULL).
  Result<std::string> Sql(const RelateTransform& t) const {
    if (t.left == t.right) {
      return CompileError("INVALID_JOIN_KEYS", "a Relate of '" + t.left + "' with itself", view_,
                          index_);
    }
    std::string l = QuoteIdent(t.left), r = QuoteIdent(t.right);
    std::vector<std::string> on;
    for (const auto& k : t.join_keys) {
      on.push_back(l + "." + QuoteIdent(k.left_key) + " = " + r + "." + QuoteIdent(k.right_key));
    }
    if (t.join_type == JoinType::kSemi || t.join_type == JoinType::kAnti) {
      return "SELECT * FROM " + l + " WHERE " + (t.join_type == JoinType::kAnti ? "NOT " : "") +
             "EXISTS (SELECT 1 FROM " + r + " WHERE " + Join(on, " AND ") + ")";
    }
    const auto& left_cols = Columns(t.left);
    std::set<std::string> shared_keys;
    for (const auto& k : t.join_keys) {
      if (k.left_key == k.right_key) shared_keys.insert(k.left_key);
    }
    std::vector<std::string> select;
    for (const auto& c : left_cols) {
      std::string q = QuoteIdent(c);
      bool coalesce = shared_keys.count(c) > 0 &&
                      (t.join_type == JoinType::kRight || t.join_type == JoinType::kFull);
      select.push_back(coalesce ? "coalesce(" + l + "." + q + ", " + r + "." + q + ") AS " + q
                                : l + "." + q);
    }
    for (const auto& c : Columns(t.right)) {
      if (std::find(left_cols.begin(), left_cols.end(), c) == left_cols.end()) {
        select.push_back(r + "." + QuoteIdent(c));
      } else if (shared_keys.count(c) == 0) {
        return CompileError("AMBIGUOUS_COLUMN",
                            "column '" + c + "' is in both '" + t.left + "' and '" + t.right +
                                "' and is not a join key of the same name; project one away "
                                "first",
                            view_, index_, "\"column\":" + JsonQuote(c));
      }
    }
    return "SELECT " + Join(select, ", ") + " FROM " + l + " " + SqlJoinType(t.join_type) + " " +
           r + " ON " + Join(on, " AND ");
  }

  // Columns by name in the first source's order; the discriminator names each row's source.
  Result<std::string> Sql(const UnionTransform& t) const {
    const auto& first = Columns(t.sources.at(0));
    std::vector<std::string> parts;
    for (const auto& s : t.sources) {
      const auto& cols = Columns(s);
      std::vector<std::string> select;
      for (const auto& c : first) {
        if (std::find(cols.begin(), cols.end(), c) == cols.end()) {
          return CompileError(
              "UNION_COLUMN_MISSING",
              "union source '" + s + "' has no column '" + c + "' (of '" + t.sources[0] + "')",
              view_, index_, "\"source\":" + JsonQuote(s) + ",\"column\":" + JsonQuote(c));
        }
        select.push_back(QuoteIdent(c));
      }
      if (cols.size() != first.size()) {
        return CompileError(
            "UNION_COLUMN_MISSING",
            "union sources '" + t.sources[0] + "' and '" + s + "' have different columns", view_,
            index_, "\"source\":" + JsonQuote(s));
      }
      if (t.discriminator_column) {
        select.push_back(QuoteString(s) + " AS " + QuoteIdent(*t.discriminator_column));
      }
      parts.push_back("SELECT " + Join(select, ", ") + " FROM " + QuoteIdent(s));
    }
    return Join(parts, t.distinct ? " UNION " : " UNION ALL ");
  }

  Result<std::string> Location(const std::string& source) const {
    auto it = locations_.find(source);
    if (it == locations_.end()) {
      return CompileError("DELTA_SOURCE_REQUIRED",
                          "'" + source + "' is a view; this transform reads an input relation",
                          view_, index_, "\"source\":" + JsonQuote(source));
    }
    return it->second;
  }

  // The change feed is read by a delta_cdf provider registered under the view's name (it takes
  // versions or timestamps); the SQL is what a user would write for the version form.
  Result<std::string> Sql(const IncrementalCdfTransform& t) const {
    CA_ASSIGN_OR_RAISE(auto location, Location(t.source));
    if (t.starting_timestamp || t.ending_timestamp) {
      return "SELECT * FROM " + QuoteIdent(view_.name) + " -- delta_cdf provider over " +
             QuoteString(location) + " between timestamps";
    }
    return "SELECT * FROM read_delta_cdf(" + QuoteString(location) + ", " +
           std::to_string(t.starting_version.value_or(0)) +
           (t.ending_version ? ", " + std::to_string(*t.ending_version) : "") + ")";
  }

  Result<std::string> Sql(const MetadataTransform& t) const {
    CA_ASSIGN_OR_RAISE(auto location, Location(t.source));
    return "SELECT * FROM delta_snapshot(" + QuoteString(location) + ")";
  }

  Result<std::string> Sql(const FileManifestTransform& t) const {
    CA_ASSIGN_OR_RAISE(auto location, Location(t.source));
    return "SELECT * FROM delta_add_actions(" + QuoteString(location) + ")";
  }

  // The source's columns with each text column normalized in place (utf8_normalize: trimmed,
  // NFKC, case and inner whitespace kept), then `span` = span_make(bstart, bend) when span_columns
  // are given, then `entity_id` = stable_id_parts(view name, id columns..., bstart, bend) when
  // there is any id part.
  Result<std::string> Sql(const NormalizeTransform& t) const {
    const auto& cols = Columns(t.source);
    auto require = [&](const std::string& column, const std::string& field) -> Status {
      if (std::find(cols.begin(), cols.end(), column) != cols.end()) return Status::OK();
      return CompileError(
          "NORMALIZE_COLUMN_MISSING",
          "Normalize source '" + t.source + "' has no column '" + column + "'", view_, index_,
          "\"field\":" +
              JsonQuote("$.view_definitions[" + std::to_string(index_) + "].transform." + field) +
              ",\"column\":" + JsonQuote(column));
    };
    std::vector<std::string> parts;
    for (size_t i = 0; i < t.id_columns.size(); ++i) {
      CA_RETURN_NOT_OK(require(t.id_columns[i], "id_columns[" + std::to_string(i) + "]"));
      parts.push_back(QuoteIdent(t.id_columns[i]));
    }
    for (size_t i = 0; i < t.text_columns.size(); ++i) {
      CA_RETURN_NOT_OK(require(t.text_columns[i], "text_columns[" + std::to_string(i) + "]"));
    }
    std::vector<std::string> added;
    std::string span;
    if (t.span_columns) {
      const auto& [bstart, bend] = *t.span_columns;
      CA_RETURN_NOT_OK(require(bstart, "span_columns[0]"));
      CA_RETURN_NOT_OK(require(bend, "span_columns[1]"));
      span = "span_make(CAST(" + QuoteIdent(bstart) + " AS BIGINT), CAST(" + QuoteIdent(bend) +
             " AS BIGINT)) AS \"span\"";
      parts.push_back(QuoteIdent(bstart));
      parts.push_back(QuoteIdent(bend));
      added.push_back("span");
    }
    if (!parts.empty()) added.push_back("entity_id");
    for (const auto& name : added) {
      if (std::find(cols.begin(), cols.end(), name) != cols.end()) {
        return CompileError("NORMALIZE_COLUMN_EXISTS",
                            "Normalize adds column '" + name + "', which source '" + t.source +
                                "' already has; project it away or rename it first",
                            view_, index_, "\"column\":" + JsonQuote(name));
      }
    }
    std::vector<std::string> select;
    for (const auto& c : cols) {
      bool is_text =
          std::find(t.text_columns.begin(), t.text_columns.end(), c) != t.text_columns.end();
      select.push_back(is_text ? "utf8_normalize(" + QuoteIdent(c) + ", 'NFKC', false, false) AS " +
                                     QuoteIdent(c)
                               : QuoteIdent(c));
    }
    if (!span.empty()) select.push_back(span);
    if (!parts.empty()) {
      select.push_back("stable_id_parts(" + QuoteString(view_.name) + ", " + Join(parts, ", ") +
                       ") AS \"entity_id\"");
    }
    return "SELECT " + Join(select, ", ") + " FROM " + QuoteIdent(t.source);
  }

  // The union of the sources, each cast onto the output kind's columns (CONTRACTS §6).
  Result<std::string> Sql(const CpgEmitTransform& t) const {
    const auto* layout = CpgColumns(t.output_kind);
    if (layout == nullptr) {
      return CompileError(
          "NOT_SUPPORTED",
          "CpgEmit output_kind " + std::string(SpecName(t.output_kind)) + " is not supported yet",
          view_, index_, "\"kind\":\"CpgEmit\"");
    }
    std::vector<std::string> parts;
    for (const auto& s : t.sources) {
      const auto& cols = Columns(s);
      std::vector<std::string> select;
      for (const auto& [name, type] : *layout) {
        if (std::find(cols.begin(), cols.end(), name) == cols.end()) {
          return CompileError(
              "CPG_COLUMN_MISSING",
              "CpgEmit source '" + s + "' has no column '" + name + "' (" +
                  std::string(SpecName(t.output_kind)) + " need " + CpgColumnList(*layout) + ")",
              view_, index_, "\"source\":" + JsonQuote(s) + ",\"column\":" + JsonQuote(name));
        }
        select.push_back("CAST(" + QuoteIdent(name) + " AS " + type + ") AS " + QuoteIdent(name));
      }
      parts.push_back("SELECT " + Join(select, ", ") + " FROM " + QuoteIdent(s));
    }
    std::string sql = Join(parts, " UNION ALL ");
    if (t.output_kind == CpgOutputKind::kPropsMap) return PropsMapSql(sql);
    if (t.output_kind == CpgOutputKind::kEdgesBySrc) {
      return "SELECT * FROM (" + sql + ") AS e ORDER BY src_node_id, edge_kind, edge_id";
    }
    if (t.output_kind == CpgOutputKind::kEdgesByDst) {
      return "SELECT * FROM (" + sql + ") AS e ORDER BY dst_node_id, edge_kind, edge_id";
    }
    return sql;
  }

  // One row per entity: {entity_kind, entity_id, props, prop_count}, props the JSON object of
  // its properties (keys sorted by bytes, each value typed by value_type: strings quoted,
  // numbers and booleans bare, json embedded, NULL as null; a repeated key is kept per row).
  static std::string PropsMapSql(const std::string& props_sql) {
    auto quoted = [](const std::string& column) {
      std::string v = "replace(replace(" + QuoteIdent(column) + ", '\\', '\\\\'), '\"', '\\\"')";
      for (const auto& [raw, escaped] :
           {std::pair<std::string, std::string>{"\n", "\\n"}, {"\r", "\\r"}, {"\t", "\\t"}}) {
        v = "replace(" + v + ", '" + raw + "', '" + escaped + "')";
      }
      return "('\"' || " + v + " || '\"')";
    };
    std::string value = "coalesce(CASE value_type WHEN 'string' THEN " + quoted("value_string") +
                        " WHEN 'int' THEN CAST(value_int AS VARCHAR)"
                        " WHEN 'float' THEN CAST(value_float AS VARCHAR)"
                        " WHEN 'bool' THEN CASE WHEN value_bool THEN 'true' ELSE 'false' END"
                        " WHEN 'json' THEN value_json END, 'null')";
    return "SELECT entity_kind, entity_id, '{' || string_agg(" + quoted("prop_key") +
           " || ':' || " + value + ", ',') || '}' AS props, count(*) AS prop_count FROM (" +
           props_sql + ") AS p GROUP BY entity_kind, entity_id";
  }

  const ViewDefinition& view_;
  size_t index_;
  const std::map<std::string, std::vector<std::string>>& columns_;
  const std::map<std::string, std::string>& locations_;
};

// Views in dependency order: each after the views its transform reads and its
// view_dependencies (the spec's validation has refused cycles and unknown names).
std::vector<size_t> DependencyOrder(const SemanticSpec& spec) {
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < spec.view_definitions.size(); ++i) {
    by_name[spec.view_definitions[i].name] = i;
  }
  std::vector<size_t> order;
  std::vector<int> state(spec.view_definitions.size(), 0);  // 0 new, 1 visiting, 2 done
  std::function<void(size_t)> visit = [&](size_t i) {
    if (state[i] != 0) return;
    state[i] = 1;
    const auto& v = spec.view_definitions[i];
    std::vector<std::string> needs = TransformSources(v.transform);
    needs.insert(needs.end(), v.view_dependencies.begin(), v.view_dependencies.end());
    for (const auto& n : needs) {
      auto it = by_name.find(n);
      if (it != by_name.end()) visit(it->second);
    }
    state[i] = 2;
    order.push_back(i);
  };
  for (size_t i = 0; i < spec.view_definitions.size(); ++i) visit(i);
  return order;
}

std::vector<std::string> ColumnNames(const arrow::Schema& schema) {
  std::vector<std::string> out;
  for (const auto& f : schema.fields()) out.push_back(f->name());
  return out;
}

// The runtime flags this engine accepts without acting on them yet: one warning each.
std::vector<std::string> RuntimeWarnings(const RuntimeConfig& r) {
  std::vector<std::string> out;
  auto flag = [&](bool on, const char* name) {
    if (on) out.push_back(name);
  };
  flag(r.compliance_capture, "compliance_capture");
  flag(r.tuner_mode != TunerMode::kOff, "tuner_mode");
  flag(r.capture_optimizer_lab, "capture_optimizer_lab");
  flag(r.capture_delta_codec, "capture_delta_codec");
  flag(r.enable_tracing, "enable_tracing");
  flag(r.enable_rule_tracing, "enable_rule_tracing");
  flag(r.enable_plan_preview, "enable_plan_preview");
  flag(r.enable_function_factory, "enable_function_factory");
  flag(r.enable_domain_planner, "enable_domain_planner");
  flag(r.enable_relation_planner, "enable_relation_planner");
  return out;
}

// An IncrementalCdf view: a delta_cdf provider over the source's table, registered under the
// view's name (versions or timestamps bound the range, as CONTRACTS §7 options).
Result<engine::DataFrame> ChangeFeed(engine::SessionContext& ctx, const IncrementalCdfTransform& t,
                                     const std::string& location, const std::string& name) {
  std::string options = "{\"table_uri\":" + JsonQuote(location);
  auto add = [&](const char* key, const std::string& json) {
    options += ",\"" + std::string(key) + "\":" + json;
  };
  if (t.starting_version) add("starting_version", std::to_string(*t.starting_version));
  if (t.ending_version) add("ending_version", std::to_string(*t.ending_version));
  if (t.starting_timestamp) add("starting_timestamp", JsonQuote(*t.starting_timestamp));
  if (t.ending_timestamp) add("ending_timestamp", JsonQuote(*t.ending_timestamp));
  CA_ASSIGN_OR_RAISE(auto provider, delta::MakeDeltaProvider("delta_cdf", options + "}"));
  CA_RETURN_NOT_OK(ctx.RegisterProvider(name, provider));
  return ctx.Table(name);
}

// A Relate without join_keys takes the keys of the join graph's edge between its sources.
Result<ViewDefinition> WithEdgeKeys(const SemanticSpec& spec, const ViewDefinition& view,
                                    size_t index) {
  const auto* relate = std::get_if<RelateTransform>(&view.transform);
  if (relate == nullptr || !relate->join_keys.empty()) return view;
  auto keys = EdgeKeys(spec.join_graph, relate->left, relate->right);
  if (!keys || keys->empty()) {
    return CompileError("INVALID_JOIN_KEYS",
                        "Relate of '" + relate->left + "' and '" + relate->right +
                            "' has no join_keys and the join_graph has no edge between them",
                        view, index);
  }
  ViewDefinition resolved = view;
  std::get<RelateTransform>(resolved.transform).join_keys = std::move(*keys);
  return resolved;
}

}  // namespace

const CompiledView* CompiledPlan::view(const std::string& name) const {
  for (const auto& v : views) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? separator : "") + parts[i];
  return out;
}

std::string QuoteString(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> ActiveRules(const SemanticSpec& spec) {
  std::vector<std::string> rules;
  for (const auto& r : spec.rule_intents) {
    if (spec.rulepack_profile == RulepackProfile::kLowLatency &&
        r.rule_class != RuleClass::kSemanticIntegrity) {
      continue;
    }
    if (r.rule_class == RuleClass::kSafety && spec.rulepack_profile != RulepackProfile::kStrict) {
      continue;
    }
    rules.push_back(r.name);
  }
  if (spec.rulepack_profile == RulepackProfile::kStrict ||
      spec.rulepack_profile == RulepackProfile::kReplay) {
    rules.push_back("strict_safety");
  }
  return rules;
}

std::string RulepackFingerprint(const std::vector<std::string>& rules) {
  std::string text;
  for (const auto& r : rules) text += r + "\n";
  return Blake2bHex(text, 32);
}

Result<CompiledPlan> CompileSpec(engine::SessionContext& ctx, const SemanticSpec& spec) {
  CompiledPlan plan;
  plan.spec = spec;
  plan.spec_hash = SpecHashHex(spec);
  plan.rules = ActiveRules(spec);
  plan.rulepack_fingerprint = RulepackFingerprint(plan.rules);
  for (const auto& name : RuntimeWarnings(spec.runtime)) {
    JsonValue context = JsonValue::MakeObject();
    context.Set("field", "runtime." + name);
    plan.warnings.push_back(
        {"RUNTIME_FLAG_IGNORED", std::string(stage::kRuntime),
         "runtime." + name + " is accepted but has no effect in this engine yet",
         std::move(context)});
  }
  CA_ASSIGN_OR_RAISE(sql::SqlParams params, PlaceholderParams(spec));
  std::map<std::string, std::vector<std::string>> columns;
  std::map<std::string, std::string> locations;
  for (size_t i = 0; i < spec.input_relations.size(); ++i) {
    const auto& in = spec.input_relations[i];
    std::string options =
        "{\"table_uri\":" + JsonQuote(in.delta_location) +
        (in.version_pin ? ",\"version\":" + std::to_string(*in.version_pin) : "") + "}";
    auto provider = delta::MakeDeltaProvider("delta", options);
    if (!provider.ok()) {
      ErrorInfo info = DescribeError(provider.status());
      return EngineError(provider.status().code(), stage::kCompilation, info.code,
                         "input relation '" + in.logical_name + "': " + info.message,
                         "{\"relation\":" + JsonQuote(in.logical_name) + ",\"path\":" +
                             JsonQuote("$.input_relations[" + std::to_string(i) + "]") +
                             ",\"cause_stage\":" + JsonQuote(info.stage) + "}");
    }
    CA_RETURN_NOT_OK(ctx.RegisterProvider(in.logical_name, *provider));
    columns[in.logical_name] = ColumnNames(*(*provider)->schema());
    locations[in.logical_name] = in.delta_location;
  }
  CA_RETURN_NOT_OK(ApplyFilterEqParameters(ctx, spec, columns));
  CA_ASSIGN_OR_RAISE(CachePolicy policy, ParseCachePolicy(spec));
  std::set<std::string> cached = CachedViews(spec, policy);
  plan.cached_views.assign(cached.begin(), cached.end());
  for (size_t index : DependencyOrder(spec)) {
    const ViewDefinition& view = spec.view_definitions[index];
    CA_ASSIGN_OR_RAISE(ViewDefinition resolved, WithEdgeKeys(spec, view, index));
    ViewSql writer(resolved, index, columns, locations);
    CA_ASSIGN_OR_RAISE(std::string sql, writer.Write());
    const auto* cdf = std::get_if<IncrementalCdfTransform>(&view.transform);
    auto df = cdf != nullptr ? ChangeFeed(ctx, *cdf, locations.at(cdf->source), view.name)
                             : sql::ExecuteSql(ctx, sql, params);
    if (!df.ok()) return ViewError(df.status(), view, index, sql);
    auto names = ColumnNames(*df->schema());
    for (const auto& [column, type] : view.output_schema.columns) {
      if (std::find(names.begin(), names.end(), column) == names.end()) {
        return CompileError("OUTPUT_SCHEMA_MISMATCH",
                            "output_schema declares column '" + column +
                                "', which the view does not produce (it has: " + Join(names, ", ") +
                                ")",
                            view, index, "\"column\":" + JsonQuote(column));
      }
    }
    // No definition text: later views inline this plan as compiled (not re-bound from SQL).
    if (cdf == nullptr && cached.count(view.name) > 0) {
      // Computed once, on the first run that reads it; this view's own output reads it too.
      CA_RETURN_NOT_OK(
          ctx.RegisterProvider(view.name, std::make_shared<engine::CachedViewProvider>(*df)));
      df = ctx.Table(view.name);
      if (!df.ok()) return ViewError(df.status(), view, index, sql);
    } else if (cdf == nullptr) {
      CA_RETURN_NOT_OK(
          ctx.RegisterProvider(view.name, std::make_shared<engine::ViewProvider>(df->plan(), "")));
    }
    columns[view.name] = std::move(names);
    plan.views.push_back(CompiledView{view.name, sql, *df});
  }
  CA_RETURN_NOT_OK(CheckJoinGraphColumns(spec.join_graph, columns));
  CA_RETURN_NOT_OK(EnforcePushdownContracts(ctx, plan, locations));
  return plan;
}

}  // namespace codeanatomy::semantic
