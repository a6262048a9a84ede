"""great-expectations is the reference engine of the gates: every raw and mart suite, run through GX on
pandas frames (tests/unit/gx_reference.py, the code the gates ran before) and through the SQL evaluator
(orchestration/pipeline/suite_sql.py, what a run uses), gives the same verdict and the same unexpected count for
every expectation, and the same sample values and failing rows (file, row, value).

The data: a small demo organisation (every entity) loaded by the ingest, and two marts per suite built
from tests/unit/test_mart_quality.py's good frames; then broken on purpose, generically from each suite
(NULLs; every bound, one unit inside and outside, strict and not; NaN; values outside each set; regex
near misses; duplicated keys, with NULL parts; pairs reversed, equal and half missing) and by hand for
the helper columns (a 30-hour day, an uncostable person, unknown tasks, a late posting to a closed
project); and, in a second warehouse, retyped (a date column as text, a number column as a nullable
integer, a column that is entirely NULL text) and with a column dropped.  The volume band is held at its
bounds and just outside them.
"""
from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from gx_reference import run_mart_suite_gx, run_raw_suite_gx
from gx_reference import suite_parameters as reference_parameters
from test_mart_quality import GOOD

from orchestration.contract import ENTITIES
from orchestration.demo.generator import generate_demo
from orchestration.pipeline.ingest import load_landing
from orchestration.pipeline.quality import (
    load_suite_dict,
    mart_keys,
    mart_suites,
    raw_suites,
    run_mart_suite,
    run_raw_suite,
    validate_frame,
    validate_frame_gx,
    validate_mart_frame,
)
from orchestration.settings import QualitySettings
from orchestration.pipeline.suite_sql import (
    UnsupportedExpectation,
    literal,
    quote,
)

PERIOD = "2026-03"
TODAY = date(2026, 4, 10)
MART_PERIOD = "2026-03"
QUALITY = QualitySettings()

#: Columns the helper columns are built from: never dropped or retyped (the pandas reference would
#: raise a KeyError, where the SQL gate reports the helper column missing).
DERIVED_FROM = {"timesheets": {"project_code", "task_code", "person_id", "work_date", "hours", "approval_status", "role"},
                "ledger": {"project_code", "task_code", "document_id", "line_id", "posting_date"},
                "tasks": {"status_date", "project_code", "task_code"},
                "baseline_phasing": {"project_code", "task_code", "baseline_version", "phase_start"},
                "rates": {"person_id", "role", "valid_from"}, "fx_rates": {"period", "from_currency", "to_currency"},
                "benefits": {"benefit_id", "period"}, "risks": {"status_date", "risk_id"},
                "capacity": {"person_id", "period"}, "work_items": {"status_date", "item_key"}}


# --------------------------------------------------------------------------------------------
# Comparing outcomes
# --------------------------------------------------------------------------------------------

def assert_parity(reference, sql, where: str) -> None:
    """Same verdict per expectation, same counts, and (where GX could evaluate it) the same sample and rows."""
    assert (sql.suite, sql.evaluated, sql.rows, sql.success, sql.status) == \
        (reference.suite, reference.evaluated, reference.rows, reference.success, reference.status), where
    gx, ours = {f.id: f for f in reference.failures}, {f.id: f for f in sql.failures}
    assert sorted(ours) == sorted(gx), f"{where}: failing expectations differ\nGX:  {reference.summary()}\nSQL: {sql.summary()}"
    for eid, g in gx.items():
        s = ours[eid]
        context = f"{where} {eid}"
        assert (s.expectation, s.column, s.severity, s.check, s.why) == (g.expectation, g.column, g.severity, g.check, g.why)
        assert s.unexpected_count == g.unexpected_count, (context, g.unexpected_count, s.unexpected_count)
        evaluated = g.unexpected_count is not None or g.sample   # GX raised: no count, no sample
        if evaluated:
            listed = g.expectation == "expect_column_values_to_be_in_type_list"
            assert _spelt(s.sample, listed) == _na(g.sample), (context, g.sample, s.sample)
            assert _spelt(s.rows, listed) == _na(g.rows), (context, g.rows, s.rows)


