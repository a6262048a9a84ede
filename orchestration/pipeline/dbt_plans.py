"""Guard against quadratic query plans in the dbt models.

DuckDB runs an equality join as a hash join, whose cost grows with the sum of its inputs. A join whose
condition it cannot hash (an inequality, an OR, or a predicate on one side only inside a LEFT JOIN's
ON clause) becomes a NESTED_LOOP_JOIN or BLOCKWISE_NL_JOIN, and a join without a condition a
CROSS_PRODUCT: their cost grows with the *product* of their inputs. Over the few hundred rows of a test
organisation nobody notices; over the 385,000 task rows of a 2,000-project organisation one such join
in ``int_tasks_classified`` took three minutes.

:func:`quadratic_joins` reads the physical plan of a query (``EXPLAIN (FORMAT JSON)``) and returns the
nested-loop, blockwise and cross-product joins that are *over line data*: one input reads tasks,
timesheets or ledger lines (the raw tables or any model built from them) and neither input is bounded.
An input is bounded when it is a single row (the run's parameters, an ungrouped aggregate) or reads
nothing but seeds and constants (the RAG rules, a generated series): its size does not grow with the
organisation, so the join costs a constant times what the other input costs, and it is allowed.

:func:`model_plan_findings` does that for every model of a built dbt project: it EXPLAINs each model's
compiled SQL (``<target>/compiled/...``) against the warehouse the models were built in.
``tests/dbt/test_dbt_plans.py`` runs it over a small generated organisation, so a model that
reintroduces such a join fails the default test suite, naming the model and the operator.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

#: The sources whose rows are lines: one per task and snapshot, timesheet entry or ledger posting.
LINE_SOURCES = ("tasks", "timesheets", "ledger")

#: The physical operators whose cost is the product of their inputs' sizes.
QUADRATIC_OPERATORS = ("NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "CROSS_PRODUCT")

#: Operators that return at most one row whatever their input.
_SINGLE_ROW_OPERATORS = ("UNGROUPED_AGGREGATE", "SIMPLE_AGGREGATE")

#: Operators that pass their input's row count through or reduce it.
_PASS_THROUGH = ("PROJECTION", "FILTER", "LIMIT", "STREAMING_LIMIT", "TOP_N", "ORDER_BY")


@dataclass(frozen=True)
class PlanFinding:
    """One join whose cost grows with the product of its inputs, in one model's plan."""

    model: str
    operator: str
    join_type: str
    condition: str
    line_relations: tuple[str, ...]

    def __str__(self) -> str:
        on = f" on {self.condition}" if self.condition else ""
        return (f"{self.model}: {self.operator} ({self.join_type}){on}, over "
                f"{', '.join(self.line_relations)}")


def _relation(table: str) -> str:
    """'catalog.schema.table' (as EXPLAIN names a scanned table) -> 'schema.table'."""
    parts = table.replace('"', "").split(".")
    return ".".join(parts[-2:])


class _Plan:
    """A physical plan tree with its CTEs resolved, so a CTE scan counts as what the CTE reads."""

    def __init__(self, roots: list[dict]):
        self.roots = roots
        self.ctes: dict[str, dict] = {}
        for root in roots:
            self._index(root)

    def _index(self, node: dict) -> None:
        if node.get("name") == "CTE" and node.get("children"):
            index = (node.get("extra_info") or {}).get("Table Index")
            if index is not None:
                self.ctes[str(index)] = node["children"][0]
        for child in node.get("children", []):
            self._index(child)

    def _cte_body(self, node: dict) -> dict | None:
        if node.get("name") != "CTE_SCAN":
            return None
        return self.ctes.get(str((node.get("extra_info") or {}).get("CTE Index")))

    def relations(self, node: dict, _seen: frozenset = frozenset()) -> set[str]:
        """Every table scanned under ``node``, CTE bodies included, as 'schema.table'."""
        found: set[str] = set()
        table = (node.get("extra_info") or {}).get("Table")
        if table:
            found.add(_relation(table))
        body = self._cte_body(node)
        if body is not None and id(body) not in _seen:
            found |= self.relations(body, _seen | {id(body)})
        for child in node.get("children", []):
            found |= self.relations(child, _seen)
        return found

    def is_single_row(self, node: dict) -> bool:
        """True when ``node`` returns at most one row: an ungrouped aggregate, or a table (or CTE)
        whose estimated cardinality is 1, seen through projections and filters."""
        while True:
            name = node.get("name")
            if name in _SINGLE_ROW_OPERATORS:
                return True
            body = self._cte_body(node)
            if body is not None:
                node = body
                continue
            if name in _PASS_THROUGH and node.get("children"):
                node = node["children"][0]
                continue
            estimate = (node.get("extra_info") or {}).get("Estimated Cardinality")
            return estimate is not None and str(estimate).strip() in ("0", "1")

    def walk(self):
        stack = list(self.roots)
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.get("children", []))


