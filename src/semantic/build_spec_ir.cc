// The semantic IR of build_spec.h: reading it, and deriving each view's transform (join keys
// from join edges or shared columns).
#include <algorithm>
#include <cctype>

#include "common/suggest.h"
#include "semantic/build_spec.h"
#include "semantic/build_spec_internal.h"
#include "semantic/spec_internal.h"

namespace codeanatomy::semantic::build_spec_internal {

using internal::DetailsJson;

namespace {

const std::vector<KindInfo>& Kinds() {
  static const std::vector<KindInfo> kinds = {
      {"normalize", true, Arity::kOne, {"id_columns", "span_columns", "text_columns"}},
      {"relate", true, Arity::kTwo, {"join_type", "join_keys"}},
      {"join", true, Arity::kTwo, {"join_type", "join_keys"}},
      {"union", true, Arity::kAtLeastOne, {"discriminator_column", "distinct"}},
      {"project", true, Arity::kOne, {"columns"}},
      {"filter", true, Arity::kOne, {"predicate"}},
      {"aggregate", true, Arity::kOne, {"group_by", "aggregations"}},
      {"incremental_cdf",
       true,
       Arity::kOne,
       {"starting_version", "ending_version", "starting_timestamp", "ending_timestamp"}},
      {"metadata", true, Arity::kOne, {}},
      {"file_manifest", true, Arity::kOne, {}},
      {"cpg_emit", true, Arity::kAtLeastOne, {"output_kind"}},
      {"diagnostic", false, Arity::kAny, {}},
      {"artifact", false, Arity::kAny, {}},
  };
  return kinds;
}

const KindInfo* FindKind(std::string_view name) {
  for (const KindInfo& kind : Kinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

bool ArityHolds(Arity arity, size_t n) {
  switch (arity) {
    case Arity::kOne:
      return n == 1;
    case Arity::kTwo:
      return n == 2;
    case Arity::kAtLeastOne:
      return n >= 1;
    case Arity::kAny:
      return true;
  }
  return false;
}

std::string_view ArityText(Arity arity) {
  switch (arity) {
    case Arity::kOne:
      return "exactly 1 input";
    case Arity::kTwo:
      return "exactly 2 inputs";
    case Arity::kAtLeastOne:
      return "at least 1 input";
    case Arity::kAny:
      return "any number of inputs";
  }
  return "";
}

bool IsPlainName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

const IrView* SemanticIr::View(const std::string& name) const {
  auto it = view_index_.find(name);
  return it == view_index_.end() ? nullptr : &views_[it->second];
}

Status SemanticIr::Read(const JsonValue& ir) {
  CA_ASSIGN_OR_RAISE(auto root, ObjectFields::Open(ir, std::string(kJsonPathRoot), kIrInvalid));
  CA_RETURN_NOT_OK(root.Allow({"ir_version", "views", "join_edges", "datasets"}));
  CA_ASSIGN_OR_RAISE(const JsonValue* version, root.Required("ir_version"));
  if (!version->is_int() || version->int_value() != kSemanticIrVersion) {
    return PathError(kIrInvalid, root.Path("ir_version"),
                     "unsupported ir_version " + version->ToJson() + "; this engine reads " +
                         std::to_string(kSemanticIrVersion));
  }
  const JsonValue* views = root.Get("views");
  if (views != nullptr && !views->is_array()) {
    return TypeError(kIrInvalid, root.Path("views"), "an array", *views);
  }
  if (views == nullptr || views->array_value().empty()) {
    return InvalidError(stage::kValidation, "SEMANTIC_IR_MISSING_VIEWS",
                        "the semantic IR defines no views; views must not be empty",
                        DetailsJson({{"path", root.Path("views")}}));
  }
  for (size_t i = 0; i < views->array_value().size(); ++i) {
    CA_RETURN_NOT_OK(ReadView(views->array_value()[i], i));
  }
  CA_RETURN_NOT_OK(ReadDatasets(root));
  CA_RETURN_NOT_OK(ReadJoinEdges(root));
  JsonValue non_executable = JsonValue::MakeArray();
  for (const IrView& view : views_) {
    if (view.kind->executable) return Status::OK();
    non_executable.Append(view.name);
  }
  return InvalidError(
      stage::kValidation, "SEMANTIC_IR_MISSING_EXECUTABLE_VIEWS",
      "the semantic IR has no executable view (only diagnostic or artifact views)",
      DetailsJson({{"path", root.Path("views")}, {"non_executable", std::move(non_executable)}}));
}

Status SemanticIr::ReadView(const JsonValue& json, size_t index) {
  CA_ASSIGN_OR_RAISE(auto fields,
                     ObjectFields::Open(json, JsonPathAppendIndex("$.views", index), kIrInvalid));
  IrView view;
  view.path = fields.path();
  view.json = &json;
  CA_ASSIGN_OR_RAISE(view.name, fields.String("name"));
  if (view.name.empty()) return PathError(kIrInvalid, fields.Path("name"), "must not be empty");
  if (!view_index_.emplace(view.name, index).second) {
    return PathError(kIrInvalid, fields.Path("name"), "duplicate view '" + view.name + "'");
  }
  CA_ASSIGN_OR_RAISE(std::string kind, fields.String("kind"));
  view.kind = FindKind(kind);
  if (view.kind == nullptr) {
    std::vector<std::string> known;
    for (const KindInfo& k : Kinds()) known.emplace_back(k.name);
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return PathError(kTransformFailed, fields.Path("kind"),
                     "unknown view kind '" + kind + "'" +
                         SuggestionText(ClosestNames(kind, known, 1)) + "; expected one of " + list,
                     {{"view", view.name}});
  }
  std::vector<std::string> allowed = {"name", "kind", "inputs", "output_columns"};
  allowed.insert(allowed.end(), view.kind->hints.begin(), view.kind->hints.end());
  CA_RETURN_NOT_OK(fields.Allow(allowed, " for a " + kind + " view"));
  CA_ASSIGN_OR_RAISE(view.inputs, fields.Strings("inputs", true));
  if (const JsonValue* columns = fields.Get("output_columns")) {
    CA_ASSIGN_OR_RAISE(view.output_columns,
                       AsStringMap(kIrInvalid, *columns, fields.Path("output_columns")));
  }
  views_.push_back(std::move(view));
  return Status::OK();
}

Status SemanticIr::ReadDatasets(const ObjectFields& root) {
  const JsonValue* datasets = root.Get("datasets");
  if (datasets == nullptr) return Status::OK();
  CA_ASSIGN_OR_RAISE(auto all, ObjectFields::Open(*datasets, root.Path("datasets"), kIrInvalid));
  for (const auto& [name, value] : all.members()) {
    CA_ASSIGN_OR_RAISE(auto dataset, ObjectFields::Open(value, all.Path(name), kIrInvalid));
    CA_RETURN_NOT_OK(dataset.Allow({"columns"}));
    CA_ASSIGN_OR_RAISE(const JsonValue* columns, dataset.Required("columns"));
    std::vector<std::string>& out = datasets_[name];
    if (columns->is_object()) {
      for (const auto& [column, type] : columns->object_value()) out.push_back(column);
    } else {
      CA_ASSIGN_OR_RAISE(out, AsStrings(kIrInvalid, *columns, dataset.Path("columns")));
    }
  }
  return Status::OK();
}

Status SemanticIr::ReadJoinEdges(const ObjectFields& root) {
  const JsonValue* edges = root.Get("join_edges");
  if (edges == nullptr) return Status::OK();
  if (!edges->is_array()) return TypeError(kIrInvalid, root.Path("join_edges"), "an array", *edges);
  for (size_t i = 0; i < edges->array_value().size(); ++i) {
    CA_ASSIGN_OR_RAISE(
        auto fields,
        ObjectFields::Open(edges->array_value()[i], JsonPathAppendIndex(root.Path("join_edges"), i),
                           kIrInvalid));
    CA_RETURN_NOT_OK(
        fields.Allow({"left_relation", "right_relation", "join_type", "left_keys", "right_keys"}));
    JoinEdge edge;
    CA_ASSIGN_OR_RAISE(edge.left_relation, fields.String("left_relation"));
    CA_ASSIGN_OR_RAISE(edge.right_relation, fields.String("right_relation"));
    if (const JsonValue* type = fields.Get("join_type")) {
      CA_ASSIGN_OR_RAISE(
          edge.join_type,
          ParseEnum<JoinType>(kIrInvalid, *type, fields.Path("join_type"), kJoinTypeCount));
    }
    CA_ASSIGN_OR_RAISE(edge.left_keys, fields.Strings("left_keys", true));
    CA_ASSIGN_OR_RAISE(edge.right_keys, fields.Strings("right_keys", true));
    if (edge.left_keys.empty() || edge.left_keys.size() != edge.right_keys.size()) {
      return PathError(kIrInvalid, fields.Path("right_keys"),
                       "must name as many keys as left_keys, and at least one");
    }
    edges_.push_back(std::move(edge));
  }
  return Status::OK();
}

Status SemanticIr::CheckArity(const IrView& view) const {
  if (ArityHolds(view.kind->arity, view.inputs.size())) return Status::OK();
  return PathError(kTransformFailed, JsonPathAppendKey(view.path, "inputs"),
                   "a " + std::string(view.kind->name) + " view takes " +
                       std::string(ArityText(view.kind->arity)) + ", got " +
                       std::to_string(view.inputs.size()),
                   {{"view", view.name}});
}

Result<ViewTransform> SemanticIr::Transform(const IrView& view) const {
  CA_ASSIGN_OR_RAISE(auto hints, ObjectFields::Open(*view.json, view.path, kTransformFailed));
  const std::string_view kind = view.kind->name;
  const std::string& first = view.inputs.front();
  if (kind == "relate" || kind == "join") return Relate(view, hints);
  if (kind == "normalize") {
    NormalizeTransform t{first, {}, std::nullopt, {}};
    CA_ASSIGN_OR_RAISE(t.id_columns, hints.Strings("id_columns", true));
    if (const JsonValue* span = hints.Get("span_columns")) {
      CA_ASSIGN_OR_RAISE(auto columns,
                         AsStrings(kTransformFailed, *span, hints.Path("span_columns")));
      if (columns.size() != 2) {
        return PathError(kTransformFailed, hints.Path("span_columns"),
                         "expected two column names [start, end]");
      }
      t.span_columns = std::make_pair(columns[0], columns[1]);
    }
    CA_ASSIGN_OR_RAISE(t.text_columns, hints.Strings("text_columns", false));
    return t;
  }
  if (kind == "union") {
    UnionTransform t{view.inputs, std::nullopt, false};
    CA_ASSIGN_OR_RAISE(t.discriminator_column, hints.OptionalString("discriminator_column"));
    CA_ASSIGN_OR_RAISE(t.distinct, hints.Bool("distinct", false));
    return t;
  }
  if (kind == "project") {
    ProjectTransform t{first, {}};
    CA_ASSIGN_OR_RAISE(t.columns, hints.Strings("columns", true));
    return t;
  }
  if (kind == "filter") {
    FilterTransform t{first, ""};
    CA_ASSIGN_OR_RAISE(t.predicate, hints.String("predicate"));
    return t;
  }
  if (kind == "aggregate") {
    AggregateTransform t{first, {}, {}};
    CA_ASSIGN_OR_RAISE(t.group_by, hints.Strings("group_by", false));
    CA_ASSIGN_OR_RAISE(const JsonValue* aggregations, hints.Required("aggregations"));
    if (!aggregations->is_array()) {
      return TypeError(kTransformFailed, hints.Path("aggregations"), "an array", *aggregations);
    }
    for (size_t i = 0; i < aggregations->array_value().size(); ++i) {
      CA_ASSIGN_OR_RAISE(
          auto agg,
          ObjectFields::Open(aggregations->array_value()[i],
                             JsonPathAppendIndex(hints.Path("aggregations"), i), kTransformFailed));
      CA_RETURN_NOT_OK(agg.Allow({"column", "function", "alias"}));
      AggregationExpr expr;
      CA_ASSIGN_OR_RAISE(expr.column, agg.String("column"));
      CA_ASSIGN_OR_RAISE(expr.function, agg.String("function"));
      CA_ASSIGN_OR_RAISE(expr.alias, agg.String("alias"));
      t.aggregations.push_back(std::move(expr));
    }
    return t;
  }
  if (kind == "incremental_cdf") {
    IncrementalCdfTransform t{first, {}, {}, {}, {}};
    CA_ASSIGN_OR_RAISE(t.starting_version, hints.OptionalInt("starting_version"));
    CA_ASSIGN_OR_RAISE(t.ending_version, hints.OptionalInt("ending_version"));
    CA_ASSIGN_OR_RAISE(t.starting_timestamp, hints.OptionalString("starting_timestamp"));
    CA_ASSIGN_OR_RAISE(t.ending_timestamp, hints.OptionalString("ending_timestamp"));
    return t;
  }
  if (kind == "metadata") return MetadataTransform{first};
  if (kind == "file_manifest") return FileManifestTransform{first};
  CpgEmitTransform t{CpgOutputKind::kNodes, view.inputs};  // cpg_emit
  CA_ASSIGN_OR_RAISE(const JsonValue* output_kind, hints.Required("output_kind"));
  CA_ASSIGN_OR_RAISE(t.output_kind,
                     ParseEnum<CpgOutputKind>(kTransformFailed, *output_kind,
                                              hints.Path("output_kind"), kCpgOutputKindCount));
  return t;
}

Result<RelateTransform> SemanticIr::Relate(const IrView& view, const ObjectFields& hints) const {
  RelateTransform t{view.inputs[0], view.inputs[1], JoinType::kInner, {}};
  std::optional<JoinType> type;
  if (const JsonValue* v = hints.Get("join_type")) {
    CA_ASSIGN_OR_RAISE(
        type, ParseEnum<JoinType>(kTransformFailed, *v, hints.Path("join_type"), kJoinTypeCount));
  }
  if (const JsonValue* keys = hints.Get("join_keys")) {
    const std::string path = hints.Path("join_keys");
    if (!keys->is_array()) return TypeError(kTransformFailed, path, "an array", *keys);
    for (size_t i = 0; i < keys->array_value().size(); ++i) {
      const JsonValue& key = keys->array_value()[i];
      if (key.is_string()) {  // the same column on both sides
        t.join_keys.push_back({key.string_value(), key.string_value()});
        continue;
      }
      CA_ASSIGN_OR_RAISE(auto pair,
                         ObjectFields::Open(key, JsonPathAppendIndex(path, i), kTransformFailed));
      CA_RETURN_NOT_OK(pair.Allow({"left_key", "right_key"}));
      JoinKeyPair keys_pair;
      CA_ASSIGN_OR_RAISE(keys_pair.left_key, pair.String("left_key"));
      CA_ASSIGN_OR_RAISE(keys_pair.right_key, pair.String("right_key"));
      t.join_keys.push_back(std::move(keys_pair));
    }
  }
  if (t.join_keys.empty()) {
    for (const JoinEdge& edge : edges_) {
      bool forward = edge.left_relation == t.left && edge.right_relation == t.right;
      bool backward = edge.left_relation == t.right && edge.right_relation == t.left;
      if (!forward && !backward) continue;
      for (size_t k = 0; k < edge.left_keys.size(); ++k) {
        t.join_keys.push_back(forward ? JoinKeyPair{edge.left_keys[k], edge.right_keys[k]}
                                      : JoinKeyPair{edge.right_keys[k], edge.left_keys[k]});
      }
      if (forward && !type) type = edge.join_type;
      break;
    }
  }
  if (t.join_keys.empty()) {
    auto left = ColumnsOf(t.left, 0);
    auto right = ColumnsOf(t.right, 0);
    Members who = {{"view", view.name}, {"left", t.left}, {"right", t.right}};
    std::string between =
        "no join_keys and no join edge between '" + t.left + "' and '" + t.right + "'";
    if (!left || !right) {
      return PathError(kJoinFailed, view.path,
                       between + ", and the columns of '" + (left ? t.right : t.left) +
                           "' are unknown (declare them in datasets)",
                       std::move(who));
    }
    for (const std::string& column : *left) {
      if (std::find(right->begin(), right->end(), column) != right->end()) {
        t.join_keys.push_back({column, column});
      }
    }
    if (t.join_keys.empty()) {
      return PathError(kJoinFailed, view.path, between + ", and they share no column",
                       std::move(who));
    }
  }
  t.join_type = type.value_or(JoinType::kInner);
  return t;
}

std::optional<std::vector<std::string>> SemanticIr::ColumnsOf(const std::string& name,
                                                              size_t depth) const {
  if (auto it = datasets_.find(name); it != datasets_.end()) return it->second;
  const IrView* view = View(name);
  if (view == nullptr || depth > views_.size()) return std::nullopt;  // depth: an IR cycle
  if (!view->output_columns.empty()) {
    std::vector<std::string> out;
    for (const auto& [column, type] : view->output_columns) out.push_back(column);
    return out;
  }
  if (view->kind->name == "filter" && view->inputs.size() == 1) {
    return ColumnsOf(view->inputs[0], depth + 1);
  }
  const JsonValue* columns = view->json->Get("columns");
  if (view->kind->name != "project" || columns == nullptr) return std::nullopt;
  auto names = AsStrings(kTransformFailed, *columns, view->path);
  if (!names.ok() || !std::all_of(names->begin(), names->end(), IsPlainName)) return std::nullopt;
  return *names;  // plain column names, not expressions
}

}  // namespace codeanatomy::semantic::build_spec_internal
