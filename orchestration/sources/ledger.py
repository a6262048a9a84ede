"""General-ledger line-item readers: SAP (ACDOCA and BSEG/FAGLL03 layouts), Oracle GL journal lines,
and a generic signed CSV/XLSX with a column mapping.  Every format emits canonical ``ledger`` rows
(orchestration/contract.py): signed amounts with cost positive (debit +, credit -), transaction
amount/currency *and* local amount/currency, ``source_system`` 'sap' / 'oracle' / 'generic'.

Formats (``FORMATS``, each ``(detect, read)``):

* ``sap-acdoca-csv``  -- S/4HANA Universal Journal extracts and signed GUI/Fiori line-item exports.
  Amounts are already signed.  ``DRCRK`` repeats the side and is ignored (a "negative posting" keeps
  DRCRK = S with a negative amount, so it cannot be used to sign anything).
* ``sap-bseg-csv``    -- ECC BSEG/FAGLL03 layouts whose amounts (DMBTR/WRBTR) are *unsigned* and a
  debit/credit indicator (SHKZG S/H) gives the side: H (credit) -> negative.  A credit line that is
  already negative is taken as signed (no double negation); a debit line with a negative amount is
  contradictory and quarantined.
* ``oracle-gl-csv``   -- GL_JE_LINES (joined with the header columns you need): amount =
  ENTERED_DR - ENTERED_CR, local amount = ACCOUNTED_DR - ACCOUNTED_CR.
* ``generic-ledger-csv`` -- any signed CSV/XLSX, with ``mapping={"posting_date": "Date", ...}``
  (canonical column -> source heading) or ``mapping_file`` (YAML).  Never detected without a mapping.

Headings are matched case-, space- and punctuation-insensitively ("G/L Account" = "gl account" =
"GLAccount"), so both the SAP field names (RBUKRS, BELNR, HSL ...) and their English column titles
(FAGLL03 "Amount in local currency", Fiori "Amount in Company Code Currency", CDS names such as
AmountInCompanyCodeCurrency) work.  The header is row 1 (or ``header_row``); ``_source_row`` is the
file's row number (header = ``header_row``).  Files are CSV (delimiter sniffed from the header line:
comma, semicolon, tab or pipe; UTF-8, UTF-8 BOM, UTF-16 with BOM, else Windows-1252 with a warning)
or XLSX (first sheet, or ``sheet``).

Traps, for the next engineer (see docs/input-formats.md §3):

1. **Number formats.**  SAP GUI exports follow the user's decimal notation: ``1.234,56-`` (trailing
   minus, '.' thousands, ',' decimals, usually in a *semicolon*-separated file), ``1,234.56-`` or
   ``1 234,56-``.  ``decimal_separator='auto'`` (the SAP and Oracle default) decides per file from
   the amount cells that are unambiguous (``12,50``, ``1.234,56``, ``1,234,567``); a cell such as
   ``1.234`` in a file where nothing else decides is quarantined (is it 1234 or 1.234?) with a hint
   to pass ``decimal_separator``.  Thousands groups must be 3 digits, else the cell is rejected.
2. **Dates.**  ``DD.MM.YYYY`` (GUI), ``YYYYMMDD`` (table downloads; ``00000000`` = blank), ISO,
   ``DD-MON-YY[YY]`` (Oracle NLS; a 2-digit year is 20YY) are read without options.  ``03/04/2025``
   is ambiguous (day/month order is a user setting) and is quarantined unless ``date_format`` is
   given (e.g. ``'%d/%m/%Y'``).
3. **Fiscal periods are not months.**  ``fiscal_period`` is the *calendar* month ``YYYY-MM`` of the
   fiscal period, through ``fiscal_calendar={"year_start_month": 4, "year_named_by": "start"}``
   (default: calendar years).  ``year_named_by='start'`` is SAP's V3 convention (fiscal year 2025 =
   April 2025 .. March 2026: posting date 3 Feb 1999 is period 11 of 1998); ``'end'`` names a year
   by the calendar year it ends in.  Regular periods 1-12 map one-to-one, so the raw value is
   recoverable from ``fiscal_period`` and the calendar.  **Special periods 013-016** (SAP) and
   **adjusting periods** (Oracle ``ADJ-25``) map to the *last regular period of the fiscal year*
   (SAP: of GJAHR; Oracle: of the fiscal year holding the accounting date) and, because that
   mapping loses information, the raw value is appended to ``description`` as
   ``" [fiscal period 2025/013]"`` / ``" [period ADJ-25]"`` -- no warning is raised for them.  SAP
   period 000 is the balance carry-forward, not a posting: quarantined.  A period column absent or
   blank leaves ``fiscal_period`` NULL (it is *not* invented from the posting date).  Oracle period
   names that are not ``MON-YY`` / ``ADJ...`` (4-4-5 names such as ``P01-25``) leave it NULL, keep the
   raw name in ``description`` and raise one warning listing them.
4. **Reversals are rows, never dropped or netted here.**  SAP: ``XREVERSING='X'`` (or BKPF
   ``XREVERSAL='2'``, Fiori ``IsReversal``) marks the reversal; ``reverses_document_id`` comes from
   ``AWREF_REV`` (else ``STBLG``).  ``XREVERSED='X'`` / ``XREVERSAL='1'`` marks the *reversed
   original*, which is not a reversal.  BKPF ``STBLG`` alone points both ways (the original names its
   reversal and vice versa): with no flag column, STBLG (or AWREF_REV) pairs are resolved inside the
   file (the later posting date, then the higher document number, is the reversal); a STBLG whose
   partner is not in the file leaves ``is_reversal`` NULL with a warning.  Oracle: ``REVERSED_JE_HEADER_ID`` is set on
   the reversing journal and names the original; ``ACCRUAL_REV_JE_HEADER_ID`` sits on the accrual
   (the original) and is *not* a reversal marker.  Oracle's "change sign" reversal method posts a
   negative amount in the same DR/CR column; DR - CR handles both methods.  An export with no
   reversal column at all gives ``is_reversal`` NULL (unknown), not false.
5. **Document numbers.**  BELNR is unique only per company code and fiscal year, and number ranges
   restart every year.  Default ``document_key='belnr'`` keeps the number as users see it in FB03
   (and warns when the same BELNR appears under two company codes/years in one file);
   ``document_key='company_year'`` gives ``RBUKRS/GJAHR/BELNR`` (the reversal link then uses
   AWORG_REV = company+year, else STJAH, else the row's own company and year).  All-digit BELNR,
   DOCLN/BUZEI, RACCT, STBLG and AWREF_REV values lose their leading zeros (SAP's ALPHA conversion:
   a table download shows ``0100000001``, the GUI ``100000001``).
6. **Parallel ledgers.**  An ACDOCA extract holding the leading ledger 0L *and* parallel ledgers
   (2L, ...) repeats every posting.  With a ledger column (RLDNR), only ``ledger='0L'`` (default) is
   loaded; other ledgers' lines are quarantined with the reason (``ledger=None`` keeps all).
7. **ALV subtotal/total lines** (amount but no document number) are quarantined, not summed twice.
8. **Currencies.**  Transaction amount = WSL/RWCUR (ACDOCA; TSL/RTCUR when WSL is absent),
   WRBTR/WAERS (BSEG), ENTERED_*/CURRENCY_CODE (Oracle); local = HSL/RHCUR, DMBTR/HWAER,
   ACCOUNTED_*/LEDGER_CURRENCY.  Only a local amount in the file -> it is also the transaction
   amount.  Oracle's ledger currency is not on GL_JE_LINES: pass ``local_currency`` (or export
   LEDGER_CURRENCY_CODE), else local_currency stays NULL with a warning.  Raw SAP table extracts
   store amounts of 0-decimal currencies shifted (JPY 10000 is stored as 100.00): pass
   ``currency_decimals={"JPY": 0}`` for such extracts only (GUI exports are already right).  Oracle
   ``STAT`` (statistical) lines are quantities, not money: quarantined.
9. **Not actuals.**  Oracle ``ACTUAL_FLAG`` B (budget) / E (encumbrance) and ``STATUS`` U
   (unposted) lines are quarantined with the reason; budgets and commitments come from their own
   extracts (SAP CJI5/ACDOCP, Oracle ACTUAL_FLAG B/E).
10. **Project key.**  project_code = project definition (PS_PSPID / Oracle project column or
   ``project_segment``); when the export has only the WBS element, project_code = the WBS element
   (or group 1 of ``wbs_project_pattern``, e.g. ``r"^(P-\\d+)"``), and task_code = the WBS element
   (PS_POSID) whenever present.  PS_PSP_PNR/PROJK hold SAP's *internal* WBS number: used only when
   no external id is present, with a warning.  A line without any project key is quarantined ("not
   project cost"); mapping project codes between systems is the caller's job.  Oracle segment
   values made only of zeros (``0000``) are the "no project" default and count as blank.
11. **cost_type** comes from the account through ``account_cost_types`` (account prefix -> cost
   type, longest prefix wins; replaces the defaults): by default ``DEFAULT_ACCOUNT_COST_TYPES`` =
   50xx labour, 51xx material, 52xx subcontract, 53xx travel, 54xx overhead (the demo
   organisation's chart; 6-digit SAP accounts such as 510000 match the same prefixes); an account
   matching no prefix is 'other'; no account -> NULL.  An explicit cost_type column (generic) wins.

Every quarantine reason names the file, the row and the source column; every warning names the
file and the column, and the row(s) where it is about rows.  Nothing here
raises on bad content; a missing file raises :class:`ReaderError`; an unknown option, or an option
of the wrong type, raises ``TypeError`` and a bad option value ``ValueError`` (programming or
configuration errors, not data errors).
The table toolkit (:func:`~orchestration.sources.toolkit.read_table`, ``parse_decimal``, ``parse_date``,
``parse_period``, ``norm_header``, ``cell_text``, ``RowProblems`` ...) lives in
:mod:`orchestration.sources.toolkit`, the fiscal calendar in :mod:`orchestration.sources.fiscal`; this module
keeps only what it knows about ledger exports.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from orchestration.contract import ENTITIES
from orchestration.sources.base import SourceResult
from orchestration.sources.fiscal import FiscalCalendar
from orchestration.sources.toolkit import (
    DIGITS_RE,
    MONTH_ABBREVIATIONS,
    PERIOD_RE,
    QuarantineRecord,
    ReaderError,
    ReadResult,
    RowProblems,
    Table,
    cell_text,
    check_options,
    infer_decimal_separator,
    load_mapping_file,
    norm_header,
    parse_date,
    parse_decimal,
    read_table,
    resolve_columns,
    row_record,
    table_headers,
)

__all__ = [
    "DEFAULT_ACCOUNT_COST_TYPES",
    "FORMATS",
    "FiscalCalendar",  # re-exported for orchestration.demo_exports.ledger (lives in sources.fiscal)
    "cost_type_for",
    "detect_generic",
    "detect_oracle_gl",
    "detect_sap_acdoca",
    "detect_sap_bseg",
    "parse_date",  # re-exported for orchestration.demo_exports.ledger (lives in sources.toolkit)
    "parse_decimal",  # idem
    "read_generic",
    "read_ledger",
    "read_oracle_gl",
    "read_sap_acdoca",
    "read_sap_bseg",
]

LEDGER = ENTITIES["ledger"]
COST_TYPES: tuple[str, ...] = LEDGER.column("cost_type").allowed or ()

#: Account prefix -> cost type (the demo organisation's chart of accounts).  Longest prefix wins;
#: an account matching none is 'other'.  Pass ``account_cost_types`` to replace it.
DEFAULT_ACCOUNT_COST_TYPES: dict[str, str] = {
    "50": "labour",
    "51": "material",
    "52": "subcontract",
    "53": "travel",
    "54": "overhead",
}

def cost_type_for(account: str | None, account_cost_types: dict[str, str] | None = None) -> str | None:
    """Cost type of an account: longest matching prefix in ``account_cost_types`` (default
    :data:`DEFAULT_ACCOUNT_COST_TYPES`); no match -> 'other'; no account -> None."""
    if account is None or not str(account).strip():
        return None
    mapping = DEFAULT_ACCOUNT_COST_TYPES if account_cost_types is None else account_cost_types
    acct = str(account).strip()
    best = None
    for prefix, cost_type in mapping.items():
        if acct.startswith(str(prefix)) and (best is None or len(str(prefix)) > len(best[0])):
            best = (str(prefix), cost_type)
    return best[1] if best else "other"


def _check_cost_types(mapping: dict | None) -> dict[str, str] | None:
    if mapping is None:
        return None
    if not isinstance(mapping, dict):
        raise TypeError("account_cost_types must be a dict of account prefix -> cost type")
    out = {}
    for prefix, cost_type in mapping.items():
        ct = str(cost_type).strip().lower()
        if ct not in COST_TYPES:
            raise ValueError(f"account_cost_types[{prefix!r}] = {cost_type!r} is not one of {', '.join(COST_TYPES)}")
        out[str(prefix)] = ct
    return out


def _new_result(fmt: str, path: Path, table: Table) -> tuple[SourceResult, ReadResult]:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    res = SourceResult(fmt, path, sha)
    ent = res.entity("ledger")
    ent.warnings.extend(table.warnings)
    res.errors.extend(table.errors)
    ent.quarantine.extend(table.broken)
    return res, ent


def _finish(res: SourceResult, ent: ReadResult) -> SourceResult:
    ent.warnings[:] = list(dict.fromkeys(ent.warnings))
    res.warnings = list(ent.warnings)
    return res


# =====================================================================================================
# Ledger row assembly shared by the formats
# =====================================================================================================

_REQUIRED = ("posting_date", "document_id", "project_code", "amount", "currency")
_TRUE_FLAGS = {"x", "true", "t", "yes", "y", "1"}
_FALSE_FLAGS = {"", "false", "f", "no", "n", "0", "-"}


def _alpha(value: str | None) -> str | None:
    """SAP ALPHA output conversion: all-digit keys lose their leading zeros."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    if DIGITS_RE.match(v):
        return v.lstrip("0") or "0"
    return v