def _na(value):
    """GX's sample of a nullable integer column spells a missing value '<NA>' (pandas' NA as text); the SQL
    gate says None, as it does for every other missing value."""
    if value == "<NA>":
        return None
    if isinstance(value, list):
        return [_na(v) for v in value]
    if isinstance(value, dict):
        return {k: _na(v) for k, v in value.items()}
    return value


def _spelt(values: list, listed: bool) -> list:
    """The sample values (or rows) of a list column (only the type checks here see one) as GX spells a
    one-element numpy array: its element."""
    def one(v):
        return v[0] if listed and isinstance(v, list) and len(v) == 1 else v

    return [{**v, "value": one(v["value"])} if isinstance(v, dict) and "value" in v else one(v) for v in values]


# --------------------------------------------------------------------------------------------
# Breaking a table, generically from its suite
# --------------------------------------------------------------------------------------------

def _types(con, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}


class Breaker:
    """Inserts copies of a template row of ``table`` with one column replaced (each copy its own file row)."""

    def __init__(self, con, table: str, order: str, raw: bool):
        self.con, self.table, self.order, self.raw = con, table, order, raw
        self.types = _types(con, table)
        self.n = 0

    def copy(self, **values) -> None:
        self.n += 1
        exprs = []
        for c in self.types:
            if self.raw and c == "_source_row":
                exprs.append(str(10_000 + self.n))
            elif self.raw and c == "_source_file":
                exprs.append("'landing/broken/rows.csv'")
            elif c in values:
                exprs.append(f"CAST({values[c]} AS {self.types[c]})")
            else:
                exprs.append(quote(c))
        self.con.execute(f"INSERT INTO {self.table} SELECT {', '.join(exprs)} FROM {self.table} "
                         f"ORDER BY {self.order} LIMIT 1")


def _step(value):
    """One unit beyond a bound: a day for dates, 1 for numbers."""
    if isinstance(value, datetime | date):
        return timedelta(days=1)
    return 1


def break_from_suite(breaker: Breaker, suite: dict, parameters: dict) -> None:
    """Rows that put every expectation of ``suite`` on both sides of its line."""
    def resolve(v):
        if isinstance(v, dict) and "$PARAMETER" in v:
            return parameters.get(v["$PARAMETER"])
        return v

    types = breaker.types
    doubles = [c for c, t in types.items() if t == "DOUBLE" and not c.startswith("_")]
    for c in doubles[:2]:
        breaker.copy(**{c: "'NaN'::DOUBLE"})
    for exp in suite["expectations"]:
        k, t = exp["kwargs"], exp["type"]
        column = k.get("column")
        if column is not None and (column.startswith("_") or column not in types):
            continue
        if t == "expect_column_values_to_not_be_null":
            breaker.copy(**{column: "NULL"})
        elif t == "expect_column_values_to_be_between":
            for bound in (resolve(k.get("min_value")), resolve(k.get("max_value"))):
                if bound is None:
                    continue
                for v in (bound, bound - _step(bound), bound + _step(bound)):
                    breaker.copy(**{column: literal(v)})
        elif t == "expect_column_values_to_be_in_set":
            values = resolve(k["value_set"])
            if types[column] == "VARCHAR":
                breaker.copy(**{column: "'NOT-IN-THE-SET'"})
                if isinstance(values, list) and values:
                    breaker.copy(**{column: literal(values[-1])})
            elif types[column] != "BOOLEAN":
                breaker.copy(**{column: "99"})
        elif t == "expect_column_values_to_match_regex":
            # (no 7-character non-month such as 2026-13: the pandas reference crashes on it; see the test below)
            for v in ("2026-4", "2026-03x", "x2026-03", "2026-12", "202603"):
                breaker.copy(**{column: literal(v)})
        elif t == "expect_column_values_to_be_unique":
            breaker.copy()
        elif t == "expect_compound_columns_to_be_unique":
            cols = [c for c in k["column_list"] if c in types]
            breaker.copy()
            if cols:
                breaker.copy(**{cols[0]: "NULL"})
                breaker.copy(**{cols[0]: "NULL"})
                breaker.copy(**{c: "NULL" for c in cols})
        elif t == "expect_column_pair_values_a_to_be_greater_than_b":
            a, b = k["column_A"], k["column_B"]
            if a not in types or b not in types:
                continue
            one = "INTERVAL 1 DAY" if types[a] in ("DATE", "TIMESTAMP") else "1"
            breaker.copy(**{a: f"{quote(b)} - {one}"})
            breaker.copy(**{a: quote(b)})
            breaker.copy(**{a: "NULL"})
            breaker.copy(**{b: "NULL"})
            breaker.copy(**{a: "NULL", b: "NULL"})


