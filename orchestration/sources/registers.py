"""PMO register readers: ``benefits``, ``risks``, ``dependencies``, ``capacity``, ``lessons`` and
``quality_reviews`` from CSV or XLSX.

Every PMO keeps these registers in its own spreadsheet with its own headings, so each reader maps
headings through a per-source mapping: ``mapping={"risk_id": "Risk Ref", "probability":
"Likelihood", ...}`` (canonical column -> source heading) or ``mapping_file="risks.yaml"`` (YAML:
either that flat dict, or ``columns:`` plus any reader option such as ``date_format``, ``sheet``,
``defaults``, ``values``; keyword options win over the file).  A canonical column that is not
mapped is looked up under its own name, so a register whose headings are already canonical needs
no mapping.  Headings match case-, space- and punctuation-insensitively ("Risk ID" = "risk_id" =
"RiskID").  Values are typed per orchestration/contract.py.

Formats (``FORMATS``, each ``(detect, read)``): ``benefits-register``, ``risks-register``,
``dependencies-register``, ``capacity-register``, ``lessons-register``, ``quality-reviews-register``.
**Detection never guesses**: ``detect`` is True
only when a mapping is given (option) and every heading it names is in the file and every required
column is covered, or -- without a mapping -- when the headings already hold every required
canonical column.  Anything else is False.

Options (all readers): ``mapping``, ``mapping_file``, ``sheet`` (XLSX sheet name or 0-based index;
default the first sheet), ``header_row`` (1; ``_source_row`` is the file's/sheet's row number, the
header being ``header_row``), ``date_format`` (strptime, e.g. ``'%d/%m/%Y'``; ISO, DD.MM.YYYY and
DD-MON-YYYY are always read), ``decimal_separator`` ('.'; ',' or 'auto'), ``delimiter``,
``encoding``, ``defaults`` (canonical column -> constant for an unmapped or blank cell, e.g.
``{"status_date": "2026-03-31", "project_code": "PRJ-7"}`` for a one-project register without a
status date), ``values`` (per column, source value -> canonical value, e.g. ``{"status":
{"Mitigated": "closed", "Active": "open"}}``, matched case-insensitively).  Risks add
``probability_scale`` ('fraction' default | 'percent'); capacity adds ``periods_in_columns``.

Traps, for the next engineer:

1. **Probability.**  ``"35%"`` is 0.35 whatever the scale; a plain number is a fraction (0-1) by
   default, so ``35`` is quarantined (is it 35 % or a 1-5 likelihood *score*?) unless
   ``probability_scale='percent'`` says plain numbers are percentages.  An XLSX cell formatted as a
   percentage already holds 0.35: keep the default scale for such sheets.  Results outside 0-1 are
   quarantined.  A percent sign in any other numeric column is quarantined (no silent /100).
2. **Dates.**  ``03/04/2026`` is ambiguous: quarantined unless ``date_format`` is given.  Real XLSX
   date cells arrive as dates (1900/1904 epochs handled by openpyxl); a date typed as text is read
   as text with the rules above; a bare number in a date column is rejected (not guessed as an
   Excel serial).
3. **Formulas.**  XLSX is opened with ``data_only=True``: formula cells give the value Excel cached
   when it last saved the file.  A workbook written by a library and never opened in Excel has no
   cached values, so those cells read as blank (then quarantined if required).
4. **read-only mode** trusts the sheet's stored dimension, which some writers get wrong; the reader
   resets it and reads every row.  Hidden rows and filtered-out rows are read like the others.
5. **Money** cells may carry £ $ € ¥ and thousands separators (``£12,500``); numbers in text cells
   use ``decimal_separator``.
6. **Vocabularies** (risks.status: open/closed) are lower-cased and spaces become '_'; anything
   else is quarantined with the allowed values listed, unless ``values`` maps it.
7. **Wide capacity plans** (one column per month: ``Apr 2026``, ``2026-05``, ...) are read with
   ``periods_in_columns=True``: every heading that reads as a period (and is not mapped) becomes one
   row per person per period with ``available_hours`` = the cell; blank cells give no row; all rows
   of a line share its ``_source_row``.  Wide benefits plans are not supported (two measures per
   period).
8. Headings neither mapped nor canonical are ignored with one warning naming them; a mapped
   heading that is missing is a file error when the column is required (every row quarantined) and
   a warning otherwise.

Every quarantine reason names the file, the row and the source column; every warning names the
file and the column, and the row(s) where it is about rows.  Readers never
raise on bad content; a missing file raises ``ReaderError``; unknown options raise ``TypeError``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestration.contract import BOOL, DATE, ENTITIES, MONEY, NUMBER, PERIOD, TEXT, Column, Entity
from orchestration.sources.base import SourceResult
from orchestration.sources.toolkit import (
    QuarantineRecord,
    RowProblems,
    cell_text,
    check_options,
    infer_decimal_separator,
    load_mapping_file,
    norm_header,
    parse_date,
    parse_decimal,
    parse_period,
    read_table,
    row_record,
    table_headers,
)

__all__ = [
    "FORMATS",
    "detect_benefits",
    "detect_capacity",
    "detect_dependencies",
    "detect_lessons",
    "detect_quality_reviews",
    "detect_risks",
    "read_benefits",
    "read_capacity",
    "read_dependencies",
    "read_lessons",
    "read_quality_reviews",
    "read_register",
    "read_risks",
]

REGISTER_ENTITIES = ("benefits", "risks", "dependencies", "capacity", "lessons", "quality_reviews")
_COMMON_OPTIONS = {"mapping", "mapping_file", "sheet", "header_row", "date_format", "decimal_separator",
                   "delimiter", "encoding", "defaults", "values"}
_EXTRA_OPTIONS = {"risks": {"probability_scale"}, "capacity": {"periods_in_columns"}}
_TRUE = {"true", "t", "yes", "y", "1", "x"}
_FALSE = {"false", "f", "no", "n", "0"}


def _merge_options(options: dict) -> dict:
    opts = {k: v for k, v in options.items() if k != "mapping_file"}
    if options.get("mapping_file"):
        from_file = load_mapping_file(options["mapping_file"])
        merged = {**from_file, **{k: v for k, v in opts.items() if v is not None}}
        merged["mapping"] = {**from_file.get("mapping", {}), **(options.get("mapping") or {})}
        opts = merged
    return opts


# ---- value parsers ----------------------------------------------------------------------------------


def _number(value: Any, decimal: str, *, money: bool = False) -> Any:
    if isinstance(value, str) and value.strip().endswith("%"):
        raise ValueError(f"{value.strip()!r} is a percentage but this column is not one; write the "
                         "number in the column's unit")
    number = parse_decimal(value, decimal, allow_symbols=money)
    if number is None:
        return None
    return number if money else float(number)


def _probability(value: Any, decimal: str, scale: str) -> float | None:
    if isinstance(value, str) and value.strip().endswith("%"):
        number = parse_decimal(value.strip()[:-1], decimal)
        if number is None:
            raise ValueError(f"not a percentage: {value.strip()!r}")
        number = number / 100
    else:
        number = parse_decimal(value, decimal)
        if number is None:
            return None
        if scale == "percent":
            number = number / 100
    if not 0 <= number <= 1:
        raise ValueError(
            f"probability {cell_text(value)} is not between 0 and 1: write 35% or 0.35 "
            "(for a 0-100 column pass probability_scale='percent'; a 1-5 likelihood score is not a probability)")
    return float(number)


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = (cell_text(value) or "").lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean {cell_text(value)!r} (true/false, yes/no, y/n, 1/0, x)")


def _parser(col: Column, decimal: str, date_format: str | None, probability_scale: str) -> Callable[[Any], Any]:
    if col.name == "probability":
        return lambda v: _probability(v, decimal, probability_scale)
    if col.type == TEXT:
        return cell_text
    if col.type == DATE:
        return lambda v: parse_date(v, date_format)
    if col.type == PERIOD:
        return lambda v: parse_period(v, date_format)
    if col.type == MONEY:
        return lambda v: _number(v, decimal, money=True)
    if col.type == NUMBER:
        return lambda v: _number(v, decimal)
    if col.type == BOOL:
        return _bool
    raise AssertionError(col.type)


def _vocab(col: Column, value: Any, values_map: dict[str, str]) -> str:
    text = cell_text(value) or ""
    mapped = values_map.get(text.lower(), text)
    canon = mapped.strip().lower().replace(" ", "_").replace("-", "_")
    if col.allowed is not None and canon not in col.allowed:
        raise ValueError(f"{text!r} is not one of {', '.join(col.allowed)} (map it with values="
                         f"{{{col.name!r}: {{{text!r}: ...}}}})")
    return canon


# ---- column resolution ------------------------------------------------------------------------------


def _period_headings(headers: list[str], used: set[int], date_format: str | None) -> dict[int, str]:
    out = {}
    for i, h in enumerate(headers):
        if i in used or not h:
            continue
        try:
            period = parse_period(h, date_format)
        except ValueError:
            continue
        if period:
            out[i] = period
    return out


def _plan(ent: Entity, headers: list[str], mapping: dict[str, str], wide: bool, date_format: str | None):
    """Resolve columns: ({canonical: index}, [(canonical, heading) mapped but absent], {index: period})."""
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        index.setdefault(norm_header(h), i)
    cols, absent = {}, []
    for col in ent.columns:
        if col.name in mapping:
            i = index.get(norm_header(mapping[col.name]))
            if i is None:
                absent.append((col.name, mapping[col.name]))
            else:
                cols[col.name] = i
        elif norm_header(col.name) in index:
            cols[col.name] = index[norm_header(col.name)]
    periods = _period_headings(headers, set(cols.values()), date_format) if wide else {}
    return cols, absent, periods


def _missing_required(ent: Entity, cols: dict, defaults: dict, wide: bool) -> list[str]:
    covered = set(cols) | set(defaults)
    if wide:
        covered |= {"period", "available_hours"}
    return [c for c in ent.required if c not in covered]


# ---- detect -----------------------------------------------------------------------------------------


def _detect(entity: str, path: Path, head: bytes, **options) -> bool:
    try:
        opts = _merge_options(options)
        mapping = opts.get("mapping") or {}
        ent = ENTITIES[entity]
        if set(mapping) - set(ent.column_names):
            return False
        headers = table_headers(Path(path), head, sheet=opts.get("sheet"), header_row=opts.get("header_row", 1))
        if not headers:
            return False
        present = {norm_header(h) for h in headers}
        if any(norm_header(h) not in present for h in mapping.values()):
            return False
        wide = bool(opts.get("periods_in_columns")) and entity == "capacity"
        cols, absent, periods = _plan(ent, headers, mapping, wide, opts.get("date_format"))
        if wide and not periods:
            return False
        return not absent and not _missing_required(ent, cols, opts.get("defaults") or {}, wide)
    except Exception:  # noqa: BLE001 - detection never raises
        return False


def detect_benefits(path: Path, head: bytes, **options) -> bool:
    """True when the headings (through ``mapping`` if given) cover every required benefits column."""
    return _detect("benefits", path, head, **options)


def detect_risks(path: Path, head: bytes, **options) -> bool:
    """True when the headings (through ``mapping`` if given) cover every required risks column."""
    return _detect("risks", path, head, **options)


def detect_dependencies(path: Path, head: bytes, **options) -> bool:
    """True when the headings (through ``mapping`` if given) cover every required dependencies column."""
    return _detect("dependencies", path, head, **options)


def detect_quality_reviews(path: Path, head: bytes, **options) -> bool:
    """True when the headings (through ``mapping`` if given) cover every required quality_reviews column."""
    return _detect("quality_reviews", path, head, **options)


def detect_capacity(path: Path, head: bytes, **options) -> bool:
    """True when the headings (through ``mapping`` if given) cover every required capacity column
    (with ``periods_in_columns``, period headings stand for period/available_hours)."""
    return _detect("capacity", path, head, **options)


def detect_lessons(path: Path, head: bytes, **options) -> bool:
    """True when the headings (through ``mapping`` if given) cover every required lessons column."""
    return _detect("lessons", path, head, **options)


# ---- read -------------------------------------------------------------------------------------------


def read_register(path: Path | str, entity: str, **options) -> SourceResult:
    """Read one register file as canonical ``entity`` rows (see the module docstring for options)."""
    if entity not in REGISTER_ENTITIES:
        raise ValueError(f"unknown register {entity!r}; known: {', '.join(REGISTER_ENTITIES)}")
    check_options(options, _COMMON_OPTIONS | _EXTRA_OPTIONS.get(entity, set()), f"read_{entity}")
    return _read(Path(path), ENTITIES[entity], **_merge_options(options))


def _read(path: Path, ent: Entity, *, mapping=None, sheet=None, header_row=1, date_format=None,
          decimal_separator=".", delimiter=None, encoding=None, defaults=None, values=None,
          probability_scale="fraction", periods_in_columns=False) -> SourceResult:
    mapping = {str(k): str(v) for k, v in (mapping or {}).items()}
    unknown = set(mapping) - set(ent.column_names)
    if unknown:
        raise ValueError(f"mapping: {', '.join(sorted(unknown))} not in the {ent.name} contract "
                         f"({', '.join(ent.column_names)})")
    if probability_scale not in ("fraction", "percent"):
        raise ValueError("probability_scale must be 'fraction' or 'percent'")
    values_map = {}
    for col, vm in (values or {}).items():
        if col not in ent.column_names:
            raise ValueError(f"values: {col!r} is not a {ent.name} column")
        values_map[col] = {str(k).strip().lower(): str(v) for k, v in vm.items()}
    wide = bool(periods_in_columns)
    if wide and ({"period", "available_hours"} & set(mapping)):
        raise ValueError("periods_in_columns: do not also map period/available_hours")

    table = read_table(path, sheet=sheet, header_row=header_row, delimiter=delimiter, encoding=encoding)
    table.index()  # warns about duplicate headings
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    res = SourceResult(f"{ent.name}-register", path, sha)
    out = res.entity(ent.name)
    out.warnings.extend(table.warnings)
    res.errors.extend(table.errors)
    out.quarantine.extend(table.broken)
    name, hr = path.name, table.header_row

    def finish() -> SourceResult:
        out.warnings[:] = list(dict.fromkeys(out.warnings))
        res.warnings = list(out.warnings)
        return res

    if not table.headers:
        return finish()

    decimal = decimal_separator
    if decimal == "auto":
        inferred, _ = infer_decimal_separator(c for _, cells in table.rows for c in cells)
        decimal = inferred or "auto"
    parsers = {c.name: _parser(c, decimal, date_format, probability_scale) for c in ent.columns}

    def convert(col: Column, value: Any) -> Any:
        if col.name in values_map and col.allowed is None:
            text = cell_text(value)
            if text is not None:
                value = values_map[col.name].get(text.lower(), value)
        parsed = parsers[col.name](value)
        if parsed is not None and col.allowed is not None:
            parsed = _vocab(col, parsed, values_map.get(col.name, {}))
        return parsed

    parsed_defaults = {}
    for col_name, value in (defaults or {}).items():
        if col_name not in ent.column_names:
            raise ValueError(f"defaults: {col_name!r} is not a {ent.name} column")
        try:
            parsed_defaults[col_name] = convert(ent.column(col_name), value)
        except ValueError as exc:
            raise ValueError(f"defaults[{col_name!r}] = {value!r}: {exc}") from None

    cols, absent, periods = _plan(ent, table.headers, mapping, wide, date_format)
    missing = _missing_required(ent, cols, parsed_defaults, wide)
    problems_hdr = [f"{c} (mapped to heading {h!r}, not in the file)" for c, h in absent
                    if c in ent.required and c not in parsed_defaults]
    problems_hdr += [f"{c} (no heading {c!r} and no mapping or default)" for c in missing
                     if c not in dict(absent)]
    if wide and not periods:
        problems_hdr.append("period columns (periods_in_columns=True but no heading reads as a period)")
    for c, h in absent:
        if c not in ent.required or c in parsed_defaults:
            out.warnings.append(f"{name}, row {hr}, column {h!r}: mapped for {c} but not in the file; "
                                f"{c} left {'at its default' if c in parsed_defaults else 'NULL'}")
    if problems_hdr:
        msg = (f"{name}, row {hr}: required column(s) missing: {'; '.join(problems_hdr)}. "
               f"Headings in the file: {', '.join(h for h in table.headers if h)}")
        res.errors.append(msg)
        for row_no, cells in table.rows:
            out.quarantine.append(QuarantineRecord(row_no, ", ".join(missing) or None, None, msg,
                                                   row_record(table.headers, cells)))
        return finish()
    used = set(cols.values()) | set(periods)
    ignored = [h for i, h in enumerate(table.headers) if h and i not in used]
    if ignored:
        out.warnings.append(f"{name}, row {hr}: column(s) not mapped to the {ent.name} contract are "
                            f"ignored: {', '.join(ignored)}")

    value_cols = [c for c in ent.columns if not (wide and c.name in ("period", "available_hours"))]
    empty_lines: list[int] = []
    for row_no, cells in table.rows:
        problems = RowProblems(path, row_no)
        record = row_record(table.headers, cells)
        shape = table.shape_problem(cells)
        if shape:
            problems.add("(whole row)", None, shape)
            out.quarantine.append(problems.quarantine(record))
            continue
        row: dict[str, Any] = {}
        for col in value_cols:
            i = cols.get(col.name)
            raw = cells[i] if i is not None and i < len(cells) else None
            if isinstance(raw, str) and not raw.strip():
                raw = None
            heading = table.headers[i] if i is not None else col.name
            try:
                value = convert(col, raw) if raw is not None else None
            except ValueError as exc:
                problems.add(heading, raw, f"{col.name}: {exc}", key=col.name)
                continue
            if value is None:
                value = parsed_defaults.get(col.name)
            if value is None and col.required:
                problems.add(heading, raw, f"{col.name}: required value is blank", key=col.name)
                continue
            row[col.name] = value
        if not wide:
            if problems:
                out.quarantine.append(problems.quarantine(record))
                continue
            row["_source_row"] = row_no
            out.rows.append(row)
            continue
        # wide capacity: one row per period column with a value
        hours_col = ent.column("available_hours")
        emitted = 0
        for i, period in periods.items():
            raw = cells[i] if i < len(cells) else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                hours = convert(hours_col, raw)
            except ValueError as exc:
                problems.add(table.headers[i], raw, f"available_hours: {exc}", key=f"p{i}")
                continue
            if problems:
                continue
            out.rows.append({**row, "period": period, "available_hours": hours, "_source_row": row_no})
            emitted += 1
        if problems:
            # keep the line whole: drop what it emitted, quarantine it once
            if emitted:
                del out.rows[-emitted:]
            out.quarantine.append(problems.quarantine(record))
        elif not emitted:
            empty_lines.append(row_no)
    if empty_lines:
        out.warnings.append(f"{name}, row(s) {', '.join(map(str, empty_lines))}: no hours in any period column "
                            f"({', '.join(table.headers[i] for i in periods)}); no capacity rows from them")
    return finish()


def read_benefits(path: Path | str, **options) -> SourceResult:
    """Benefits register -> canonical ``benefits`` rows (one per benefit per period)."""
    return read_register(path, "benefits", **options)


def read_risks(path: Path | str, **options) -> SourceResult:
    """Risk register -> canonical ``risks`` rows; ``probability_scale`` 'fraction' (default) or 'percent'."""
    return read_register(path, "risks", **options)


def read_dependencies(path: Path | str, **options) -> SourceResult:
    """Dependency log -> canonical ``dependencies`` rows."""
    return read_register(path, "dependencies", **options)


def read_capacity(path: Path | str, **options) -> SourceResult:
    """Capacity plan -> canonical ``capacity`` rows; ``periods_in_columns=True`` for one column per month."""
    return read_register(path, "capacity", **options)


def read_lessons(path: Path | str, **options) -> SourceResult:
    """Lessons-learned register -> canonical ``lessons`` rows; ``values`` maps a register's own category or
    status words onto the closed vocabularies (contract.LESSON_CATEGORIES; open, actioned, embedded)."""
    return read_register(path, "lessons", **options)


def read_quality_reviews(path: Path | str, **options) -> SourceResult:
    """Quality review register (stage gates, UAT, peer reviews, audits) -> canonical ``quality_reviews`` rows."""
    return read_register(path, "quality_reviews", **options)


FORMATS: dict[str, tuple[Callable[..., bool], Callable[..., SourceResult]]] = {
    "benefits-register": (detect_benefits, read_benefits),
    "risks-register": (detect_risks, read_risks),
    "dependencies-register": (detect_dependencies, read_dependencies),
    "capacity-register": (detect_capacity, read_capacity),
    "lessons-register": (detect_lessons, read_lessons),
    "quality-reviews-register": (detect_quality_reviews, read_quality_reviews),
}
