"""Great-expectations gates on pandas frames read from DuckDB.

GX's SQL datasource does not work with DuckDB, so every suite runs on a pandas frame.  Suites are
JSON files in ``expectations/`` (GX 1.x ``ExpectationSuite`` dictionaries); values that depend on
the data, such as the known project codes, are suite parameters (``{"$PARAMETER": name}``)
supplied at validation time.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orchestration.settings import EXPECTATIONS_DIR

SAMPLE_SIZE = 10


@dataclass
class ExpectationFailure:
    expectation: str
    column: str | None
    unexpected_count: int | None
    sample: list

    def describe(self) -> str:
        where = f" on column {self.column!r}" if self.column else ""
        count = f": {self.unexpected_count} failing row(s)" if self.unexpected_count is not None else ""
        sample = f", e.g. {self.sample[:5]}" if self.sample else ""
        return f"{self.expectation}{where}{count}{sample}"


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    rows: int
    failures: list[ExpectationFailure] = field(default_factory=list)

    def summary(self) -> str:
        if self.success:
            return f"suite {self.suite}: {self.evaluated} expectation(s) passed on {self.rows} row(s)"
        lines = [f"suite {self.suite}: {len(self.failures)} of {self.evaluated} expectation(s) failed "
                 f"on {self.rows} row(s)"]
        lines += [f"  - {f.describe()}" for f in self.failures]
        return "\n".join(lines)


def load_suite_dict(name: str, directory: Path = EXPECTATIONS_DIR) -> dict:
    path = directory / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"expectation suite {name!r} not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def validate_frame(suite_name: str, frame: pd.DataFrame, parameters: dict | None = None,
                   directory: Path = EXPECTATIONS_DIR) -> SuiteOutcome:
    """Run the suite ``expectations/<suite_name>.json`` on ``frame``."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    suite = gx.ExpectationSuite(**load_suite_dict(suite_name, directory))
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_pandas(f"{suite_name}_source")
    batch_definition = source.add_dataframe_asset(suite_name).add_batch_definition_whole_dataframe("whole")
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, expectation_parameters=parameters or {})
    failures = []
    for r in result.results:
        if r.success:
            continue
        details = r.result or {}
        failures.append(
            ExpectationFailure(
                expectation=r.expectation_config.type,
                column=r.expectation_config.kwargs.get("column"),
                unexpected_count=details.get("unexpected_count"),
                sample=[_plain(v) for v in (details.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]],
            )
        )
    return SuiteOutcome(suite_name, bool(result.success), len(result.results), len(frame), failures)


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