def break_helpers(con, entity: str) -> None:
    """Rows aimed at the helper columns the pandas reference derived and the SQL view derives."""
    b = Breaker(con, f"raw.{entity}", "_source_file, _source_row", raw=True)
    if entity == "timesheets":
        for n, hours in enumerate((15, 15, 20)):
            b.copy(work_date="DATE '2026-03-20'", hours=str(hours), entry_id=f"'DAY-{n}'",
                   approval_status="'rejected'" if n == 2 else "'approved'")
        b.copy(person_id="'NOBODY'", role="NULL", entry_id="'NOBODY-1'")
        b.copy(person_id="'NOBODY'", role="'no-such-role'", entry_id="'NOBODY-2'")
        b.copy(task_code="'NO-SUCH-TASK'", entry_id="'TASK-1'")
        b.copy(task_code="NULL", entry_id="'TASK-2'")
        b.copy(work_date="NULL", entry_id="'NODATE'")
    elif entity == "ledger":
        b.copy(amount="amount + 1")          # the same document and line, another amount
        b.copy(line_id="NULL")
        b.copy(document_id="NULL", line_id="NULL")
        b.copy(task_code="'NO-SUCH-TASK'")
        closed = con.execute("SELECT project_code FROM raw.projects ORDER BY project_code LIMIT 1").fetchone()[0]
        con.execute("UPDATE raw.projects SET status = 'closed', planned_finish_date = DATE '2026-01-20' "
                    "WHERE project_code = ?", [closed])
        con.execute("UPDATE raw.tasks SET actual_finish = NULL WHERE project_code = ?", [closed])
        for posted in ("2026-01-31", "2026-02-01", "2026-03-15"):
            b.copy(project_code=literal(closed), posting_date=f"DATE '{posted}'", document_id=f"'LATE-{posted}'")
    elif entity == "baseline_phasing":
        b.copy(task_code="'NO-SUCH-TASK'")
        b.copy(task_code="NULL")
    elif entity == "rates":
        b.copy(person_id="NULL", role="'engineer'")
        b.copy(person_id="NULL", role="'engineer'")
        b.copy(person_id="NULL", role="NULL")
    else:
        b.copy()
        b.copy()


# --------------------------------------------------------------------------------------------
# The warehouses
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("parity")
    generate_demo(root / "landing", seed=7, projects=4, months=3, as_of=PERIOD)
    load_landing(root / "landing", root / "clean.duckdb", archive_dir=root / "archive")
    return root


def _type_checked(suite: dict) -> list[str]:
    return [e["kwargs"]["column"] for e in suite["expectations"]
            if e["type"] == "expect_column_values_to_be_in_type_list"]


def retype(con, table: str, suite: dict, keep: set[str]) -> None:
    """A date column as text, a number column as a nullable INTEGER, another column entirely NULL text, one
    as a list, and a required column dropped (``keep``: columns left alone)."""
    types = _types(con, table)
    free = [c for c in _type_checked(suite) if c in types and c not in keep]
    dates = [c for c in free if types[c] == "DATE"]
    numbers = [c for c in free if types[c] in ("DOUBLE", "DECIMAL(18,4)", "BIGINT", "INTEGER")]
    if dates:
        con.execute(f"ALTER TABLE {table} ALTER {quote(dates[0])} TYPE VARCHAR")
    if numbers:
        col = quote(numbers[0])
        finite = f"CASE WHEN isfinite(CAST({col} AS DOUBLE)) THEN CAST(round({col}) AS INTEGER) END"
        con.execute(f"ALTER TABLE {table} ALTER {col} TYPE INTEGER USING {finite}")
        con.execute(f"UPDATE {table} SET {col} = NULL WHERE rowid = (SELECT min(rowid) FROM {table})")
    blank = dates[1:2] or numbers[1:2]
    if blank:
        con.execute(f"ALTER TABLE {table} ALTER {quote(blank[0])} TYPE VARCHAR USING CAST(NULL AS VARCHAR)")
    listed = [c for c in free if c not in dates[:2] + numbers[:2]]
    if listed:   # pandas holds a list column as objects: GX checks its type value by value
        col = quote(listed[0])
        con.execute(f"ALTER TABLE {table} ALTER {col} TYPE VARCHAR[] USING "
                    f"CASE WHEN {col} IS NOT NULL THEN [CAST({col} AS VARCHAR)] END")
    required = [e["kwargs"]["column"] for e in suite["expectations"] if e["type"] == "expect_column_to_exist"]
    droppable = [c for c in required if c in types and c not in keep and c not in free]
    if droppable:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {quote(droppable[-1])}")


