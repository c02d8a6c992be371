#!/usr/bin/env bash
# The main job: set up, build, then build the Code Property Graph of the standard library's
# json package and query it. Extra arguments go to `codeanatomy build` (e.g. --profile small).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd /tmp
PYTHON=${PYTHON:-python3}
SOURCE=$($PYTHON -c 'import json, os; print(os.path.dirname(json.__file__))')
OUT=/tmp/codeanatomy_cpg

codeanatomy build "$SOURCE" --out "$OUT" "$@"

echo; echo "== nodes per kind"
codeanatomy query "$OUT" "
  SELECT node_kind, count(*) AS nodes FROM cpg_nodes
  GROUP BY node_kind ORDER BY nodes DESC, node_kind"

echo; echo "== the functions with the most incoming CALLS edges"
codeanatomy query "$OUT" "
  SELECT q.value_string AS function_name, count(*) AS calls
  FROM cpg_edges e
  JOIN cpg_nodes f ON f.node_id = e.dst_node_id AND f.node_kind = 'FUNCTION'
  JOIN cpg_props q ON q.entity_id = f.node_id AND q.prop_key = 'qualified_name'
  WHERE e.edge_kind = 'CALLS'
  GROUP BY q.value_string ORDER BY calls DESC, function_name LIMIT 10"

echo; echo "== classes, their bases as written, and the classes they resolve to"
codeanatomy query "$OUT" "
  SELECT c.path, c.name AS class_name, b.value_string AS bases, t.path AS base_path,
         t.name AS base_class
  FROM cpg_nodes c
  LEFT JOIN cpg_props b ON b.entity_id = c.node_id AND b.prop_key = 'bases'
  LEFT JOIN cpg_edges e ON e.src_node_id = c.node_id AND e.edge_kind = 'INHERITS_FROM'
  LEFT JOIN cpg_nodes t ON t.node_id = e.dst_node_id
  WHERE c.node_kind = 'CLASS' ORDER BY c.path, c.name"
