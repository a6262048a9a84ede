"""The state one generation shares, and how its tables are written.

``Generation`` holds the options, the periods, the organisation as it is built (projects, people, fx
rates) and the ``DemoSummary``; it hands out the seeded random streams (one per entity, so that one
entity's draws never shift another's) and writes each entity's ``_Table`` as canonical CSV under
``landing/<entity>/``.  It generates no rows itself: the entity modules (``organisation``, ``schedules``,
``progress``, ``timesheets``, ``ledger``, ``registers``, ``work_items``) do, for the contract entities
named in their docstrings.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from itertools import repeat
from pathlib import Path

from orchestration.contract import ENTITIES
from orchestration.demo.model import DemoSummary, _make_periods, _Person, _Project


class _Table:
    """Rows of one entity, in contract column order (plus allowed extra columns)."""

    def __init__(self, entity: str, extras: tuple[str, ...] = ()):
        ent = ENTITIES[entity]
        for x in extras:
            if not any(x.startswith(p) for p in ent.extra_prefixes):
                raise ValueError(f"{entity}: extra column {x} is not allowed by the contract")
        self.entity = entity
        self.columns = ent.column_names + list(extras)
        self._colset = set(self.columns)
        self.rows: list[list[str]] = []

    def add(self, **values) -> None:
        if len(self.rows) == 0:  # check the keys once per table: cheap and catches contract drift
            unknown = set(values) - self._colset
            if unknown:
                raise KeyError(f"{self.entity}: unknown columns {sorted(unknown)}")
        self.rows.append([v if v.__class__ is str else _fmt(v) for v in map(values.get, self.columns, repeat(""))])

    def adder(self, *names: str) -> Callable[[list[str]], None]:
        """A faster :meth:`add` for the big tables: the returned function takes one list of *strings* for
        ``names`` (in that order) and appends the row, the other columns blank.  When ``names`` are the
        table's columns in order it is ``rows.append`` itself."""
        unknown = set(names) - self._colset
        if unknown:
            raise KeyError(f"{self.entity}: unknown columns {sorted(unknown)}")
        where = [self.columns.index(n) for n in names]
        rows, width = self.rows, len(self.columns)
        if where == list(range(width)):
            return rows.append

        def add(values: list[str]) -> None:
            row = [""] * width
            for i, v in zip(where, values):
                row[i] = v
            rows.append(row)

        return add


#: _fmt's floats, by value: the big tables repeat a few thousand values (hours, percentages) many times.
_FLOAT_TEXT: dict[float, str] = {}


def _fmt(v) -> str:
    cls = v.__class__
    if cls is str:
        return v
    if cls is float:
        text = _FLOAT_TEXT.get(v)
        if text is None:
            text = f"{v:.6f}".rstrip("0").rstrip(".")
            text = "0" if text in ("-0", "") else text
            if len(_FLOAT_TEXT) < 200_000:
                _FLOAT_TEXT[v] = text
        return text
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        s = f"{v:.6f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s
    return str(v)


def _plain_csv(rows: list[list[str]]) -> str | None:
    """The rows as ``csv.writer(lineterminator="\\n")`` writes them, when no cell needs quoting (no comma,
    quote or line break in any cell, no row of one empty cell), else None; about three times faster than
    the csv module on the big tables.  Joining and then counting the separators proves it: a cell holding
    a comma or a line break would add one."""
    widths = list(map(len, rows))
    if 1 in widths:  # a row of one empty cell is written as "": leave such tables to the csv module
        return None
    text = "\n".join(map(",".join, rows)) + "\n"
    if text.count(",") != sum(widths) - len(rows) or text.count("\n") != len(rows) or '"' in text or "\r" in text:
        return None
    return text


class Generation:
    """One generation's options and shared state; the entity modules read it and fill it in."""

    projects: list[_Project]
    people: list[_Person]
    n_portfolios: int
    n_programmes: int
    programme_size: float = 3.75  # average projects per programme (generate_demo's programme_size)
    rate_change: int  # the day every rate rises (organisation._rate_change_date)
    fx: dict[tuple[int, str, str], float]  # (period index, from, to) -> rate (ledger.build_fx)
    fx_rows: list[tuple[str, str, str, float]]

    def __init__(self, landing: Path, seed: int, n_projects: int, months: int, as_of: str, rc: str):
        self.landing = landing
        self.seed = seed
        self.n = n_projects
        self.W = months
        self.as_of = as_of
        self.rc = rc
        others = [c for c in ("GBP", "EUR", "USD") if c != rc][:2]
        self.ccys = [rc, *others]
        self.periods = _make_periods(as_of, months)
        self.win_start = self.periods[0].start
        self.as_end = self.periods[-1].end
        self.defects: dict[str, list[dict]] = {}  # project code -> its defects (quality.plan_quality)
        self.reviews: list[tuple] = []  # the quality reviews (quality.plan_quality)
        self.summary = DemoSummary(
            landing=landing,
            seed=seed,
            as_of=as_of,
            reporting_currency=rc,
            periods=[p.label for p in self.periods],
            currencies=list(self.ccys),
        )

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"pmo-demo:{self.seed}:{stream}")

    def write(self, rel: str, table: _Table) -> None:
        path = self.landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as f:
            text = _plain_csv([table.columns, *table.rows])
            if text is not None:
                f.write(text)
            else:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(table.columns)
                w.writerows(table.rows)
        self.summary.files.append(path)
        self.summary.row_counts[table.entity] = self.summary.row_counts.get(table.entity, 0) + len(table.rows)

    def fx_rate(self, m: int, a: str, b: str) -> float:
        return 1.0 if a == b else self.fx[(m, a, b)]