#: Raw tables also retyped (fx_rates keeps its strictly positive rate, timesheets their daily hours).
RETYPED_RAW = {"tasks", "ledger", "risks", "budgets", "work_items", "capacity", "projects"}


@pytest.fixture(scope="module")
def broken_raw(demo_landing) -> Path:
    wh = demo_landing / "broken.duckdb"
    shutil.copyfile(demo_landing / "clean.duckdb", wh)
    con = duckdb.connect(str(wh))
    try:
        for entity in ENTITIES:
            break_helpers(con, entity)
        for entity, suite in raw_suites().items():
            params = reference_parameters(entity, con, PERIOD, QUALITY, today=TODAY)
            breaker = Breaker(con, f"raw.{entity}", "_source_file, _source_row", raw=True)
            break_from_suite(breaker, load_suite_dict(suite), params)
        for entity in sorted(RETYPED_RAW):
            retype(con, f"raw.{entity}", load_suite_dict(f"raw_{entity}"),
                   DERIVED_FROM.get(entity, set()) | {"project_code", "status", "planned_finish_date", "actual_finish"})
    finally:
        con.close()
    return wh


def _serving(root: Path, name: str, rows: dict[str, int]) -> Path:
    """A published snapshot whose load log says the last published run loaded ``rows`` per entity."""
    path = root / f"{name}.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA quality; CREATE TABLE quality.load_log (entity VARCHAR, rows_loaded INTEGER)")
    con.executemany("INSERT INTO quality.load_log VALUES (?, ?)", list(rows.items()))
    con.close()
    return path


def volume_case(root: Path, entity: str, rows: int, n: int) -> tuple[Path, QualitySettings]:
    """The volume band, per entity in turn: floor and ceiling at the row count (passes), the floor one row
    above it (fails), the ceiling below it (fails)."""
    at = _serving(root, f"at-{entity}", {entity: 2 * rows})
    above = _serving(root, f"above-{entity}", {entity: 2 * rows + 2})
    return [(at, QualitySettings(volume_max_ratio=0.5)), (above, QUALITY),
            (above, QualitySettings(volume_min_ratio=None, volume_max_ratio=0.49))][n % 3]


# --------------------------------------------------------------------------------------------
# The raw suites
# --------------------------------------------------------------------------------------------

OUTCOMES: list = []   # every SQL outcome compared, for the coverage test at the end


@pytest.mark.parametrize("n, entity", list(enumerate(sorted(raw_suites()))))
def test_raw_suite_parity(n, entity, demo_landing, broken_raw):
    con = duckdb.connect(str(broken_raw), read_only=True)
    rows = con.execute(f"SELECT count(*) FROM raw.{entity}").fetchone()[0]
    con.close()
    serving, quality = volume_case(demo_landing, entity, rows, n)
    reference = run_raw_suite_gx(entity, broken_raw, PERIOD, quality, serving, today=TODAY)
    sql = run_raw_suite(entity, broken_raw, PERIOD, quality, serving, today=TODAY)
    OUTCOMES.append(sql)
    assert_parity(reference, sql, f"raw.{entity}")
    assert sql.failures, f"the broken raw.{entity} must fail something"


