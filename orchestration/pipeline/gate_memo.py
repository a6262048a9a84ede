"""The gates' verdicts, remembered by the content of the tables each suite reads.

A raw suite's outcome is a function of the rows it reads and of nothing else that changes between runs: the
table ``raw.<entity>`` and the tables its gate view and its parameters look up (a timesheet's project in
``raw.projects``, its person's rate in ``raw.rates``), the suite as the home's ``quality.yaml`` leaves it, the
run's parameters (the date horizon, the volume band from the published snapshot, the daily maximum) and the code
that evaluates it.  A night usually brings one timesheet file: the fourteen other suites would read the same rows
again to reach the same verdict, about 1.3 s at 2,000 projects.

:class:`GateMemo` keeps, per suite, a key over all of that (each table by the fingerprint of its rows:
:func:`orchestration.warehouse.table_fingerprint`, the one the dbt build's keeping uses) and the outcome it gave.
A suite whose key is the one kept gets that outcome back, with every failure and sampled row as they were; any
other key runs the suite and keeps its outcome.  Nothing is trusted that was not computed from the same rows:
a removed, restored or edited warehouse changes the fingerprints, not the verdicts.  The mart gate does the same
for each mart suite, by the fingerprint of its mart, the run's period and the published snapshot's row count its
volume band is taken from.  The memo is a JSON file beside the warehouse; an unreadable one is ignored, one that
cannot be written leaves a warning, and ``PMO_GATE_MEMO=off`` runs every suite.  The warnings of rows a row rule
moved to quarantine are not part of it: :func:`orchestration.pipeline.quality.run_raw_suite` reads them every run.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict
from pathlib import Path

import duckdb

from orchestration.settings import switched_off
from orchestration.warehouse import table_fingerprint

log = logging.getLogger(__name__)

#: ``off`` runs every suite every run.
MEMO_ENV = "PMO_GATE_MEMO"
#: The memo's file name, beside the warehouse.
MEMO_NAME = "gate-memo.json"
#: A raw table named in a gate view's or a parameter's SQL (``raw.tasks``, ``raw."tasks"``).
_RAW_TABLE = re.compile(r'\braw\.("?)([A-Za-z_][A-Za-z0-9_]*)\1')
_VERSION = 1


def memo_enabled() -> bool:
    return not switched_off(MEMO_ENV)


def code_version(*modules) -> str:
    """The evaluating code (``quality``, ``suite_sql``, this module and ``modules``) and the libraries its
    verdicts depend on (DuckDB's SQL and regexes, the dtypes pandas would give a column)."""
    import sys

    import pandas

    from orchestration.pipeline import quality, suite_sql

    digest = hashlib.sha256(f"{_VERSION}|{duckdb.__version__}|{pandas.__version__}".encode())
    for module in (quality, suite_sql, sys.modules[__name__], *modules):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def inputs_key(con: duckdb.DuckDBPyConnection, code: str, tables: list[tuple[str, str]], definition: object,
               fingerprints: dict[str, str] | None = None) -> str:
    """A sha256 over ``code``, ``definition`` (JSON; values it cannot hold as such as their text) and the
    fingerprint of each (schema, table) in ``tables``; ``fingerprints`` keeps those already taken."""
    fingerprints = {} if fingerprints is None else fingerprints
    taken = {}
    for schema, table in sorted(set(tables)):
        name = f"{schema}.{table}"
        if name not in fingerprints:
            fingerprints[name] = table_fingerprint(con, schema, table)
        taken[name] = fingerprints[name]
    text = json.dumps({"code": code, "definition": definition, "tables": taken}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tables_read(*sql: str) -> list[str]:
    """The raw tables the statements name, sorted."""
    return sorted({m.group(2) for text in sql for m in _RAW_TABLE.finditer(text)})


class GateMemo:
    """Outcomes of the suites of one home, by the key of what they read (see the module)."""

    def __init__(self, path: Path, enabled: bool | None = None):
        self.path = path
        self.enabled = memo_enabled() if enabled is None else enabled
        self._fingerprints: dict[str, str] = {}
        self._entries: dict[str, dict] = {}
        self._changed = False
        self._code: str | None = None
        if self.enabled:
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict) and loaded.get("version") == _VERSION:
                    self._entries = {k: v for k, v in loaded.get("suites", {}).items()
                                     if isinstance(v, dict) and "key" in v and "outcome" in v}
            except (OSError, ValueError):
                self._entries = {}

    def key(self, con: duckdb.DuckDBPyConnection, suite: str, tables_in: list[tuple[str, str]],
            definition: object) -> str:
        """The key of a suite's run: the code, ``definition`` (the kept expectations, their severities, the
        run's parameters and the suite's view, as JSON), and the fingerprint of each (schema, table) it reads."""
        if self._code is None:
            self._code = code_version()
        return inputs_key(con, self._code, tables_in, {"suite": suite, "definition": definition}, self._fingerprints)

    def get(self, suite: str, key: str):
        """The outcome kept for ``suite`` under ``key`` (a new object each time), or None."""
        from orchestration.pipeline.quality import ExpectationFailure, SuiteOutcome

        entry = self._entries.get(suite) if self.enabled else None
        if not entry or entry["key"] != key:
            return None
        kept = dict(entry["outcome"])
        failures = [ExpectationFailure(**f) for f in kept.pop("failures", [])]
        return SuiteOutcome(**kept, failures=failures)

    def put(self, suite: str, key: str, outcome) -> None:
        """Keep ``outcome`` for ``suite`` under ``key``: only an outcome that JSON gives back unchanged (its samples
        are plain values), so that a kept verdict reads exactly as the one computed."""
        if not self.enabled:
            return
        plain = asdict(outcome)
        try:
            if json.loads(json.dumps(plain)) != plain:
                return
        except (TypeError, ValueError):
            return
        self._entries[suite] = {"key": key, "outcome": plain}
        self._changed = True

    def save(self) -> None:
        """Write the memo if a suite ran (a warning, not an error, when it cannot be written)."""
        from orchestration.pipeline.landing import _atomic_write

        if not (self.enabled and self._changed):
            return
        try:
            data = json.dumps({"version": _VERSION, "suites": self._entries}, sort_keys=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.path, data.encode("utf-8"))
            self._changed = False
        except (OSError, TypeError, ValueError) as exc:
            log.warning("the gates' verdicts could not be kept in %s (%s); the next run validates every table "
                        "again", self.path, exc)
