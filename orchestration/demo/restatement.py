"""The demo's restated period: a supplier invoice that arrives after its period was closed.

``pmo demo`` runs every period but the last, then drops this invoice into ``landing/ledger/`` and
runs the last period.  By then the invoice's period is closed (its figures frozen as reported), so
the correction shows as a restatement in ``fct_earned_value_restatement`` and in the last pack,
while the closed period's own pack keeps the figures it was issued with.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

LEDGER_COLUMNS = ("posting_date", "document_id", "line_id", "project_code", "task_code", "account", "cost_type",
                  "amount", "currency", "fiscal_period", "is_reversal", "reverses_document_id", "description")


@dataclass(frozen=True)
class LateInvoice:
    path: Path
    period: str
    project_code: str
    amount: Decimal
    currency: str

    def describe(self) -> str:
        return (f"a late supplier invoice of {self.amount:,.2f} {self.currency} for {self.project_code}, "
                f"posted into {self.period} after that period was closed")


def write_late_invoice(landing: Path, periods: list[str], scenario_of: dict[str, str],
                       bac: dict[str, float]) -> LateInvoice | None:
    """Write ``landing/ledger/late-invoice-<period>.csv`` for the period before the last one.

    The invoice goes to the first on-track project (else any) that is active and had started by
    the invoice's posting date (the 20th); its amount is 1 % of the project's BAC, in the project's currency.  Returns None
    when the organisation has a single period or no such project.
    """
    if len(periods) < 2:
        return None
    period = periods[-2]
    posted = date.fromisoformat(period + "-20")
    candidates = []
    for f in sorted((landing / "projects").glob("*.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                start = row.get("start_date") or ""
                if row.get("status") == "active" and start and date.fromisoformat(start) <= posted \
                        and row.get("project_code") in bac:
                    candidates.append(row)
    if not candidates:
        return None
    candidates.sort(key=lambda r: (scenario_of.get(r["project_code"]) != "on_track", r["project_code"]))
    project = candidates[0]
    code, currency = project["project_code"], project["currency"]
    amount = (Decimal(str(bac[code])) / 100).quantize(Decimal("10"), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))
    path = landing / "ledger" / f"late-invoice-{period}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(LEDGER_COLUMNS)
        w.writerow([posted.isoformat(), f"LATE-{period}", 1, code, "", "5200", "material", f"{amount:.2f}", currency,
                    period, "false", "", f"Supplier invoice for {period}, received after the period was closed"])
    return LateInvoice(path=path, period=period, project_code=code, amount=amount, currency=currency)