# --------------------------------------------------------------------------------------------
# The mart suites
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mart_warehouses(tmp_path_factory) -> tuple[Path, Path]:
    """(broken, good): marts.<mart> from each good frame, and the same broken from its suite (every other
    mart also retyped)."""
    root = tmp_path_factory.mktemp("marts")
    out = []
    for variant in ("broken", "good"):
        wh = root / f"{variant}.duckdb"
        con = duckdb.connect(str(wh))
        con.execute("CREATE SCHEMA marts")
        for n, (mart, (columns, _)) in enumerate(sorted(GOOD.items())):
            frame = pd.DataFrame(columns)
            con.register("frame", frame)
            casts = [f"CAST({quote(c)} AS DATE) AS {quote(c)}" if t.startswith("TIMESTAMP") else
                     f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" if frame[c].isna().all() else quote(c)
                     for c, t in _types(con, "frame").items()]
            con.execute(f"CREATE TABLE marts.{mart} AS SELECT {', '.join(casts)} FROM frame")
            con.unregister("frame")
            if variant == "good":
                continue
            suite, table = load_suite_dict(f"mart_{mart}"), f"marts.{mart}"
            keys = mart_keys(suite)
            breaker = Breaker(con, table, ", ".join(quote(k) for k in keys), raw=False)
            break_from_suite(breaker, suite, {"reporting_currency": ["GBP"]})
            if "period" in breaker.types:
                breaker.copy(period="'2026-04'")
                if "status_date" in breaker.types:
                    breaker.copy(status_date="status_date - INTERVAL 1 DAY")
                    breaker.copy(period="'2026-02'", status_date="DATE '2026-02-28'")
            if n % 2:
                retype(con, table, suite, set(keys) | {"period", "status_date"})
        con.close()
        out.append(wh)
    return tuple(out)


@pytest.mark.parametrize("n, mart", list(enumerate(sorted(mart_suites()))))
def test_mart_suite_parity(n, mart, mart_warehouses):
    broken, good = mart_warehouses   # good is also the published snapshot: 2 rows a mart, 1 .. 3 allowed
    quality = QualitySettings(volume_max_ratio=1.5) if n % 2 else QUALITY
    reference = run_mart_suite_gx(mart, broken, MART_PERIOD, quality, good)
    sql = run_mart_suite(mart, broken, MART_PERIOD, quality, good)
    OUTCOMES.append(sql)
    assert_parity(reference, sql, f"marts.{mart}")
    assert sql.failures, f"the broken marts.{mart} must fail something"


def test_parity_covered_every_expectation_type_both_ways():
    """Run last in this module: the comparisons above saw every expectation type fail, with counts where
    GX counts rows, and pass."""
    if len(OUTCOMES) < len(raw_suites()) + len(mart_suites()):
        pytest.skip("needs the parity tests of this module to have run first")
    suites = list(raw_suites().values()) + list(mart_suites().values())
    types = {e["type"] for s in suites for e in load_suite_dict(s)["expectations"]}
    assert len(types) == 10
    failed = {f.expectation for o in OUTCOMES for f in o.failures}
    assert failed == types, sorted(types - failed)
    counted = {f.expectation for o in OUTCOMES for f in o.failures if f.unexpected_count}
    row_types = {t for t in types if t not in ("expect_column_to_exist", "expect_table_row_count_to_be_between")}
    assert counted == row_types, sorted(row_types - counted)
    outcomes = {(o.suite, f.id): f for o in OUTCOMES for f in o.failures}
    # a strict bound: the rate of 0 fails with the rate of -1 (min 0, strict); a rate of 1 passes
    assert outcomes[("raw_fx_rates", "rate_positive")].unexpected_count == 2
    passed = sum(o.evaluated for o in OUTCOMES) - len(outcomes)
    assert passed > 150   # and many passed


# --------------------------------------------------------------------------------------------
# The evaluator's own contract
# --------------------------------------------------------------------------------------------

def _suite_dir(tmp_path: Path, expectations: list[dict]) -> Path:
    import json

    (tmp_path / "raw_x.json").write_text(json.dumps({"name": "raw_x", "expectations": expectations}))
    return tmp_path


FRAME = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": ["x", "y", "y", None],
                      "_source_file": ["f.csv"] * 4, "_source_row": [2, 3, 4, 5]})