def _flag(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    t = (cell_text(value) or "").lower()
    if t in _TRUE_FLAGS:
        return True
    if t in _FALSE_FLAGS:
        return False
    raise ValueError(f"not a flag {value!r} (X/blank, true/false, yes/no, 1/0)")


class _Ctx:
    """Per-row access to resolved columns with problem collection."""

    def __init__(self, table: Table, cols: dict[str, int], cells: list, problems: RowProblems):
        self.table, self.cols, self.cells, self.problems = table, cols, cells, problems

    def has(self, role: str) -> bool:
        return role in self.cols

    def heading(self, role: str) -> str:
        i = self.cols.get(role)
        return self.table.headers[i] if i is not None else f"{role} (no such column)"

    def raw(self, role: str) -> Any:
        i = self.cols.get(role)
        if i is None or i >= len(self.cells):
            return None
        v = self.cells[i]
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v

    def text(self, role: str) -> str | None:
        return cell_text(self.raw(role))

    def parse(self, role: str, fn: Callable[[Any], Any]) -> Any:
        v = self.raw(role)
        if v is None:
            return None
        try:
            return fn(v)
        except ValueError as exc:
            self.problems.add(self.heading(role), v, str(exc), key=role)
            return None


def _well_shaped_rows(table: Table, cols: dict[str, int], path: Path, ent):
    """Each data row of ``table`` as (row number, its :class:`_Ctx`, its problems, its raw record);
    a row with the wrong number of cells is quarantined whole (in ``ent.quarantine``) and skipped."""
    for row_no, cells in table.rows:
        problems = RowProblems(path, row_no)
        record = row_record(table.headers, cells)
        shape = table.shape_problem(cells)
        if shape:
            problems.add("(whole row)", None, shape)
            ent.quarantine.append(problems.quarantine(record))
            continue
        yield row_no, _Ctx(table, cols, cells, problems), problems, record


def _required_problems(row: dict, ctx: _Ctx, roles: dict[str, str]) -> None:
    """Report blank required values, unless the cell already failed to parse.  ``roles`` maps a
    canonical column to the source role (or canonical column) that feeds it."""
    for col in _REQUIRED:
        role = roles.get(col, col)
        if row.get(col) is None and not ({col, role} & ctx.problems.keys):
            where = ctx.heading(role)
            if col == "project_code":
                reason = "project_code: no WBS element / project on this line (not project cost)"
            elif col == "document_id":
                reason = ("document_id: no document number (an ALV subtotal/total line, or a line "
                          "without its document)")
            else:
                reason = f"{col}: required value is blank"
            ctx.problems.add(where, None, reason, key=col)


def _append_raw_period(row: dict, raw: str) -> None:
    note = f"[{raw}]"
    row["description"] = f"{row['description']} {note}" if row.get("description") else note


# =====================================================================================================
# SAP
# =====================================================================================================

SAP_COLUMNS: dict[str, list[str]] = {
    "ledger": ["RLDNR", "Ledger"],
    "company": ["RBUKRS", "BUKRS", "Company Code", "CompanyCode"],
    "fiscal_year": ["GJAHR", "RYEAR", "Fiscal Year", "FiscalYear", "LedgerFiscalYear"],
    "document": ["BELNR", "Journal Entry", "AccountingDocument", "Accounting Document", "Document Number",
                 "DocumentNo", "Doc. No."],
    "line": ["DOCLN", "BUZEI", "Journal Entry Item", "LedgerGLLineItem", "AccountingDocumentItem",
             "Line item", "Item"],
    "posting_date": ["BUDAT", "H_BUDAT", "Posting Date", "PostingDate", "Pstng Date"],
    "period": ["POPER", "MONAT", "H_MONAT", "Posting Period", "Fiscal Period", "FiscalPeriod", "Period"],
    "fiscal_year_period": ["FISCYEARPER", "Fiscal Year Period", "FiscalYearPeriod", "Year/period"],
    "account": ["RACCT", "HKONT", "SAKNR", "G/L Account", "GLAccount", "G/L Acct", "G/L"],
    "local_amount": ["HSL", "DMBTR", "Amount in Company Code Currency", "AmountInCompanyCodeCurrency",
                     "Amount in local currency", "Amount in LC", "Amount in loc.curr."],
    "local_currency": ["RHCUR", "HWAER", "H_HWAER", "Company Code Currency", "CompanyCodeCurrency",
                       "Local currency", "LCurr"],
    "amount": ["WSL", "WRBTR", "Amount in Transaction Currency", "AmountInTransactionCurrency",
               "Amount in doc. curr.", "Amount in document currency", "Amount in DC"],
    "currency": ["RWCUR", "WAERS", "H_WAERS", "Transaction Currency", "TransactionCurrency",
                 "Document currency", "Curr."],
    "bt_amount": ["TSL", "Amount in Balance Transaction Currency", "AmountInBalanceTransacCrcy"],
    "bt_currency": ["RTCUR", "Balance Transaction Currency", "BalanceTransactionCurrency"],
    "project": ["PS_PSPID", "PSPID", "Project Definition", "ProjectExternalID", "Project"],
    "wbs": ["PS_POSID", "POSID", "WBS Element", "WBSElementExternalID", "WBS Element External ID"],
    "wbs_internal": ["PS_PSP_PNR", "PROJK", "PSPNR"],
    "text": ["SGTXT", "Text", "Item Text", "DocumentItemText", "Journal Entry Item Text"],
    "header_text": ["BKTXT", "Document Header Text", "AccountingDocumentHeaderText"],
    "xreversing": ["XREVERSING", "IsReversal", "Reversal Indicator"],
    "xreversed": ["XREVERSED", "IsReversed"],
    "xreversal": ["XREVERSAL"],
    "reversal_ref": ["AWREF_REV", "ReversalReferenceDocument", "Reversal Reference Document"],
    "reversal_org": ["AWORG_REV"],
    "reversed_with": ["STBLG", "Reverse Document", "Reversed with", "ReverseDocument", "Reverse document number"],
    "reversed_year": ["STJAH", "Reverse document fiscal year"],
    "shkzg": ["SHKZG", "Debit/Credit ind", "Debit/Credit Indicator", "D/C"],
}

_SAP_OPTIONS = {"fiscal_calendar", "account_cost_types", "decimal_separator", "date_format", "delimiter",
                "encoding", "sheet", "header_row", "ledger", "document_key", "local_currency",
                "wbs_project_pattern", "currency_decimals"}


def _sap_columns(headers: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        index.setdefault(norm_header(h), i)
    return resolve_columns(index, SAP_COLUMNS)


def _sap_kind(headers: list[str]) -> str | None:
    cols = _sap_columns(headers)
    if not {"document", "posting_date"} <= cols.keys():
        return None
    if not ({"amount", "local_amount", "bt_amount"} & cols.keys()):
        return None
    return "bseg" if "shkzg" in cols else "acdoca"


def detect_sap_acdoca(path: Path, head: bytes) -> bool:
    """True for a SAP line-item file with signed amounts: a document number (BELNR / Journal Entry /
    Document Number), a posting date (BUDAT) and an amount column (HSL/WSL/TSL or their titles), and
    *no* SHKZG debit/credit column (DRCRK may be there: it is ignored)."""
    return _sap_kind(table_headers(Path(path), head)) == "acdoca"


def detect_sap_bseg(path: Path, head: bytes) -> bool:
    """True for a SAP line-item file with an SHKZG (S/H) debit/credit column beside document number,
    posting date and amount (DMBTR/WRBTR or FAGLL03 titles)."""
    return _sap_kind(table_headers(Path(path), head)) == "bseg"


def read_sap_acdoca(path: Path | str, **options) -> SourceResult:
    """Read a SAP ACDOCA-style (signed amounts) line-item export.  Options: ``fiscal_calendar``,
    ``account_cost_types``, ``decimal_separator`` ('auto'), ``date_format``, ``delimiter``,
    ``encoding``, ``sheet``, ``header_row`` (1), ``ledger`` ('0L'; None keeps all), ``document_key``
    ('belnr' | 'company_year'), ``local_currency`` (when no RHCUR column), ``wbs_project_pattern``,
    ``currency_decimals`` (raw table extracts only).  See the module docstring for the rules."""
    check_options(options, _SAP_OPTIONS, "read_sap_acdoca")
    return _read_sap(Path(path), "sap-acdoca-csv", signed=True, **options)


def read_sap_bseg(path: Path | str, **options) -> SourceResult:
    """Read a SAP BSEG/FAGLL03-style export whose amounts are signed by SHKZG (S debit +, H credit -).
    Same options as :func:`read_sap_acdoca`."""
    check_options(options, _SAP_OPTIONS, "read_sap_bseg")
    return _read_sap(Path(path), "sap-bseg-csv", signed=False, **options)


def _read_sap(path: Path, fmt: str, *, signed: bool, fiscal_calendar=None, account_cost_types=None,
              decimal_separator: str = "auto", date_format: str | None = None, delimiter=None,
              encoding=None, sheet=None, header_row: int = 1, ledger: str | None = "0L",
              document_key: str = "belnr", local_currency: str | None = None,
              wbs_project_pattern: str | None = None, currency_decimals: dict | None = None) -> SourceResult:
    calendar = FiscalCalendar.from_option(fiscal_calendar)
    cost_types = _check_cost_types(account_cost_types)
    if document_key not in ("belnr", "company_year"):
        raise ValueError("document_key must be 'belnr' or 'company_year'")
    wbs_re = re.compile(wbs_project_pattern) if wbs_project_pattern else None
    table = read_table(path, sheet=sheet, header_row=header_row, delimiter=delimiter, encoding=encoding)
    index = table.index()
    res, ent = _new_result(fmt, path, table)
    if not table.headers:
        return _finish(res, ent)
    cols = resolve_columns(index, SAP_COLUMNS)
    name = path.name
    hr = table.header_row

    missing = [what for what, roles in (("document number (BELNR)", ("document",)),
                                        ("posting date (BUDAT)", ("posting_date",)),
                                        ("amount (HSL/WSL/TSL, DMBTR/WRBTR)", ("amount", "local_amount", "bt_amount")))
               if not any(r in cols for r in roles)]
    if not signed and "shkzg" not in cols:
        missing.append("debit/credit indicator (SHKZG)")
    if "currency" not in cols and "local_currency" not in cols and "bt_currency" not in cols and not local_currency:
        missing.append("currency (RWCUR/RHCUR/WAERS/HWAER, or the local_currency option)")
    if missing:
        msg = f"{name}, row {hr}: required column(s) missing from the header: {', '.join(missing)}"
        res.errors.append(msg)
        for row_no, cells in table.rows:
            ent.quarantine.append(QuarantineRecord(row_no, ", ".join(missing), None, msg,
                                                   row_record(table.headers, cells)))
        return _finish(res, ent)

    # transaction amount: WSL/WRBTR, else TSL; local: HSL/DMBTR
    txn_role, txn_ccy = ("amount", "currency") if "amount" in cols else ("bt_amount", "bt_currency")
    amount_roles = [r for r in ("amount", "local_amount", "bt_amount") if r in cols]
    decimal = decimal_separator
    if decimal == "auto":
        cells = [c[cols[r]] for _, c in table.rows for r in amount_roles if cols[r] < len(c)]
        inferred, conflict = infer_decimal_separator(cells)
        if conflict:
            ent.warnings.append(f"{name}: amount columns mix '.' and ',' as decimal separators; each cell "
                                "is read on its own (pass decimal_separator to force one)")
        decimal = inferred or "auto"
    if "wbs_internal" in cols and "wbs" not in cols:
        ent.warnings.append(
            f"{name}, row {hr}, column {table.headers[cols['wbs_internal']]!r}: only SAP's internal WBS number "
            "is exported; task_code/project_code carry it. Add PS_POSID (WBS element external id) to the export")
    has_flags = any(r in cols for r in ("xreversing", "xreversed", "xreversal"))
    has_reversal_info = has_flags or "reversed_with" in cols or "reversal_ref" in cols
    shift = {str(k).upper(): int(v) for k, v in (currency_decimals or {}).items()}

    def money(v):
        return parse_decimal(v, decimal)

    pending_stblg: list[tuple[dict, str]] = []  # rows whose reversal role must be resolved by pairing
    belnr_keys: dict[str, set] = {}

    for row_no, ctx, problems, record in _well_shaped_rows(table, cols, path, ent):
        # parallel ledgers
        led = ctx.text("ledger")
        if ledger is not None and led is not None and led.upper() != ledger.upper():
            problems.add(ctx.heading("ledger"), led,
                         f"ledger {led} is not the leading ledger {ledger}: parallel ledgers repeat every "
                         f"posting (pass ledger={led!r} to read this one instead)")
            ent.quarantine.append(problems.quarantine(record))
            continue

        row: dict[str, Any] = {"source_system": "sap"}
        row["posting_date"] = ctx.parse("posting_date", lambda v: parse_date(v, date_format))
        company = ctx.text("company")
        fyear = ctx.parse("fiscal_year", lambda v: _int(v, "fiscal year"))
        belnr = _alpha(ctx.text("document"))
        row["line_id"] = _alpha(ctx.text("line"))

        # fiscal period
        period = ctx.parse("period", lambda v: _int(v, "period"))
        if period is None and ctx.has("fiscal_year_period"):
            fyp = ctx.parse("fiscal_year_period", _fiscal_year_period)
            if fyp:
                fyear = fyear or fyp[0]
                period = fyp[1]
        period_heading = ctx.heading("period" if ctx.has("period") else "fiscal_year_period")
        row["fiscal_period"] = None
        special = None
        if period is not None:
            if period == 0:
                problems.add(period_heading, ctx.raw("period") or ctx.raw("fiscal_year_period"),
                             "period 000 is the balance carry-forward, not a posting")
            elif not 1 <= period <= 16:
                problems.add(period_heading, period, f"period {period} is not 001-016")
            else:
                if fyear is None and row["posting_date"] is not None:
                    fyear = calendar.fiscal_year_of(row["posting_date"])
                if fyear is None:
                    problems.add(period_heading, period, "period without a fiscal year or posting date")
                else:
                    row["fiscal_period"] = calendar.month_of(fyear, period)
                    if period > 12:
                        special = f"fiscal period {fyear}/{period:03d}"
        if document_key == "company_year" and belnr is not None:
            doc_year = fyear if fyear is not None else (
                calendar.fiscal_year_of(row["posting_date"]) if row["posting_date"] else None)
            row["document_id"] = f"{company or ''}/{doc_year or ''}/{belnr}"
        else:
            row["document_id"] = belnr
        if belnr is not None:
            belnr_keys.setdefault(belnr, set()).add((company, fyear))

        # amounts
        local_amt = ctx.parse("local_amount", money)
        local_ccy = ctx.text("local_currency") or local_currency
        txn_amt = ctx.parse(txn_role, money)
        txn_ccy_v = ctx.text(txn_ccy)
        if not signed:
            side = ctx.text("shkzg")
            sign = {"s": 1, "d": 1, "debit": 1, "h": -1, "c": -1, "credit": -1}.get((side or "").lower())
            if sign is None:
                problems.add(ctx.heading("shkzg"), side, "debit/credit indicator must be S (debit) or H (credit)")
            else:
                for role, val in (("local_amount", local_amt), (txn_role, txn_amt)):
                    if val is not None and val < 0 and sign > 0:
                        problems.add(ctx.heading(role), ctx.raw(role),
                                     "negative amount on a debit (S) line: the file mixes signed and "
                                     "unsigned amounts")
                local_amt = None if local_amt is None else sign * abs(local_amt)
                txn_amt = None if txn_amt is None else sign * abs(txn_amt)
        if shift:
            if local_amt is not None and local_ccy and local_ccy.upper() in shift:
                local_amt = local_amt * Decimal(10) ** (2 - shift[local_ccy.upper()])
            if txn_amt is not None and txn_ccy_v and txn_ccy_v.upper() in shift:
                txn_amt = txn_amt * Decimal(10) ** (2 - shift[txn_ccy_v.upper()])
        if txn_amt is not None:
            row["amount"], row["currency"] = txn_amt, txn_ccy_v
        else:
            row["amount"], row["currency"] = local_amt, local_ccy
        row["local_amount"] = local_amt if local_amt is not None else txn_amt
        row["local_currency"] = local_ccy if local_amt is not None else (txn_ccy_v if txn_amt is not None else None)

        # account, cost type
        row["account"] = _alpha(ctx.text("account"))
        row["cost_type"] = cost_type_for(row["account"], cost_types)

        # project / WBS
        wbs = ctx.text("wbs") or ctx.text("wbs_internal")
        project = ctx.text("project")
        if project is None and wbs is not None:
            project = wbs
            m = wbs_re.match(wbs) if wbs_re else None
            if m:
                project = m.group(1) if m.groups() else m.group(0)
        row["project_code"] = project
        row["task_code"] = wbs

        # description
        desc = ctx.text("text") or ctx.text("header_text")
        row["description"] = desc
        if special:
            _append_raw_period(row, special)

        # reversals
        row["is_reversal"] = None
        row["reverses_document_id"] = None
        ref = _alpha(ctx.text("reversal_ref")) or _alpha(ctx.text("reversed_with"))
        ref_id = ref
        if ref is not None and document_key == "company_year":
            org = ctx.text("reversal_org")
            ref_year = ctx.text("reversed_year")
            if org and len(org) >= 8 and org[-4:].isdigit():
                ref_id = f"{org[:-4]}/{org[-4:]}/{ref}"
            else:
                ref_id = f"{company or ''}/{ref_year or fyear or ''}/{ref}"
        if has_flags:
            try:
                reversing = _flag(ctx.raw("xreversing")) if ctx.has("xreversing") else None
                xrev = ctx.text("xreversal")
                if xrev is not None and xrev not in ("1", "2"):
                    raise ValueError(f"XREVERSAL must be 1 (reversed) or 2 (reversal), not {xrev!r}")
                is_rev = bool(reversing) or xrev == "2"
                row["is_reversal"] = is_rev
                row["reverses_document_id"] = ref_id if is_rev else None
            except ValueError as exc:
                problems.add(ctx.heading("xreversing" if ctx.has("xreversing") else "xreversal"),
                             ctx.raw("xreversing") or ctx.raw("xreversal"), str(exc))
        elif has_reversal_info:
            # STBLG (or AWREF_REV) without flags: resolved by pairing after the loop
            row["is_reversal"] = False if ref is None else None

        _required_problems(row, ctx, {
            "posting_date": "posting_date", "document_id": "document",
            "project_code": "wbs" if ctx.has("wbs") else "project",
            "amount": txn_role if ctx.has(txn_role) else "local_amount",
            "currency": txn_ccy if ctx.has(txn_ccy) else "local_currency",
        })
        if problems:
            ent.quarantine.append(problems.quarantine(record))
            continue
        row["_source_row"] = row_no
        ent.rows.append(row)
        if not has_flags and ref is not None:
            pending_stblg.append((row, ref_id))

    _resolve_stblg_pairs(pending_stblg, name, ent)
    if document_key == "belnr":
        clashes = sorted(b for b, keys in belnr_keys.items() if len(keys) > 1)
        if clashes:
            ent.warnings.append(
                f"{name}: document number(s) {', '.join(clashes[:5])}{' ...' if len(clashes) > 5 else ''} "
                "appear under more than one company code / fiscal year (column "
                f"{table.headers[cols['document']]!r}); pass document_key='company_year' to keep them apart")
    return _finish(res, ent)


def _int(value: Any, what: str) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            return int(value)
        raise ValueError(f"{what} {value} is not a whole number")
    t = str(value).strip()
    if not DIGITS_RE.match(t):
        raise ValueError(f"{what} {t!r} is not a whole number")
    return int(t)


def _fiscal_year_period(value: Any) -> tuple[int, int]:
    """SAP FISCYEARPER 'YYYYPPP', or 'PPP.YYYY' / 'PPP/YYYY' (GUI), or 'YYYY/PPP'."""
    t = cell_text(value) or ""
    m = re.match(r"^(\d{4})(\d{3})$", t) or re.match(r"^(\d{4})[/.-](\d{1,3})$", t)
    if m:
        return int(m[1]), int(m[2])
    m = re.match(r"^(\d{1,3})[/.](\d{4})$", t)
    if m:
        return int(m[2]), int(m[1])
    raise ValueError(f"fiscal year/period {t!r} is not YYYYPPP, YYYY/PPP or PPP.YYYY")


def _resolve_stblg_pairs(pending: list[tuple[dict, str]], name: str, ent: ReadResult) -> None:
    """STBLG without XREVERSING/XREVERSED: the document posted later (then the higher number) of a pair
    that name each other is the reversal.  An unpaired STBLG leaves is_reversal NULL, with a warning."""
    if not pending:
        return
    by_doc: dict[str, list[tuple[dict, str]]] = {}
    for row, ref in pending:
        by_doc.setdefault(row["document_id"], []).append((row, ref))
    unpaired = []
    for doc, items in by_doc.items():
        ref = items[0][1]
        partner = by_doc.get(ref)
        if not partner or partner[0][1] != doc:
            unpaired.append((doc, ref, items))
            continue
        mine = (items[0][0]["posting_date"] or date.min, _doc_sort_key(doc))
        theirs = (partner[0][0]["posting_date"] or date.min, _doc_sort_key(ref))
        is_rev = mine > theirs
        for row, r in items:
            row["is_reversal"] = is_rev
            row["reverses_document_id"] = r if is_rev else None
    for doc, ref, items in unpaired:
        rows = ", ".join(str(r["_source_row"]) for r, _ in items if "_source_row" in r)
        ent.warnings.append(
            f"{name}, row(s) {rows}, column 'STBLG': document {doc} names {ref} as its reversal partner but "
            f"{ref} is not in this file, so which of the two is the reversal is unknown: is_reversal left "
            "NULL (export XREVERSING/XREVERSED or BKPF XREVERSAL to settle it)")


def _doc_sort_key(doc: str) -> tuple:
    tail = doc.rsplit("/", 1)[-1]
    return (0, int(tail), doc) if tail.isdigit() else (1, 0, doc)


# =====================================================================================================
# Oracle
# =====================================================================================================

ORACLE_COLUMNS: dict[str, list[str]] = {
    "document": ["JE_HEADER_ID", "Journal Header ID", "Header ID", "Journal ID", "DOC_SEQUENCE_VALUE",
                 "Document Number"],
    "line": ["JE_LINE_NUM", "Journal Line Number", "Line Number", "Line Num", "Line"],
    "posting_date": ["EFFECTIVE_DATE", "Accounting Date", "Effective Date", "DEFAULT_EFFECTIVE_DATE", "GL_DATE",
                     "GL Date"],
    "period": ["PERIOD_NAME", "Period Name", "Accounting Period", "Period"],
    "entered_dr": ["ENTERED_DR", "Entered Debit", "Entered Dr", "Entered Debit Amount"],
    "entered_cr": ["ENTERED_CR", "Entered Credit", "Entered Cr", "Entered Credit Amount"],
    "accounted_dr": ["ACCOUNTED_DR", "Accounted Debit", "Accounted Dr", "Accounted Debit Amount"],
    "accounted_cr": ["ACCOUNTED_CR", "Accounted Credit", "Accounted Cr", "Accounted Credit Amount"],
    "currency": ["CURRENCY_CODE", "Entered Currency", "Currency Code", "Currency"],
    "local_currency": ["LEDGER_CURRENCY_CODE", "LEDGER_CURRENCY", "Ledger Currency", "Accounted Currency"],
    "account": ["ACCOUNT", "CONCATENATED_SEGMENTS", "Account Combination", "Account"],
    "ccid": ["CODE_COMBINATION_ID", "Code Combination ID"],
    "project": ["PROJECT_NUMBER", "PROJECT", "Project Number", "Project"],
    "task": ["TASK_NUMBER", "Task Number", "Task"],
    "description": ["DESCRIPTION", "Line Description", "Description"],
    "journal_name": ["JE_HEADER_NAME", "Journal Name", "NAME"],
    "status": ["STATUS", "Posting Status", "Status"],
    "actual_flag": ["ACTUAL_FLAG", "Balance Type"],
    "reversed_header": ["REVERSED_JE_HEADER_ID", "Reversed Journal Header ID", "Reversed Journal ID"],
}

_ORACLE_OPTIONS = {"fiscal_calendar", "account_cost_types", "decimal_separator", "date_format", "delimiter",
                   "encoding", "sheet", "header_row", "local_currency", "account_segment", "project_segment",
                   "task_segment", "segment_separator"}
_ORACLE_PERIOD_RE = re.compile(r"^([A-Za-z]{3})[-\s]?(\d{2}|\d{4})$")
_ORACLE_ADJ_RE = re.compile(r"^ADJ[A-Za-z0-9]*[-\s]?(\d{2}|\d{4})?$", re.IGNORECASE)


def detect_oracle_gl(path: Path, head: bytes) -> bool:
    """True for Oracle GL journal lines: an ENTERED_DR/ENTERED_CR (or ACCOUNTED_DR/CR, or their
    'Entered Debit'/'Entered Credit' titles) pair beside an accounting/effective date."""
    headers = table_headers(Path(path), head)
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        index.setdefault(norm_header(h), i)
    cols = resolve_columns(index, ORACLE_COLUMNS)
    pair = {"entered_dr", "entered_cr"} <= cols.keys() or {"accounted_dr", "accounted_cr"} <= cols.keys()
    return pair and "posting_date" in cols


def read_oracle_gl(path: Path | str, **options) -> SourceResult:
    """Read Oracle GL journal lines (GL_JE_LINES, with header columns joined as needed).

    Options: ``fiscal_calendar``, ``account_cost_types``, ``decimal_separator`` ('auto'),
    ``date_format``, ``delimiter``, ``encoding``, ``sheet``, ``header_row``, ``local_currency`` (the
    ledger currency when the file has no LEDGER_CURRENCY_CODE column), ``account_segment`` /
    ``project_segment`` / ``task_segment`` (a column name such as 'SEGMENT3', or a 1-based position in
    the concatenated ACCOUNT column split on ``segment_separator``, default '-')."""
    check_options(options, _ORACLE_OPTIONS, "read_oracle_gl")
    return _read_oracle(Path(path), **options)


def _read_oracle(path: Path, *, fiscal_calendar=None, account_cost_types=None, decimal_separator="auto",
                 date_format=None, delimiter=None, encoding=None, sheet=None, header_row=1,
                 local_currency=None, account_segment=None, project_segment=None, task_segment=None,
                 segment_separator="-") -> SourceResult:
    calendar = FiscalCalendar.from_option(fiscal_calendar)
    cost_types = _check_cost_types(account_cost_types)
    table = read_table(path, sheet=sheet, header_row=header_row, delimiter=delimiter, encoding=encoding)
    index = table.index()
    res, ent = _new_result("oracle-gl-csv", path, table)
    if not table.headers:
        return _finish(res, ent)
    cols = resolve_columns(index, ORACLE_COLUMNS)
    name, hr = path.name, table.header_row

    seg_cols: dict[str, int] = {}
    for role, opt in (("account_seg", account_segment), ("project_seg", project_segment),
                      ("task_seg", task_segment)):
        if isinstance(opt, str):
            i = index.get(norm_header(opt))
            if i is None:
                res.errors.append(f"{name}, row {hr}: option {role[:-4]}_segment names column {opt!r}, "
                                  "which is not in the header")
            else:
                seg_cols[role] = i
        elif opt is not None and (not isinstance(opt, int) or opt < 1):
            raise ValueError(f"{role[:-4]}_segment must be a column name or a 1-based segment position")
    cols.update(seg_cols)

    entered = {"entered_dr", "entered_cr"} <= cols.keys()
    accounted = {"accounted_dr", "accounted_cr"} <= cols.keys()
    missing = []
    if "document" not in cols:
        missing.append("journal header id (JE_HEADER_ID)")
    if "posting_date" not in cols:
        missing.append("accounting date (EFFECTIVE_DATE)")
    if not entered and not accounted:
        missing.append("ENTERED_DR/ENTERED_CR")
    if entered and "currency" not in cols:
        missing.append("currency (CURRENCY_CODE)")
    if missing:
        msg = f"{name}, row {hr}: required column(s) missing from the header: {', '.join(missing)}"
        res.errors.append(msg)
        for row_no, cells in table.rows:
            ent.quarantine.append(QuarantineRecord(row_no, ", ".join(missing), None, msg,
                                                   row_record(table.headers, cells)))
        return _finish(res, ent)
    if accounted and "local_currency" not in cols and not local_currency:
        ent.warnings.append(
            f"{name}, row {hr}, column {table.headers[cols['accounted_dr']]!r}: accounted (ledger-currency) "
            "amounts without a ledger currency; local_currency left NULL (pass local_currency=... or export "
            "LEDGER_CURRENCY_CODE)")
    if "account" not in cols and "account_seg" not in cols and "ccid" in cols:
        ent.warnings.append(
            f"{name}, row {hr}, column {table.headers[cols['ccid']]!r}: only the code-combination id is "
            "exported; account is the id and cost_type is NULL (export the account segments or "
            "CONCATENATED_SEGMENTS)")
    money_roles = [r for r in ("entered_dr", "entered_cr", "accounted_dr", "accounted_cr") if r in cols]
    decimal = decimal_separator
    if decimal == "auto":
        inferred, conflict = infer_decimal_separator(
            c[cols[r]] for _, c in table.rows for r in money_roles if cols[r] < len(c))
        if conflict:
            ent.warnings.append(f"{name}: amount columns mix '.' and ',' as decimal separators; each cell "
                                "is read on its own (pass decimal_separator to force one)")
        decimal = inferred or "auto"
    has_rev = "reversed_header" in cols
    odd_periods: set[str] = set()
    concatenated: str | None = None

    def money(v):
        return parse_decimal(v, decimal)

    def segment(ctx: _Ctx, opt, role: str, fallback_role: str | None) -> str | None:
        if isinstance(opt, str):
            return ctx.text(role)
        if isinstance(opt, int):
            combo = ctx.text("account")
            if combo is None:
                return None
            parts = combo.split(segment_separator)
            if opt > len(parts):
                ctx.problems.add(ctx.heading("account"), combo,
                                 f"has {len(parts)} segment(s), fewer than {role[:-4]}_segment={opt}")
                return None
            return parts[opt - 1].strip() or None
        return ctx.text(fallback_role) if fallback_role else None

    for row_no, ctx, problems, record in _well_shaped_rows(table, cols, path, ent):
        # not actuals / not posted / not money: quarantine with the reason
        flag = (ctx.text("actual_flag") or "A")[:1].upper()
        if flag != "A":
            kind = {"B": "budget", "E": "encumbrance"}.get(flag, f"balance type {ctx.text('actual_flag')!r}")
            problems.add(ctx.heading("actual_flag"), ctx.raw("actual_flag"),
                         f"a {kind} line, not an actual; load budgets/commitments from their own extract")
        status = (ctx.text("status") or "P").upper()
        if status not in ("P", "POSTED"):
            problems.add(ctx.heading("status"), ctx.raw("status"),
                         "journal not posted (status U = unposted); only posted lines are actuals")
        ccy = ctx.text("currency")
        if ccy and ccy.upper() == "STAT":
            problems.add(ctx.heading("currency"), ccy, "a statistical (STAT) line holds quantities, not money")
        if problems:
            ent.quarantine.append(problems.quarantine(record))
            continue

        row: dict[str, Any] = {"source_system": "oracle"}
        row["posting_date"] = ctx.parse("posting_date", lambda v: parse_date(v, date_format))
        row["document_id"] = ctx.text("document")
        row["line_id"] = ctx.text("line")
        edr, ecr = ctx.parse("entered_dr", money), ctx.parse("entered_cr", money)
        adr, acr = ctx.parse("accounted_dr", money), ctx.parse("accounted_cr", money)
        lccy = ctx.text("local_currency") or local_currency
        local_amt = None if adr is None and acr is None else (adr or Decimal(0)) - (acr or Decimal(0))
        if entered:
            amount = None if edr is None and ecr is None else (edr or Decimal(0)) - (ecr or Decimal(0))
            row["amount"], row["currency"] = amount, ccy
        else:
            row["amount"], row["currency"] = local_amt, lccy
        row["local_amount"], row["local_currency"] = local_amt, (lccy if local_amt is not None else None)

        row["account"] = segment(ctx, account_segment, "account_seg", "account") if (
            account_segment is not None) else (ctx.text("account") or ctx.text("ccid"))
        row["cost_type"] = (cost_type_for(row["account"], cost_types)
                            if ("account" in cols or "account_seg" in cols) else None)
        if account_segment is None and row["account"] and segment_separator in row["account"]:
            concatenated = concatenated or row["account"]
        project = segment(ctx, project_segment, "project_seg", "project")
        if project is not None and re.fullmatch(r"0+", project):
            project = None
        row["project_code"] = project
        task = segment(ctx, task_segment, "task_seg", "task")
        row["task_code"] = None if task is not None and re.fullmatch(r"0+", task) else task
        row["description"] = ctx.text("description") or ctx.text("journal_name")

        # period
        row["fiscal_period"] = None
        pname = ctx.text("period")
        if pname is not None:
            m = _ORACLE_PERIOD_RE.match(pname)
            if m and m[1].lower() in MONTH_ABBREVIATIONS:
                year = int(m[2]) + (2000 if len(m[2]) == 2 else 0)
                row["fiscal_period"] = f"{year:04d}-{MONTH_ABBREVIATIONS[m[1].lower()]:02d}"
            elif _ORACLE_ADJ_RE.match(pname) and row["posting_date"] is not None:
                fy = calendar.fiscal_year_of(row["posting_date"])
                row["fiscal_period"] = calendar.month_of(fy, 12)
                _append_raw_period(row, f"period {pname}")
            else:
                odd_periods.add(pname)
                _append_raw_period(row, f"period {pname}")

        # reversals
        if has_rev:
            ref = ctx.text("reversed_header")
            row["is_reversal"] = ref is not None
            row["reverses_document_id"] = ref
        else:
            row["is_reversal"], row["reverses_document_id"] = None, None

        amount_roles = ("entered_dr", "entered_cr") if entered else ("accounted_dr", "accounted_cr")
        if row["amount"] is None and not (set(amount_roles) & problems.keys):
            problems.add(ctx.heading(amount_roles[0]), None, "amount: both debit and credit are blank", key="amount")
        _required_problems(row, ctx, {
            "posting_date": "posting_date", "document_id": "document",
            "project_code": "project_seg" if "project_seg" in cols else (
                "account" if isinstance(project_segment, int) else "project"),
            "amount": amount_roles[0],
            "currency": "currency" if entered else "local_currency",
        })
        if problems:
            ent.quarantine.append(problems.quarantine(record))
            continue
        row["_source_row"] = row_no
        ent.rows.append(row)
    if concatenated:
        ent.warnings.append(
            f"{name}, column {table.headers[cols['account']]!r}: accounts are concatenated segments (e.g. "
            f"{concatenated!r}); cost_type is matched on the whole string. Pass account_segment=<position> "
            "(and project_segment) to use the natural-account segment")
    if odd_periods:
        ent.warnings.append(
            f"{name}, column {table.headers[cols['period']]!r}: period name(s) {', '.join(sorted(odd_periods))} "
            "are not MON-YY or ADJ-YY; fiscal_period left NULL and the name kept in description")
    return _finish(res, ent)


# =====================================================================================================
# Generic signed CSV with a mapping
# =====================================================================================================

_GENERIC_KEYS = set(LEDGER.column_names) - {"source_system"} | {"fiscal_year"}
_GENERIC_OPTIONS = {"mapping", "mapping_file", "fiscal_calendar", "account_cost_types", "decimal_separator",
                    "date_format", "delimiter", "encoding", "sheet", "header_row", "defaults", "source_system"}


def _generic_options(options: dict) -> dict:
    opts = dict(options)
    if opts.get("mapping_file"):
        from_file = load_mapping_file(opts.pop("mapping_file"))
        merged = {**from_file, **{k: v for k, v in opts.items() if v is not None}}
        if options.get("mapping"):
            merged["mapping"] = {**from_file.get("mapping", {}), **options["mapping"]}
        opts = merged
    opts.pop("mapping_file", None)
    return opts


def detect_generic(path: Path, head: bytes, mapping: dict | None = None, mapping_file=None, **options) -> bool:
    """True only when a mapping is given and every heading it names is in the file (never guesses)."""
    try:
        opts = _generic_options({"mapping": mapping, "mapping_file": mapping_file, **options})
    except Exception:  # noqa: BLE001
        return False
    mapping = opts.get("mapping")
    if not mapping:
        return False
    headers = {norm_header(h) for h in table_headers(Path(path), head, sheet=opts.get("sheet"),
                                                          header_row=opts.get("header_row", 1))}
    return all(norm_header(h) in headers for h in mapping.values())


def read_generic(path: Path | str, **options) -> SourceResult:
    """Read a signed (debit +, credit -) ledger CSV/XLSX through ``mapping`` (canonical column or
    'fiscal_year' -> source heading) or ``mapping_file`` (YAML, see :func:`load_mapping_file`).

    Options: ``date_format``, ``decimal_separator`` ('.' default, ',' or 'auto'), ``defaults``
    (canonical column -> constant used when the column is unmapped or blank, e.g. ``{"currency":
    "GBP"}``), ``fiscal_calendar`` (for numeric periods), ``account_cost_types``, ``delimiter``,
    ``encoding``, ``sheet``, ``header_row``, ``source_system`` ('generic').  A mapped
    ``fiscal_period`` may hold 'YYYY-MM', SAP 'YYYYPPP' / 'PPP.YYYY', or a period number 1-16 with a
    mapped ``fiscal_year``.  A mapped cost_type column wins over the account mapping."""
    check_options(options, _GENERIC_OPTIONS, "read_generic")
    return _read_generic(Path(path), **_generic_options(options))


def _read_generic(path: Path, *, mapping=None, fiscal_calendar=None, account_cost_types=None,
                  decimal_separator=".", date_format=None, delimiter=None, encoding=None, sheet=None,
                  header_row=1, defaults=None, source_system="generic") -> SourceResult:
    if not mapping or not isinstance(mapping, dict):
        raise ValueError("read_generic needs mapping={canonical column: source heading} or mapping_file")
    unknown = set(mapping) - _GENERIC_KEYS
    if unknown:
        raise ValueError(f"mapping: unknown canonical column(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(_GENERIC_KEYS))}")
    calendar = FiscalCalendar.from_option(fiscal_calendar)
    cost_types = _check_cost_types(account_cost_types)
    parsers: dict[str, Callable[[Any], Any]] = {c: cell_text for c in _GENERIC_KEYS}
    parsers["posting_date"] = lambda v: parse_date(v, date_format)
    parsers["is_reversal"] = _flag
    parsers["fiscal_year"] = lambda v: _int(v, "fiscal year")
    parsers["fiscal_period"] = cell_text
    defaults = dict(defaults or {})
    bad = set(defaults) - _GENERIC_KEYS
    if bad:
        raise ValueError(f"defaults: unknown canonical column(s) {', '.join(sorted(bad))}")
    table = read_table(path, sheet=sheet, header_row=header_row, delimiter=delimiter, encoding=encoding)
    index = table.index()
    res, ent = _new_result("generic-ledger-csv", path, table)
    if not table.headers:
        return _finish(res, ent)
    cols: dict[str, int] = {}
    absent = []
    for canon, heading in mapping.items():
        i = index.get(norm_header(heading))
        if i is None:
            absent.append((canon, heading))
        else:
            cols[canon] = i
    name, hr = path.name, table.header_row
    missing = [f"{c} (heading {h!r})" for c, h in absent if c in _REQUIRED and c not in defaults]
    missing += [c for c in _REQUIRED if c not in mapping and c not in defaults]
    for c, h in absent:
        if c not in _REQUIRED or c in defaults:
            ent.warnings.append(f"{name}, row {hr}, column {h!r}: mapped for {c} but not in the header; "
                                f"{c} left {'at its default' if c in defaults else 'NULL'}")
    if missing:
        msg = (f"{name}, row {hr}: required column(s) not found: {', '.join(missing)} "
               f"(headings in the file: {', '.join(table.headers)})")
        res.errors.append(msg)
        for row_no, cells in table.rows:
            ent.quarantine.append(QuarantineRecord(row_no, ", ".join(missing), None, msg,
                                                   row_record(table.headers, cells)))
        return _finish(res, ent)
    decimal = decimal_separator
    if decimal == "auto":
        money_cols = [cols[c] for c in ("amount", "local_amount") if c in cols]
        inferred, _ = infer_decimal_separator(c[i] for _, c in table.rows for i in money_cols if i < len(c))
        decimal = inferred or "auto"

    def money(v):
        return parse_decimal(v, decimal)

    parsers["amount"] = parsers["local_amount"] = money
    parsed_defaults = {}
    for col, value in defaults.items():
        try:
            parsed_defaults[col] = parsers[col](value)
        except ValueError as exc:
            raise ValueError(f"defaults[{col!r}] = {value!r}: {exc}") from None

    for row_no, ctx, problems, record in _well_shaped_rows(table, cols, path, ent):
        row: dict[str, Any] = {"source_system": source_system}

        def get(col, parser=None, ctx=ctx):
            v = ctx.parse(col, parser or parsers[col]) if col in cols else None
            if v is None and ctx.raw(col) is None:
                v = parsed_defaults.get(col)
            return v

        for col in ("posting_date", "document_id", "line_id", "project_code", "task_code", "account",
                    "currency", "amount", "local_amount", "local_currency", "is_reversal",
                    "reverses_document_id", "description"):
            row[col] = get(col)
        explicit_ct = get("cost_type")
        if explicit_ct is not None:
            if explicit_ct.lower() not in COST_TYPES:
                problems.add(ctx.heading("cost_type"), explicit_ct,
                             f"cost_type: not one of {', '.join(COST_TYPES)}", key="cost_type")
            row["cost_type"] = explicit_ct.lower()
        else:
            row["cost_type"] = cost_type_for(row["account"], cost_types)
        fyear = get("fiscal_year")
        row["fiscal_period"] = None
        fp = get("fiscal_period")
        if fp is not None:
            try:
                row["fiscal_period"] = _generic_period(fp, fyear, calendar, row)
            except ValueError as exc:
                problems.add(ctx.heading("fiscal_period"), fp, f"fiscal_period: {exc}", key="fiscal_period")
        _required_problems(row, ctx, {})
        if problems:
            ent.quarantine.append(problems.quarantine(record))
            continue
        row["_source_row"] = row_no
        ent.rows.append(row)
    return _finish(res, ent)


def _generic_period(value: Any, fyear: int | None, calendar: FiscalCalendar, row: dict) -> str:
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    t = cell_text(value) or ""
    m = PERIOD_RE.match(t)
    if m and len(m[2]) == 2 and 1 <= int(m[2]) <= 12:
        return f"{int(m[1]):04d}-{int(m[2]):02d}"
    if DIGITS_RE.match(t) and len(t) <= 3:
        period = int(t)
        if fyear is None:
            raise ValueError(f"period number {t} needs a mapped fiscal_year")
    else:
        try:
            fyear, period = _fiscal_year_period(t)
        except ValueError:
            try:
                d = parse_date(t)
            except ValueError:
                raise ValueError(f"{t!r} is not YYYY-MM, a period number with a fiscal year, "
                                 "YYYYPPP, PPP.YYYY or a date") from None
            return f"{d.year:04d}-{d.month:02d}"
    if period == 0:
        raise ValueError("period 0 is the balance carry-forward, not a posting")
    month = calendar.month_of(fyear, period)
    if period > 12:
        _append_raw_period(row, f"fiscal period {fyear}/{period:03d}")
    return month


# =====================================================================================================
# Registry of formats
# =====================================================================================================

FORMATS: dict[str, tuple[Callable[..., bool], Callable[..., SourceResult]]] = {
    "sap-acdoca-csv": (detect_sap_acdoca, read_sap_acdoca),
    "sap-bseg-csv": (detect_sap_bseg, read_sap_bseg),
    "oracle-gl-csv": (detect_oracle_gl, read_oracle_gl),
    "generic-ledger-csv": (detect_generic, read_generic),
}


def read_ledger(path: Path | str, format: str | None = None, **options) -> SourceResult:
    """Read ``path`` with ``format`` (a key of :data:`FORMATS`), or the first format whose detect
    says yes (the generic reader is chosen when ``mapping``/``mapping_file`` is given).  A file no
    format claims gives a SourceResult with an error and no rows."""
    path = Path(path)
    if format is None:
        if options.get("mapping") or options.get("mapping_file"):
            format = "generic-ledger-csv"
        else:
            if not path.is_file():
                raise ReaderError(f"{path}: no such file")
            with open(path, "rb") as fh:
                head = fh.read(65536)
            format = next((f for f, (det, _) in FORMATS.items() if f != "generic-ledger-csv" and det(path, head)),
                          None)
            if format is None:
                res = SourceResult("unknown", path, hashlib.sha256(path.read_bytes()).hexdigest())
                res.errors.append(f"{path.name}, row 1: the header matches no ledger format (SAP ACDOCA/BSEG, "
                                  "Oracle GL); pass format=... or a mapping for the generic reader")
                return res
    if format not in FORMATS:
        raise ValueError(f"unknown ledger format {format!r}; known: {', '.join(FORMATS)}")
    return FORMATS[format][1](path, **options)
