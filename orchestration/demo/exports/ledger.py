"""Write canonical ledger rows as a SAP S/4HANA ACDOCA-style line-item CSV.

The mirror of :func:`orchestration.sources.ledger.read_sap_acdoca`: what is written reads back, with
the reader's default options (plus the same ``fiscal_calendar`` / ``account_cost_types`` if you pass
them here), to the same canonical values -- posting_date, document_id, line_id, project_code,
task_code, account, cost_type, amount, currency, fiscal_period, is_reversal, reverses_document_id,
description (the round-trip test pins this).  The reader also fills local_amount/local_currency
(HSL/RHCUR) and source_system 'sap'.

Column mapping (ACDOCA field names, in the order below):

* ``RLDNR`` ledger (``ledger``, 0L), ``RBUKRS`` company code (``company_code``), ``GJAHR``/``POPER``
  fiscal year and period from fiscal_period through ``fiscal_calendar`` (a NULL fiscal_period gives
  GJAHR from the posting date and a blank POPER, which reads back as NULL), ``BELNR`` document_id,
  ``DOCLN`` line_id, ``BUDAT`` posting_date, ``BLART`` 'SA' (G/L account document), ``RACCT``
  account, ``DRCRK`` S/H from the sign, ``HSL``/``RHCUR`` local amount/currency (local_amount /
  local_currency, else amount/currency), ``WSL``/``RWCUR`` amount/currency, ``PS_PSPID``
  project_code (project definition), ``PS_POSID`` task_code (WBS element), ``SGTXT`` description,
  ``XREVERSING`` 'X' on reversals, ``XREVERSED`` 'X' on documents another row reverses,
  ``AWREF_REV``/``AWORG_REV`` the reversed document and its company code + fiscal year (when that
  document is among the rows).
* cost_type is not an ACDOCA field: it survives through the account, so every row's cost_type must
  be what the reader derives from its account (``account_cost_types``, default the demo chart 50xx
  labour, 51xx material, 52xx subcontract, 53xx travel, 54xx overhead); a row where it would not is
  refused with ``ValueError`` rather than written to read back differently.

``style='gui'`` (default) writes what a German-locale GUI/ALV export looks like: semicolon-separated,
``DD.MM.YYYY`` dates, ``1.234,56-`` amounts (trailing minus), keys as displayed.  ``style='table'``
writes a raw table download: comma-separated, ``YYYYMMDD`` dates, ``-1234.56`` amounts, all-digit
BELNR/RACCT zero-padded to 10 (SAP's internal ALPHA form) -- the reader strips the zeros again.
DOCLN is NUMC(6) and is always zero-padded when it is all digits.  (So an all-digit document or
line id with its *own* leading zeros, e.g. '007', reads back without them, as it does from SAP.)  SGTXT is 50 characters in SAP;
longer descriptions are written whole (the demo never needs more).

Rows are dicts keyed by canonical column names; values may be parsed (date, Decimal, bool) or text.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from orchestration.sources.ledger import FiscalCalendar, cost_type_for, parse_date, parse_decimal

__all__ = ["ACDOCA_COLUMNS", "write_sap_acdoca_csv"]

ACDOCA_COLUMNS = [
    "RLDNR", "RBUKRS", "GJAHR", "BELNR", "DOCLN", "BUDAT", "POPER", "BLART", "RACCT", "DRCRK",
    "HSL", "RHCUR", "WSL", "RWCUR", "PS_PSPID", "PS_POSID", "SGTXT",
    "XREVERSING", "XREVERSED", "AWREF_REV", "AWORG_REV",
]


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value).lower() in ("true", "t", "yes", "y", "1", "x")


def _amount(value, style: str) -> str:
    d = parse_decimal(value, ".") if not isinstance(value, Decimal) else value
    if d is None:
        return ""
    exponent = d.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    if style == "table":
        return f"{d:.{places}f}"
    text = f"{abs(d):,.{places}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text + ("-" if d < 0 else "")


def _pad(value: str, width: int, enabled: bool) -> str:
    return value.zfill(width) if enabled and value.isdigit() else value


def write_sap_acdoca_csv(path: Path | str, rows: Iterable[Mapping], *, company_code: str = "1000",
                         ledger: str = "0L", style: str = "gui", fiscal_calendar=None,
                         account_cost_types: dict[str, str] | None = None) -> int:
    """Write ``rows`` (canonical ledger rows) to ``path`` as an ACDOCA-style CSV; returns the number of
    lines written.  Raises ``ValueError`` for a row whose cost_type would not read back from its
    account, or whose posting_date/amount cannot be read."""
    if style not in ("gui", "table"):
        raise ValueError("style must be 'gui' or 'table'")
    calendar = FiscalCalendar.from_option(fiscal_calendar)
    rows = list(rows)
    table = style == "table"

    def fiscal(row) -> tuple[int, str]:
        posting = parse_date(row.get("posting_date"))
        if posting is None:
            raise ValueError("posting_date is blank")
        fp = _text(row.get("fiscal_period"))
        if not fp:
            return calendar.fiscal_year_of(posting), ""
        year, month = (int(x) for x in fp.split("-"))
        fy, period = calendar.fiscal_of(year, month)
        return fy, f"{period:03d}"

    years: dict[str, int] = {}
    for i, row in enumerate(rows, start=1):
        try:
            years.setdefault(_text(row.get("document_id")), fiscal(row)[0])
        except ValueError as exc:
            raise ValueError(f"row {i}: {exc}") from None
    reversed_docs = {_text(r.get("reverses_document_id")) for r in rows
                     if _bool(r.get("is_reversal")) and _text(r.get("reverses_document_id"))}

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";" if style == "gui" else ",", lineterminator="\r\n")
        writer.writerow(ACDOCA_COLUMNS)
        for i, row in enumerate(rows, start=1):
            account = _text(row.get("account"))
            want = _text(row.get("cost_type")).lower() or None
            got = cost_type_for(account or None, account_cost_types)
            if want != got:
                raise ValueError(
                    f"row {i}: cost_type {want!r} would read back as {got!r} from account {account or '(blank)'}; "
                    "pass account_cost_types that map the account to its cost type")
            posting = parse_date(row.get("posting_date"))
            fy, poper = fiscal(row)
            amount = row.get("amount")
            local_amount = row.get("local_amount")
            if local_amount is None or _text(local_amount) == "":
                local_amount, local_ccy = amount, _text(row.get("currency"))
            else:
                local_ccy = _text(row.get("local_currency")) or _text(row.get("currency"))
            signed = parse_decimal(amount, ".") if not isinstance(amount, Decimal) else amount
            doc = _text(row.get("document_id"))
            is_rev = _bool(row.get("is_reversal"))
            ref = _text(row.get("reverses_document_id")) if is_rev else ""
            writer.writerow([
                ledger,
                company_code,
                fy,
                _pad(doc, 10, table),
                _pad(_text(row.get("line_id")), 6, True),
                posting.strftime("%Y%m%d") if table else posting.strftime("%d.%m.%Y"),
                poper,
                "SA",
                _pad(account, 10, table),
                "H" if signed is not None and signed < 0 else "S",
                _amount(local_amount, style),
                local_ccy,
                _amount(amount, style),
                _text(row.get("currency")),
                _text(row.get("project_code")),
                _text(row.get("task_code")),
                _text(row.get("description")),
                "X" if is_rev else "",
                "X" if doc in reversed_docs else "",
                _pad(ref, 10, table),
                f"{company_code}{years[ref]}" if ref and ref in years else "",
            ])
    return len(rows)

