"""The fiscal calendar: which calendar month a fiscal period is, and which fiscal year a date falls in
(used by the ledger readers; see docs/input-formats.md §3 on fiscal periods)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["FiscalCalendar"]


@dataclass(frozen=True)
class FiscalCalendar:
    """Monthly fiscal calendar: 12 regular periods, period 1 = ``year_start_month``.

    ``year_named_by='start'`` (SAP V3 convention): fiscal year Y runs from month ``year_start_month``
    of Y; ``'end'``: it ends in calendar year Y.  Special periods 13-16 map to period 12, the last
    regular period of the fiscal year.  Option form: ``{"year_start_month": 4, "year_named_by":
    "start"}``; the default is the calendar year.
    """

    year_start_month: int = 1
    year_named_by: str = "start"

    @classmethod
    def from_option(cls, option: Any) -> FiscalCalendar:
        if option is None:
            return cls()
        if isinstance(option, FiscalCalendar):
            return option
        if not isinstance(option, dict):
            raise TypeError("fiscal_calendar must be a dict such as {'year_start_month': 4}")
        unknown = set(option) - {"year_start_month", "year_named_by"}
        if unknown:
            raise ValueError(f"fiscal_calendar: unknown key(s) {', '.join(sorted(unknown))}")
        start = int(option.get("year_start_month", 1))
        named = str(option.get("year_named_by", "start"))
        if not 1 <= start <= 12:
            raise ValueError("fiscal_calendar: year_start_month must be 1-12")
        if named not in ("start", "end"):
            raise ValueError("fiscal_calendar: year_named_by must be 'start' or 'end'")
        return cls(start, named)

    def _first_calendar_year(self, fiscal_year: int) -> int:
        if self.year_start_month == 1 or self.year_named_by == "start":
            return fiscal_year
        return fiscal_year - 1

    def month_of(self, fiscal_year: int, period: int) -> str:
        """Calendar month 'YYYY-MM' of a fiscal period (13-16 -> the month of period 12)."""
        if not 1 <= period <= 16:
            raise ValueError(f"fiscal period {period} is not 1-16")
        idx = self.year_start_month - 1 + min(period, 12) - 1
        year = self._first_calendar_year(fiscal_year) + idx // 12
        return f"{year:04d}-{idx % 12 + 1:02d}"

    def fiscal_of(self, year: int, month: int) -> tuple[int, int]:
        """(fiscal year, period 1-12) of a calendar month."""
        first = year if month >= self.year_start_month else year - 1
        fiscal_year = first if (self.year_start_month == 1 or self.year_named_by == "start") else first + 1
        return fiscal_year, (month - self.year_start_month) % 12 + 1

    def fiscal_year_of(self, d: date) -> int:
        return self.fiscal_of(d.year, d.month)[0]