def explain(con, sql: str) -> list[dict]:
    """The physical plan of ``sql`` as DuckDB's JSON tree (a list of root operators)."""
    rows = con.execute("EXPLAIN (FORMAT JSON) " + sql).fetchall()
    for _, text in rows:
        return json.loads(text)
    return []


def quadratic_joins(plan: list[dict], line_relations: set[str], model: str = "query",
                    bounded_relations: set[str] | frozenset[str] = frozenset()) -> list[PlanFinding]:
    """The nested-loop, blockwise and cross-product joins of ``plan`` that read one of
    ``line_relations`` ('schema.table') on either side and have no bounded input: neither a single
    row nor reading only ``bounded_relations`` (seeds) or no table at all."""
    tree = _Plan(plan)
    findings = []
    for node in tree.walk():
        if node.get("name") not in QUADRATIC_OPERATORS:
            continue
        children = node.get("children", [])
        if len(children) < 2:
            continue
        sides = [tree.relations(c) for c in children]
        if any(tree.is_single_row(c) or rels <= bounded_relations for c, rels in zip(children, sides)):
            continue
        read = set().union(*sides)
        over = sorted(read & line_relations)
        if not over:
            continue
        info = node.get("extra_info") or {}
        condition = info.get("Condition") or info.get("Conditions") or ""
        if isinstance(condition, list):
            condition = " AND ".join(condition)
        findings.append(PlanFinding(model, node["name"], str(info.get("Join Type") or "CROSS"),
                                    " ".join(str(condition).split()), tuple(over)))
    return findings


def _relation_name(node: dict) -> str:
    return f"{node['schema']}.{node.get('identifier') or node.get('alias') or node['name']}"


def seed_relations(manifest: dict) -> set[str]:
    """'schema.table' of every seed: configuration tables whose size does not grow with the data."""
    return {_relation_name(n) for n in manifest["nodes"].values() if n["resource_type"] == "seed"}


def line_relations(manifest: dict) -> set[str]:
    """'schema.table' of the line sources (raw tasks, timesheets, ledger) and of every model built
    from them, directly or through other models."""
    sources = [uid for uid, s in manifest["sources"].items() if s["name"] in LINE_SOURCES]
    children = manifest.get("child_map", {})
    found = set(sources)
    stack = list(sources)
    while stack:
        for child in children.get(stack.pop(), []):
            if child.startswith("model.") and child not in found:
                found.add(child)
                stack.append(child)
    return {_relation_name(manifest["sources"].get(uid) or manifest["nodes"][uid]) for uid in found}


def model_plan_findings(con, target_dir: Path) -> list[PlanFinding]:
    """EXPLAIN every model's compiled SQL under ``target_dir`` (a dbt target folder whose
    manifest.json and compiled/ come from a build into the warehouse ``con`` is connected to) and
    return the quadratic joins over line data, model by model."""
    manifest = json.loads((Path(target_dir) / "manifest.json").read_text())
    lines, seeds = line_relations(manifest), seed_relations(manifest)
    findings: list[PlanFinding] = []
    for _uid, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model" or not node["config"].get("enabled", True):
            continue
        compiled = Path(target_dir) / "compiled" / node["package_name"] / node["original_file_path"]
        if not compiled.exists():
            raise FileNotFoundError(f"{node['name']}: no compiled SQL at {compiled}; build the project first")
        findings += quadratic_joins(explain(con, compiled.read_text()), lines, node["name"], seeds)
    return findings
