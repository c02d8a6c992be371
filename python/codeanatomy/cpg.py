"""The Code Property Graph of a Python repository: the v4 spec (shared/CONTRACTS.md §1) that turns
the evidence tables of :mod:`codeanatomy.extract` into the CPG tables of §6, and ``build_cpg``,
which extracts, builds and counts in one call.

Nodes (``cpg_nodes``), one per evidence row, keeping the evidence ids (stable ids over the path
and the byte span, so a rebuild of the same tree gives the same ids):

==========  ==============  ==============================================================
node_kind   from            name
==========  ==============  ==============================================================
FILE        repo_files      the path (span: the whole file)
MODULE,     definitions     the definition's name
CLASS,
FUNCTION,
PARAMETER
IMPORT      imports         the name it binds: ``asname``, else ``name``, else ``module``
CALL        call_sites      the callee's source text
NAME_REF    name_refs       the name
==========  ==============  ==============================================================

Edges (``cpg_edges``; ``edge_id = stable_id_parts('edge', edge_kind, src, dst)``,
``score = confidence``; ``origin`` is the evidence table the edge comes from; ``path`` is the
source node's file and the span where the edge is evidenced: the child's for CONTAINS and
DEFINES, the import's, the call's, the class's or the reference's for the others):

- ``CONTAINS``: FILE -> its MODULE; a definition -> each definition whose ``parent_def_id`` it
  is (lexical nesting, parameters included). Method ``file_module`` / ``parent_definition``.
- ``DEFINES``: a scope (MODULE, CLASS, FUNCTION) -> each definition or IMPORT that binds a name
  in its namespace: a definition's parent, except that a function or class declared ``global``
  in the function around it binds in the module; an import binds in the scope that runs it.
  Method ``binding_scope``.
- ``IMPORTS``: the file's MODULE -> each IMPORT in the file (at any depth).
- ``RESOLVES_TO``: IMPORT -> the MODULE, CLASS or FUNCTION it names in this repository (see
  "import targets" below).
- ``CALLS``: CALL -> FUNCTION or CLASS, and ``INHERITS_FROM``: CLASS -> CLASS named by one of
  its bases (the first ``MAX_BASES`` bases). Both resolve the callee's or base's source text the
  same way:

  1. through an import of the same file (any scope) when the text is the import's bound name
     (``h`` for ``from .util import helper as h``) or that name, a dot and a member
     (``util.helper`` for ``from . import util``): the import target, or the member of it
     whose qualified name is the target + ``.`` + name. Method ``import``, confidence 0.9, or
     ``import_reexport``, 0.8, when the target was reached through a package's re-export;
  2. a call ``self.m(...)`` or ``cls.m(...)`` written directly in a method of class ``C``: the
     methods named ``m`` defined in ``C`` itself. Method ``receiver_class``, confidence 1.0
     (1/n for n such methods, e.g. a property's getter and setter); a method ``C`` inherits
     falls to rule 3;
  3. otherwise (the text is neither an imported name nor an imported name, a dot and the
     callee's name) by name among the FUNCTION and CLASS definitions of the same file: the
     call's ``callee_name`` (its last dotted part, whatever the receiver: ``self.describe``
     and ``model.path`` both count), a base's whole text. Method ``local_name``, confidence
     1.0 when one definition has that name, 1/n when n have.
- ``REFERENCES``: NAME_REF (``Load`` context only) -> the definition or IMPORT binding that
  name in the innermost scope that can see it: the reference's own scope, else the nearest
  lexically enclosing FUNCTION or MODULE (class bodies are not seen from the code nested in
  them, as in Python). Several bindings of the name in that scope each get an edge with
  confidence 1/n. Method ``scope_chain``. Names bound only by assignment or by ``import a.b``
  without ``as`` (which binds ``a``) have no binding node and get no edge; builtins neither.

Import targets: an import names ``module.name`` (``from module import name``) or ``module``
(``import module``). When that is ``P.x`` and the module ``P`` itself imports ``x`` at module
level (a package re-exporting ``x`` from ``P/__init__.py``), the target is what that import
names (one hop).

Props (``cpg_props``): ``qualified_name`` (string) of every definition; ``is_async`` (bool) of
functions; ``bases`` (string, the bases' source text joined with ``", "``) of classes with
bases; ``n_args`` (int) of calls; ``module`` and ``imported_name`` (string) and ``level``
(int) of imports; ``ctx`` (string) of name references; ``sha256`` (string), ``size_bytes`` and
``line_count`` (int) of files, and ``diagnostic`` (string, ``stage: message``) of files that
could not be parsed. ``cpg_props_map`` has one row per entity with its props as a JSON object
(``props``, keys sorted) and their number (``prop_count``).
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from .engine import run_build
from .extract import extract_repository, write_evidence

__all__ = ["CPG_OUTPUTS", "EDGE_KINDS", "MAX_BASES", "NODE_KINDS", "build_cpg",
           "build_cpg_spec"]

NODE_KINDS = ("FILE", "MODULE", "CLASS", "FUNCTION", "PARAMETER", "IMPORT", "CALL", "NAME_REF")
EDGE_KINDS = ("CONTAINS", "DEFINES", "IMPORTS", "RESOLVES_TO", "CALLS", "INHERITS_FROM",
              "REFERENCES")
# Output table -> the CpgEmit output kind that fills it.
CPG_OUTPUTS = {"cpg_nodes": "Nodes", "cpg_edges": "Edges", "cpg_props": "Props",
               "cpg_props_map": "PropsMap", "cpg_edges_by_src": "EdgesBySrc",
               "cpg_edges_by_dst": "EdgesByDst"}
EVIDENCE_INPUTS = ("repo_files", "definitions", "name_refs", "imports", "call_sites",
                   "diagnostics")
# Bases are a list column; the engine has no UNNEST, so each position is read by its own view.
MAX_BASES = 8

# Prop value type -> (its value column, the typed NULL that fills it for the other types).
_PROP_VALUES = {"string": ("value_string", "CAST(NULL AS VARCHAR)"),
                "int": ("value_int", "CAST(NULL AS BIGINT)"),
                "float": ("value_float", "CAST(NULL AS DOUBLE)"),
                "bool": ("value_bool", "CAST(NULL AS BOOLEAN)"),
                "json": ("value_json", "CAST(NULL AS VARCHAR)")}


def _conf(value: float) -> str:
    return f"CAST({value} AS DOUBLE) AS confidence"


class _Views:
    """The spec's view definitions, in the order they are added; each helper adds one view and
    returns its name, so a later view reads as the transform of earlier ones."""

    def __init__(self, inputs: tuple[str, ...]) -> None:
        self.inputs = set(inputs)
        self.definitions: list[dict[str, Any]] = []

    def add(self, name: str, transform: dict[str, Any], reads: list[str]) -> str:
        self.definitions.append({
            "name": name,
            "view_kind": transform["kind"].lower(),
            "view_dependencies": [r for r in dict.fromkeys(reads) if r not in self.inputs],
            "transform": transform,
            "output_schema": {"columns": {}},
        })
        return name

    def filter(self, name: str, source: str, predicate: str) -> str:
        return self.add(name, {"kind": "Filter", "source": source, "predicate": predicate},
                        [source])

    def project(self, name: str, source: str, *columns: str) -> str:
        return self.add(name, {"kind": "Project", "source": source, "columns": list(columns)},
                        [source])

    def relate(self, name: str, left: str, right: str, *keys: str | tuple[str, str],
               how: str = "Inner") -> str:
        pairs = [(k, k) if isinstance(k, str) else k for k in keys]
        return self.add(name, {"kind": "Relate", "left": left, "right": right, "join_type": how,
                               "join_keys": [{"left_key": lk, "right_key": rk}
                                             for lk, rk in pairs]},
                        [left, right])

    def union(self, name: str, *sources: str) -> str:
        return self.add(name, {"kind": "Union", "sources": list(sources), "distinct": False},
                        list(sources))

    def aggregate(self, name: str, source: str, group_by: list[str],
                  aggregations: list[tuple[str, str, str]]) -> str:
        return self.add(name, {"kind": "Aggregate", "source": source, "group_by": group_by,
                               "aggregations": [{"column": c, "function": f, "alias": a}
                                                for c, f, a in aggregations]},
                        [source])

    def emit(self, name: str, output_kind: str, *sources: str) -> str:
        return self.add(name, {"kind": "CpgEmit", "output_kind": output_kind,
                               "sources": list(sources)}, list(sources))

    def edges(self, name: str, source: str, edge_kind: str, src: str, dst: str, origin: str,
              method: str, confidence: str = _conf(1.0),
              span: tuple[str, str] = ("bstart", "bend")) -> str:
        """A Project onto the edge columns but ``edge_id``, ``score`` and ``path`` (added once
        for all edges). ``src``, ``dst``, ``origin``, ``method`` and ``span`` are SQL over
        ``source``'s columns; ``confidence`` is an SQL expression with its alias."""
        return self.project(name, source, f"'{edge_kind}' AS edge_kind",
                            _alias(src, "src_node_id"), _alias(dst, "dst_node_id"),
                            _alias(origin, "origin"), _alias(method, "resolution_method"),
                            confidence, "file_id", _alias(span[0], "bstart"),
                            _alias(span[1], "bend"))

    def props(self, name: str, source: str, entity_id: str, key: str, value_type: str,
              value: str) -> str:
        """A Project onto the prop columns: ``value`` in the column of ``value_type``."""
        values = [f"{value if value_type == t else null} AS {column}"
                  for t, (column, null) in _PROP_VALUES.items()]
        return self.project(name, source, "'node' AS entity_kind",
                            f"{entity_id} AS entity_id", f"'{key}' AS prop_key",
                            f"'{value_type}' AS value_type", *values)