@pytest.mark.parametrize("expectation, message", [
    ({"type": "expect_column_values_to_be_odd", "kwargs": {"column": "a"}}, "expect_column_values_to_be_odd"),
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "row_condition": "a > 1"}},
     "row_condition"),
    ({"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": 0,
                                                               "parse_strings_as_datetimes": True}},
     "parse_strings_as_datetimes"),
    ({"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "b", "value_set": {"$PARAMETER": "nope"}}},
     "'nope'"),
    ({"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "mostly": 2}}, "mostly"),
])
def test_what_the_evaluator_does_not_know_fails_loudly(tmp_path, expectation, message):
    directory = _suite_dir(tmp_path, [expectation])
    with pytest.raises(UnsupportedExpectation, match=message):
        validate_frame("raw_x", FRAME, {}, directory)


def test_mostly_and_what_cannot_run(tmp_path):
    directory = _suite_dir(tmp_path, [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "b", "value_set": ["x"], "mostly": 0.3},
         "meta": {"id": "mostly_x"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "b", "value_set": ["x"], "mostly": 0.4},
         "meta": {"id": "too_few_x"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "b", "min_value": 0},
         "meta": {"id": "text_against_number"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "gone"}, "meta": {"id": "gone"}},
    ])
    for outcome in (validate_frame("raw_x", FRAME, {}, directory), validate_frame_gx("raw_x", FRAME, {}, directory)):
        by_id = {f.id: f for f in outcome.failures}
        assert set(by_id) == {"too_few_x", "text_against_number", "gone"}, outcome.summary()
        assert by_id["too_few_x"].unexpected_count == 2   # 1 of 3 values is x: 33 % < 40 %
        assert by_id["text_against_number"].unexpected_count is None and by_id["gone"].unexpected_count is None
    sql = {f.id: f for f in validate_frame("raw_x", FRAME, {}, directory).failures}
    assert sql["gone"].sample == ["column 'gone' is not in the frame"]   # the reason GX raised, said


def test_failing_rows_of_an_expectation_are_one_where_clause(broken_raw):
    """Each row expectation is a WHERE clause over the gate's view: selecting with it returns exactly
    the rows it counts (what row-by-row quarantine will reuse)."""
    from orchestration.pipeline.quality import compiled_raw_suite

    outcome = run_raw_suite("timesheets", broken_raw, PERIOD, QUALITY, today=TODAY)
    counts = {f.id: f.unexpected_count for f in outcome.failures}
    con = duckdb.connect(str(broken_raw), read_only=True)
    try:
        compiled = compiled_raw_suite(con, "timesheets", PERIOD, QUALITY, today=TODAY)
        checked = 0
        for c in compiled:
            sql = c.failing_rows_sql("_source_file, _source_row")
            if sql is None:   # a column exists, its type, the row count: verdicts on the table
                assert c.type in ("expect_column_to_exist", "expect_column_values_to_be_in_type_list",
                                  "expect_table_row_count_to_be_between")
                continue
            assert con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0] == counts.get(c.meta["id"], 0), \
                c.meta["id"]
            checked += 1
        assert checked == 12 and counts["daily_hours"] > 2 and counts["person_known"] == 2
        known = next(c for c in compiled if c.meta["id"] == "task_code_known")
        assert "IN (SELECT * FROM (SELECT DISTINCT project_code || '/' || task_code FROM raw.tasks))" in known.condition
    finally:
        con.close()


def test_no_suite_loads_a_table_into_pandas(broken_raw, monkeypatch):
    """The gates read DuckDB results row by row: pandas only sees the one or two rows a type check
    converts (a whole table never goes through ``.df()``)."""
    sizes = []
    real = duckdb.DuckDBPyConnection.df if hasattr(duckdb.DuckDBPyConnection, "df") else None
    assert real is not None

    def spy(self, *args, **kwargs):
        frame = real(self, *args, **kwargs)
        sizes.append(len(frame))
        return frame

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "df", spy)
    outcome = run_raw_suite("timesheets", broken_raw, PERIOD, QUALITY, today=TODAY)
    assert outcome.rows > 100 and sizes and max(sizes) <= 2


def test_a_period_that_is_no_month_fails_the_mart_gate_instead_of_crashing_it():
    """'2026-13' matches no month: the period format fails and the status date is not its period end (the
    pandas gates raised a ValueError here)."""
    frame = pd.DataFrame(GOOD["fct_earned_value"][0])
    frame.loc[1, "period"] = "2026-13"
    outcome = validate_mart_frame("fct_earned_value", frame, "2026-12")
    assert {f.id: f.unexpected_count for f in outcome.failures} == \
        {"period_format": 1, "status_date_is_period_end": 1, "period_not_after_run": 1}