def _alias(expression: str, name: str) -> str:
    return name if expression == name else f"{expression} AS {name}"


def build_cpg_spec(evidence_dir: str | os.PathLike[str],
                   out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """A v4 spec reading the evidence Delta tables under ``evidence_dir`` (as written by
    :func:`codeanatomy.extract.write_evidence`) and writing ``cpg_nodes``, ``cpg_edges``,
    ``cpg_props``, ``cpg_props_map``, ``cpg_edges_by_src`` and ``cpg_edges_by_dst`` under
    ``out_dir``. The node,
    edge and prop rules are in this module's docstring."""
    evidence, out = os.path.abspath(evidence_dir), os.path.abspath(out_dir)
    v = _Views(EVIDENCE_INPUTS)
    _shared_views(v)
    nodes = _node_views(v)
    edges = [_contains_edges(v), _defines_edges(v), _imports_edges(v), _import_target_edges(v),
             _site_edges(v), _references_edges(v)]
    props = _prop_views(v)
    _place_and_emit(v, nodes, [e for group in edges for e in group], props)
    return {
        "version": 4,
        "input_relations": [{"logical_name": name,
                             "delta_location": os.path.join(evidence, name)}
                            for name in EVIDENCE_INPUTS],
        "view_definitions": v.definitions,
        "join_graph": {"edges": [], "constraints": []},
        "output_targets": [{"table_name": table, "source_view": table,
                            "delta_location": os.path.join(out, table), "columns": []}
                           for table in CPG_OUTPUTS],
        "rule_intents": [],
        "rulepack_profile": "Default",
        # Views several outputs read (the edges for cpg_edges and both sorted copies, the
        # props for cpg_props and cpg_props_map) are computed once per build.
        "cache_policy": {"min_fanout": 2},
    }


def _shared_views(v: _Views) -> None:
    """Relations several rules read: paths, each file's module, imports with the name they
    bind and what they name, the scopes' spans and the callable definitions."""
    v.project("file_paths", "repo_files", "file_id", "path")
    v.filter("module_definitions", "definitions", "kind = 'MODULE'")
    v.project("file_modules", "module_definitions", "file_id", "def_id AS module_id",
              "qualified_name AS module_qn", "bend AS module_bend")
    v.project("imports_named", "imports", "import_id", "file_id", "scope_def_id", "bstart",
              "bend", "coalesce(asname, name, module) AS local_name",
              "coalesce(module || '.' || name, module) AS target_qn")
    v.project("import_names", "imports_named", "import_id", "file_id", "local_name",
              "target_qn")
    v.filter("scope_definitions", "definitions", "kind <> 'PARAMETER'")
    v.filter("callable_definitions", "definitions", "kind IN ('FUNCTION', 'CLASS')")
    v.project("named_targets", "callable_definitions", "file_id", "def_id AS target_id",
              "kind AS target_kind", "name AS target_name")


def _node_views(v: _Views) -> list[str]:
    common = ("bstart", "bend", "file_id")
    return [
        v.project("file_nodes", "repo_files", "file_id AS node_id", "'FILE' AS node_kind",
                  "CAST(0 AS BIGINT) AS bstart", "size AS bend", "file_id", "path AS name"),
        v.project("definition_nodes", "definitions", "def_id AS node_id", "kind AS node_kind",
                  *common, "name"),
        v.project("import_nodes", "imports_named", "import_id AS node_id",
                  "'IMPORT' AS node_kind", *common, "local_name AS name"),
        v.project("call_nodes", "call_sites", "call_id AS node_id", "'CALL' AS node_kind",
                  *common, "callee_text AS name"),
        v.project("name_ref_nodes", "name_refs", "ref_id AS node_id",
                  "'NAME_REF' AS node_kind", *common, "name"),
    ]


def _contains_edges(v: _Views) -> list[str]:
    v.filter("nested_definitions", "definitions", "parent_def_id IS NOT NULL")
    return [
        v.edges("contains_file_module", "file_modules", "CONTAINS", "file_id", "module_id",
                "'repo_files'", "'file_module'", span=("CAST(0 AS BIGINT)", "module_bend")),
        v.edges("contains_definitions", "nested_definitions", "CONTAINS", "parent_def_id",
                "def_id", "'definitions'", "'parent_definition'"),
    ]


def _defines_edges(v: _Views) -> list[str]:
    """Also builds ``binders`` (every definition and import with the scope whose namespace
    gets its name), which REFERENCES resolves against."""
    v.project("parent_kinds", "scope_definitions", "def_id AS parent_def_id",
              "kind AS parent_kind")
    v.relate("nested_with_parent", "nested_definitions", "parent_kinds", "parent_def_id")
    v.relate("nested_in_module", "nested_with_parent", "file_modules", "file_id")
    v.project("definition_binders", "nested_in_module", "def_id AS binder_id", "file_id",
              "name AS binder_name",
              # `global f` before `def f` in a function: f is the module's (its qualified
              # name says so, as CPython's __qualname__ does)
              "CASE WHEN parent_kind = 'FUNCTION' AND kind <> 'PARAMETER' "
              "AND qualified_name = module_qn || '.' || name "
              "THEN module_id ELSE parent_def_id END AS binder_scope_id",
              "bstart", "bend", "'definitions' AS origin")
    v.project("import_binders", "imports_named", "import_id AS binder_id", "file_id",
              "local_name AS binder_name", "scope_def_id AS binder_scope_id", "bstart",
              "bend", "'imports' AS origin")
    v.union("binders", "definition_binders", "import_binders")
    return [v.edges("defines", "binders", "DEFINES", "binder_scope_id", "binder_id", "origin",
                    "'binding_scope'")]


def _imports_edges(v: _Views) -> list[str]:
    v.relate("imports_in_module", "imports_named", "file_modules", "file_id")
    return [v.edges("imports_edges", "imports_in_module", "IMPORTS", "module_id", "import_id",
                    "'imports'", "'import_statement'")]


def _import_target_edges(v: _Views) -> list[str]:
    """What each import names (one re-export hop), and ``import_bindings``: the texts under
    which a file can reach a definition through its imports (``h``, ``util.helper``)."""
    v.project("import_exports", "imports_named", "scope_def_id AS module_id",
              "local_name AS export_name", "target_qn AS export_target")
    v.project("module_qns", "file_modules", "module_id", "module_qn")
    # only imports run by a module's own scope: the inner join drops the others
    v.relate("exports_in_module", "import_exports", "module_qns", "module_id")
    v.project("module_exports", "exports_in_module",
              "module_qn || '.' || export_name AS export_qn", "export_target")
    v.relate("imports_reexported", "imports_named", "module_exports",
             ("target_qn", "export_qn"), how="Left")
    v.project("import_targets", "imports_reexported", "import_id", "file_id", "local_name",
              "bstart", "bend", "coalesce(export_target, target_qn) AS resolved_qn",
              "CASE WHEN export_target IS NULL THEN 'import' ELSE 'import_reexport' END "
              "AS resolution_method")
    v.project("qualified_targets", "scope_definitions", "def_id AS target_id",
              "kind AS target_kind", "qualified_name AS resolved_qn")
    v.relate("import_resolved", "import_targets", "qualified_targets", "resolved_qn")

    # Members: definitions whose qualified name is their parent's plus their name (not the
    # `<locals>` of a function).
    v.project("parent_qns", "scope_definitions", "def_id AS parent_def_id",
              "qualified_name AS container_qn")
    v.relate("callables_with_parent", "callable_definitions", "parent_qns", "parent_def_id")
    v.filter("member_definitions", "callables_with_parent",
             "qualified_name = container_qn || '.' || name")
    v.project("members", "member_definitions", "def_id AS target_id", "kind AS target_kind",
              "name AS member_name", "container_qn AS resolved_qn")
    v.project("import_target_names", "import_targets", "file_id", "local_name",
              "resolved_qn", "resolution_method")
    v.relate("import_members", "import_target_names", "members", "resolved_qn")
    v.project("direct_bindings", "import_resolved", "file_id", "local_name AS visible_text",
              "target_id", "target_kind", "resolution_method")
    v.project("member_bindings", "import_members", "file_id",
              "local_name || '.' || member_name AS visible_text", "target_id", "target_kind",
              "resolution_method")
    v.union("import_bindings", "direct_bindings", "member_bindings")
    return [v.edges("resolves_to", "import_resolved", "RESOLVES_TO", "import_id", "target_id",
                    "'imports'", "resolution_method", confidence=_import_confidence())]


def _import_confidence(alias: str = "confidence") -> str:
    return ("CASE WHEN resolution_method = 'import' THEN CAST(0.9 AS DOUBLE) "
            f"ELSE CAST(0.8 AS DOUBLE) END AS {alias}")


def _site_edges(v: _Views) -> list[str]:
    """CALLS and INHERITS_FROM: call sites and class bases ("sites") resolved by text."""
    site_columns = ("file_id", "bstart", "bend")
    sites = [v.project("call_site_texts", "call_sites", "call_id AS site_id",
                       "'CALL' AS site_kind", "call_id AS src_node_id", *site_columns,
                       "callee_text AS site_text", "callee_name AS site_name")]
    for i in range(MAX_BASES):
        v.filter(f"classes_with_base_{i}", "definitions",
                 f"kind = 'CLASS' AND list_value_length(bases) > {i}")
        sites.append(v.project(f"class_base_texts_{i}", f"classes_with_base_{i}",
                               f"stable_id_parts('base', def_id, '{i}') AS site_id",
                               "'BASE' AS site_kind", "def_id AS src_node_id", *site_columns,
                               f"list_element(bases, {i}) AS site_text",
                               f"list_element(bases, {i}) AS site_name"))
    v.union("sites", *sites)
    target_fits = ("(site_kind = 'CALL' OR target_kind = 'CLASS') "
                   "AND target_id <> src_node_id")

    # 1. through the file's imports
    v.relate("sites_by_import", "sites", "import_bindings", "file_id",
             ("site_text", "visible_text"))
    v.filter("import_candidates", "sites_by_import", target_fits)
    v.project("import_resolutions", "import_candidates", "site_id", "site_kind",
              "src_node_id", "target_id", *site_columns, "resolution_method",
              _import_confidence("base_confidence"))

    # 2. `self.m(...)` / `cls.m(...)` directly in a method: the methods m of its own class
    v.filter("receiver_calls", "call_sites",
             "callee_text = 'self.' || callee_name OR callee_text = 'cls.' || callee_name")
    v.project("receiver_call_scopes", "receiver_calls", "call_id AS site_id",
              "scope_def_id AS caller_id", "callee_name AS method_name")
    v.project("caller_owners", "definitions", "def_id AS caller_id", "parent_def_id AS class_id")
    v.relate("receiver_calls_owned", "receiver_call_scopes", "caller_owners", "caller_id")
    v.filter("class_definitions", "definitions", "kind = 'CLASS'")
    v.project("class_ids", "class_definitions", "def_id AS class_id")
    v.relate("receiver_calls_in_class", "receiver_calls_owned", "class_ids", "class_id")
    v.filter("method_definitions", "definitions", "kind = 'FUNCTION'")
    v.project("class_methods", "method_definitions", "parent_def_id AS class_id",
              "def_id AS target_id", "name AS method_name")
    v.relate("receiver_targets", "receiver_calls_in_class", "class_methods", "class_id",
             "method_name")
    v.relate("receiver_sites", "sites", "receiver_targets", "site_id")
    v.project("receiver_resolutions", "receiver_sites", "site_id", "site_kind", "src_node_id",
              "target_id", *site_columns, "'receiver_class' AS resolution_method",
              "CAST(1.0 AS DOUBLE) AS base_confidence")

    # 3. by name in the file, for sites whose text does not start with an imported name and
    #    that rule 2 did not resolve
    v.relate("site_import_pairs", "sites", "import_names", "file_id")
    v.filter("imported_sites", "site_import_pairs",
             "site_text = local_name OR site_text = local_name || '.' || site_name")
    v.relate("unimported_sites_all", "sites", "imported_sites", "site_id", how="Anti")
    v.relate("unimported_sites", "unimported_sites_all", "receiver_targets", "site_id",
             how="Anti")
    v.relate("sites_by_name", "unimported_sites", "named_targets", "file_id",
             ("site_name", "target_name"))
    v.filter("local_candidates", "sites_by_name", target_fits)
    v.project("local_resolutions", "local_candidates", "site_id", "site_kind", "src_node_id",
              "target_id", *site_columns, "'local_name' AS resolution_method",
              "CAST(1.0 AS DOUBLE) AS base_confidence")

    v.union("site_candidates", "import_resolutions", "receiver_resolutions",
            "local_resolutions")
    keys = ["site_id", "site_kind", "src_node_id", "target_id", *site_columns,
            "resolution_method"]
    v.aggregate("site_targets", "site_candidates", keys,
                [("base_confidence", "max", "base_confidence")])
    confidence = "base_confidence / count(*) OVER (PARTITION BY site_id) AS confidence"
    v.filter("call_targets", "site_targets", "site_kind = 'CALL'")
    v.filter("base_targets", "site_targets", "site_kind = 'BASE'")
    return [v.edges("calls", "call_targets", "CALLS", "src_node_id", "target_id",
                    "'call_sites'", "resolution_method", confidence),
            v.edges("inherits_from", "base_targets", "INHERITS_FROM", "src_node_id",
                    "target_id", "'definitions'", "resolution_method", confidence)]


def _references_edges(v: _Views) -> list[str]:
    v.project("scope_spans", "scope_definitions", "def_id AS scope_id", "kind AS scope_kind",
              "bstart AS scope_bstart", "bend AS scope_bend",
              "CASE WHEN kind = 'MODULE' THEN 1 ELSE 0 END AS scope_is_module")
    v.project("binder_names", "binders", "binder_id", "file_id", "binder_name",
              "binder_scope_id")
    v.relate("binders_scoped", "binder_names", "scope_spans", ("binder_scope_id", "scope_id"))
    v.filter("load_refs", "name_refs", "ctx = 'Load'")
    v.project("ref_names", "load_refs", "ref_id", "file_id", "name AS ref_name",
              "scope_def_id AS ref_scope_id", "bstart", "bend")
    v.project("ref_scope_spans", "scope_definitions", "def_id AS ref_scope_id",
              "bstart AS ref_scope_bstart", "bend AS ref_scope_bend")
    v.relate("refs_scoped", "ref_names", "ref_scope_spans", "ref_scope_id")
    v.relate("ref_binder_pairs", "refs_scoped", "binders_scoped", "file_id",
             ("ref_name", "binder_name"))
    v.filter("visible_binders", "ref_binder_pairs",
             "binder_scope_id = ref_scope_id OR (scope_kind <> 'CLASS' "
             "AND scope_bstart <= ref_scope_bstart AND ref_scope_bend <= scope_bend)")
    v.project("ranked_binders", "visible_binders", "ref_id", "binder_id", "file_id",
              "bstart", "bend",
              "dense_rank() OVER (PARTITION BY ref_id ORDER BY scope_bstart DESC, "
              "scope_bend ASC, scope_is_module ASC) AS scope_rank")
    v.filter("innermost_binders", "ranked_binders", "scope_rank = 1")
    return [v.edges("references", "innermost_binders", "REFERENCES", "ref_id", "binder_id",
                    "'name_refs'", "'scope_chain'",
                    confidence="CAST(1.0 AS DOUBLE) / count(*) OVER (PARTITION BY ref_id) "
                               "AS confidence")]


def _prop_views(v: _Views) -> list[str]:
    v.filter("function_definitions", "definitions", "kind = 'FUNCTION'")
    v.filter("classes_with_bases", "definitions",
             "kind = 'CLASS' AND list_value_length(bases) > 0")
    v.filter("imports_with_module", "imports", "module IS NOT NULL")
    v.filter("imports_of_names", "imports", "name IS NOT NULL")
    # a file that could not be read has no FILE node to carry the prop
    v.relate("diagnosed_files", "diagnostics", "file_paths", "file_id", how="Semi")
    return [
        v.props("prop_qualified_name", "definitions", "def_id", "qualified_name", "string",
                "qualified_name"),
        v.props("prop_is_async", "function_definitions", "def_id", "is_async", "bool",
                "is_async"),
        v.props("prop_bases", "classes_with_bases", "def_id", "bases", "string",
                "binary_join(bases, ', ')"),
        v.props("prop_n_args", "call_sites", "call_id", "n_args", "int", "n_args"),
        v.props("prop_import_module", "imports_with_module", "import_id", "module", "string",
                "module"),
        v.props("prop_imported_name", "imports_of_names", "import_id", "imported_name",
                "string", "name"),
        v.props("prop_import_level", "imports", "import_id", "level", "int", "level"),
        v.props("prop_ref_ctx", "name_refs", "ref_id", "ctx", "string", "ctx"),
        v.props("prop_sha256", "repo_files", "file_id", "sha256", "string", "sha256"),
        v.props("prop_size", "repo_files", "file_id", "size_bytes", "int", "size"),
        v.props("prop_line_count", "repo_files", "file_id", "line_count", "int",
                "line_count"),
        v.props("prop_diagnostic", "diagnosed_files", "file_id", "diagnostic", "string",
                "stage || ': ' || message"),
    ]


def _place_and_emit(v: _Views, nodes: list[str], edges: list[str], props: list[str]) -> None:
    """Unions each kind of output, adds ``path`` (joining repo_files once) and edge ids, and
    emits the six output views, named as their tables."""
    v.union("nodes_unplaced", *nodes)
    v.relate("nodes_placed", "nodes_unplaced", "file_paths", "file_id")
    v.union("edges_unplaced", *edges)
    v.relate("edges_placed", "edges_unplaced", "file_paths", "file_id")
    v.project("edges_identified", "edges_placed",
              "stable_id_parts('edge', edge_kind, src_node_id, dst_node_id) AS edge_id",
              "edge_kind", "src_node_id", "dst_node_id", "origin", "resolution_method",
              "confidence", "confidence AS score", "path", "bstart", "bend")
    v.union("props_all", *props)
    sources = {"Nodes": "nodes_placed", "Props": "props_all", "PropsMap": "props_all"}
    for table, kind in CPG_OUTPUTS.items():
        v.emit(table, kind, sources.get(kind, "edges_identified"))


# ---- building -----------------------------------------------------------------------------

_STAGES = ("extract", "write evidence", "build graph", "count")


def build_cpg(repo: str | os.PathLike[str], out_dir: str | os.PathLike[str],
              profile: str = "medium",
              progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Extracts the evidence of the Python files under ``repo``, writes it as Delta tables
    under ``out_dir/evidence``, runs :func:`build_cpg_spec` with ``run_build`` (engine profile
    ``profile``) into ``out_dir/cpg_*`` and returns a summary counted by codeanatomy over the
    written tables: ``files``, ``lines``, ``nodes``, ``edges``, ``nodes_by_kind``,
    ``edges_by_kind``, ``diagnostics`` (one dict per file that could not be read, decoded or
    parsed: path, kind, stage, line_no, message), ``seconds`` (total), ``stage_seconds``,
    ``out_dir`` and the engine's ``run_result``.

    ``progress(stage, done, total)`` is called before each stage (``done`` stages finished of
    ``total``) and once more at the end with stage ``"done"``."""
    out = os.path.abspath(out_dir)
    evidence_dir = os.path.join(out, "evidence")
    total = len(_STAGES)
    started = time.perf_counter()
    stage_seconds: dict[str, float] = {}

    def stage(index: int) -> None:
        if progress is not None:
            progress(_STAGES[index], index, total)

    def timed(index: int, work: Callable[[], Any]) -> Any:
        stage(index)
        t0 = time.perf_counter()
        result = work()
        stage_seconds[_STAGES[index]] = round(time.perf_counter() - t0, 3)
        return result

    tables = timed(0, lambda: extract_repository(repo))
    timed(1, lambda: write_evidence(tables, evidence_dir))
    response = timed(2, lambda: run_build({"spec_json": build_cpg_spec(evidence_dir, out),
                                           "engine_profile": profile}))
    summary = timed(3, lambda: _count(out, evidence_dir, profile))
    if progress is not None:
        progress("done", total, total)
    summary.update(seconds=round(time.perf_counter() - started, 3), stage_seconds=stage_seconds,
                   out_dir=out, run_result=response["run_result"])
    return summary


def _count(out: str, evidence_dir: str, profile: str) -> dict[str, Any]:
    from .context import SessionFactory

    ctx = SessionFactory(profile).create_session()
    for name in ("cpg_nodes", "cpg_edges"):
        ctx.register_delta(name, os.path.join(out, name))
    for name in ("repo_files", "diagnostics"):
        ctx.register_delta(name, os.path.join(evidence_dir, name))

    def by_kind(table: str, column: str) -> dict[str, int]:
        rows = ctx.sql(f"SELECT {column} AS kind, count(*) AS n FROM {table} "
                       f"GROUP BY {column} ORDER BY {column}").to_pylist()
        return {row["kind"]: row["n"] for row in rows}

    files = ctx.sql("SELECT count(*) AS files, coalesce(sum(line_count), 0) AS lines "
                    "FROM repo_files").to_pylist()[0]
    diagnostics = ctx.sql("SELECT path, kind, stage, line_no, message FROM diagnostics "
                          "ORDER BY path, stage").to_pylist()
    nodes_by_kind, edges_by_kind = by_kind("cpg_nodes", "node_kind"), by_kind("cpg_edges",
                                                                              "edge_kind")
    return {"files": files["files"], "lines": files["lines"],
            "nodes": sum(nodes_by_kind.values()), "edges": sum(edges_by_kind.values()),
            "nodes_by_kind": nodes_by_kind, "edges_by_kind": edges_by_kind,
            "diagnostics": diagnostics}
