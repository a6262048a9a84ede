"""The fast path of the canonical CSV reader: parse and validate a file in DuckDB.

:func:`orchestration.sources.canonical.read_canonical_csv` reads a file into Python dicts, row by row;
at 2,000 projects (5 M rows) that was most of the ingest.  This module produces, by construction, the
*same* rows and quarantine records in SQL: the same source row numbers, the same column, value and
reason text, the same record JSON, and every parsed value as the exact text ``orchestration.pipeline.ingest``
would have written for the Python value (``format(Decimal, 'f')`` for money, ``repr(float)`` for
numbers, ISO dates, ``true``/``false``; see :func:`~orchestration.sources.canonical.to_text`).

Two ways to cut a file into cells, chosen by :func:`prepare` from a scan of the file's bytes:

* **native** (a generated organisation's files, and most exports): DuckDB's own CSV scanner, no quoting,
  ``WITH ORDINALITY`` for the row numbers.  Taken only when it provably yields Python's records: no
  double quote anywhere, no line of commas only, no cell that starts or ends with whitespace (so nothing
  needs trimming), no lone CR; and the rows DuckDB returns must be the file's lines 2 .. n, each once
  (an empty line, which DuckDB's scanner skips, sends the file to line mode).
* **lines**: ``read_csv`` in line mode (one VARCHAR column per physical line), checked to account for
  the file byte for byte, then ``string_split``; a line with a double quote must be *strictly* quoted
  (each quoted field closed before the next comma or the line end, ``""`` inside) and is split by a
  regular expression and unquoted as Python's ``csv`` module does.  Cells are trimmed with the exact
  set of characters ``str.strip()`` removes, and blank lines are skipped as the reader skips them.

What stays with the Python reader (:class:`Fallback` says why): a file that is not valid UTF-8 (the
reader decodes it as Windows-1252, with a warning), is empty, starts with a blank line or a quoted
header, holds a NUL byte, a lone CR or mixed line ends, a line longer than the ``csv`` module's field
limit, or a quote that is not strictly quoted (the ``csv`` module then reads records across lines or
keeps stray quotes); and a file where a typed (date, period, number, money, boolean) cell holds a
non-ASCII character (Python's ``\\d`` matches other scripts' digits) or a loaded money value has an
exponent (``1.5e3``).  None occurs in a generated organisation; tests/unit/test_canonical_sql.py
compares both readers on each.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from orchestration.contract import BOOL, DATE, ENTITIES, MONEY, NUMBER, PERIOD, TEXT, Entity
from orchestration.sources.canonical import HeaderPlan, plan_header

#: Every character Python's ``str.strip()`` removes (``str.isspace()``), for DuckDB's ``trim(s, chars)``.
PY_WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
#: The ``csv`` module's default field size limit: a longer field is a ``csv.Error`` (quarantined as malformed).
CSV_FIELD_LIMIT = 131072
#: A file with more columns than this is read by the Python reader. The SQL path's memory grows with the columns
#: (each is a chain of expressions over vectors of 2,048 rows): a 2-row file needed up to 100 MB at 100 columns,
#: 400 MB at 250 to 500 and 800 MB at 1,000, beside whatever the file parsed at the same time takes of the
#: ingest's DuckDB memory. A canonical file has its contract's columns (at most about 30) and a few extras.
SQL_COLUMNS_MAX = 100
#: Raised (via DuckDB's ``error()``) by a row the SQL cannot judge exactly as Python does.
FALLBACK_MARK = "PMO_CANONICAL_FALLBACK"
#: A money or number cell this large goes to the Python reader, which quarantines what raw cannot hold
#: (cells.NUMBER_LIMIT, 10^14) with its reason; the margin covers rounding to 4 decimals and DOUBLE's.
NEAR_LIMIT = 10**14 - 2

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_NUMBER_RE = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_VALID_DATE_SHAPE = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:0[1-9]|1[0-2])-[0-9]{2}"
_PLAIN_MONEY = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"  # already written as format(Decimal(s), 'f') writes it
_NUMBER_REASON = "not a number (use '.' for decimals, no thousands separators)"
_FIELD = r'(?:"(?:[^"]|"")*"|[^,"]*)'
_STRICT_LINE_RE = _FIELD + r"(?:," + _FIELD + r")*"
_FIELDS_RE = r',("(?:[^"]|"")*"|[^,"]*)'
_LINE_DELIMITER = "\x01"   # line mode: a line holding it is an error, so the file goes to Python
_NULL_SENTINEL = "\x02"    # native mode: nullstr, so that an empty cell is '' and only padding is NULL
_BOM = b"\xef\xbb\xbf"
_SPACE, _LF, _COMMA = ord(" "), ord("\n"), ord(",")
#: The bytes a cell's edge touches: the comma, CR and LF (:func:`_edge_space`).
_IS_SEPARATOR = np.zeros(256, dtype=bool)
_IS_SEPARATOR[list(b",\r\n")] = True
_CONTROL_SPACE = (b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_UNICODE_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
_COMMAS_ONLY_LINE = re.compile(rb"(?:^|\n),*\r?(?:\n|$)")


class Fallback(Exception):
    """This file must be read by the Python reader; the message says why."""


@dataclass
class Prepared:
    """What a scan of a file's bytes decided: how to cut it into cells, and its header."""

    path: Path
    entity: Entity
    mode: str                 # "native" or "lines"
    plan: HeaderPlan
    records: int              # native mode: physical lines up to the last non-empty one (header included)
    ascii: bool


def sql_str(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def prepare(path: Path | str, entity: str | Entity) -> Prepared:
    """Scan the file's bytes: is it one the SQL path reads exactly like the Python reader, and how?"""
    path = Path(path)
    ent = ENTITIES[entity] if isinstance(entity, str) else entity
    data = path.read_bytes()
    body = data[3:] if data.startswith(_BOM) else data
    if not body:
        raise Fallback("an empty file")
    ascii = body.isascii()
    if not ascii:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise Fallback("not valid UTF-8") from None
        if body.startswith(_BOM):
            raise Fallback("a second byte-order mark")
    if b"\x00" in body:
        raise Fallback("a NUL byte")
    if b"\r" in body and body.count(b"\r") != body.count(b"\r\n"):
        raise Fallback("a carriage return that does not end a line")
    end = body.find(b"\n")
    header = (body if end < 0 else body[:end]).removesuffix(b"\r")
    if not header:
        raise Fallback("a blank header row")
    if b'"' in header:
        raise Fallback("a quoted header row")
    plan = plan_header(header.decode("utf-8").split(","), ent, path.name)
    if len(plan.names) > SQL_COLUMNS_MAX:
        raise Fallback(f"{len(plan.names)} columns (the SQL path reads at most {SQL_COLUMNS_MAX})")
    core = body.rstrip(b"\r\n")
    # where the lines start, once (numpy): a row count, and whether a line starts with a comma, without two
    # passes over the file's bytes in Python (a search for "\n," in a file of short lines is slow)
    octets = np.frombuffer(core, dtype=np.uint8)
    newlines = np.flatnonzero(octets == _LF)  # core has no trailing line end: a byte follows each
    comma_first = core.startswith(b",") or bool((octets[newlines + 1] == _COMMA).any())
    native = not (
        b'"' in body or _LINE_DELIMITER.encode() in body or _NULL_SENTINEL.encode() in body
        or (comma_first and _COMMAS_ONLY_LINE.search(core))                    # a blank line
        or any(c in body for c in _CONTROL_SPACE) or _edge_space(core)
        or (not ascii and _UNICODE_SPACE.search(body))                         # a cell that needs trimming
    )  # (an empty line, which DuckDB's scanner skips, shows in the row count insert_canonical checks)
    return Prepared(path, ent, "native" if native else "lines", plan, int(newlines.size) + 1, ascii)


def _edge_space(core: bytes) -> bool:
    """A space at the start or end of a cell: next to a comma or a line end, or at the start or end of ``core``.

    Found from the spaces' positions (numpy: a pass over the bytes, then a look at each space's neighbours).
    A 14 MB timesheet file holds a space a row; marking the separators with ``bytes.translate`` and searching
    for the two-byte pairs took 43 ms where this takes 7, and the scan of the 2,000-project landing folder
    before its parse (:func:`prepare`, 192 files) 2.3 s where it now takes 1.25 s."""
    data = np.frombuffer(core, dtype=np.uint8)
    spaces = np.flatnonzero(data == _SPACE)
    if not spaces.size:
        return False
    if spaces[0] == 0 or spaces[-1] == data.size - 1:
        return True
    return bool(_IS_SEPARATOR[data[spaces - 1]].any() or _IS_SEPARATOR[data[spaces + 1]].any())


def _trim(expr: str) -> str:
    return f"trim({expr}, {sql_str(PY_WHITESPACE)})"


def _is_ascii(expr: str) -> str:
    return f"(strlen({expr}) = length({expr}))"


def _in(expr: str, values) -> str:
    return f"{expr} IN ({', '.join(sql_str(v) for v in values)})"


def _value_sql(type_: str, s: str, required: bool, allowed) -> tuple[str, str]:
    """(error reason or NULL, parsed text) for the trimmed cell ``s`` of a column, as parse_value."""
    blank = "'required value is blank'" if required else "NULL"
    if type_ == TEXT:
        if allowed is None:
            return f"CASE WHEN {s} = '' THEN {blank} END", f"nullif({s}, '')"
        err = (f"CASE WHEN {s} = '' THEN {blank} WHEN NOT ({_is_ascii(s)} AND {_in(f'lower({s})', allowed)}) "
               f"THEN {sql_str('not one of ' + ', '.join(allowed))} END")
        return err, f"CASE WHEN {s} <> '' THEN lower({s}) END"
    if type_ == DATE:
        # the first test passes every valid date at once (year 0 and month 00 or 13+ fail it, as Python)
        err = (f"CASE WHEN {s} = '' THEN {blank} "
               f"WHEN regexp_full_match({s}, {sql_str(_VALID_DATE_SHAPE)}) AND try_cast({s} AS DATE) IS NOT NULL THEN NULL "
               f"WHEN NOT regexp_full_match({s}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN 'not an ISO date (YYYY-MM-DD)' "
               f"WHEN {s}[1:4] = '0000' THEN 'not a valid date (year 0 is out of range)' "
               f"WHEN {s}[6:7] NOT BETWEEN '01' AND '12' THEN 'not a valid date (month must be in 1..12)' "
               f"WHEN try_cast({s} AS DATE) IS NULL THEN 'not a valid date (day is out of range for month)' END")
        return err, f"nullif({s}, '')"
    if type_ == PERIOD:
        err = (f"CASE WHEN {s} = '' THEN {blank} "
               f"WHEN NOT regexp_full_match({s}, '[0-9]{{4}}-(0[1-9]|1[0-2])') THEN 'not a period (YYYY-MM)' END")
        return err, f"nullif({s}, '')"
    if type_ in (MONEY, NUMBER):
        err = (f"CASE WHEN {s} = '' THEN {blank} "
               f"WHEN NOT regexp_full_match({s}, {sql_str(_NUMBER_RE)}) THEN {sql_str(_NUMBER_REASON)} END")
        if type_ == NUMBER:
            # repr(float(Decimal(s))): DuckDB's VARCHAR -> DOUBLE is correctly rounded and its DOUBLE -> VARCHAR
            # is the shortest round-trip text, as Python's repr (tests/unit/test_canonical_sql.py checks both).
            return err, f"CASE WHEN {s} <> '' THEN CAST(TRY_CAST({s} AS DOUBLE) AS VARCHAR) END"
        # format(Decimal(s), 'f') for s without an exponent: the '+' dropped, leading zeros of the integer part
        # dropped ('0' if none is left), the fraction kept as written, a bare trailing '.' dropped.
        body = f"ltrim({s}, '+-')"
        money = (f"CASE WHEN regexp_full_match({s}, {sql_str(_PLAIN_MONEY)}) THEN {s} "
                 f"WHEN {s} <> '' THEN (CASE WHEN starts_with({s}, '-') THEN '-' ELSE '' END) "
                 f"|| coalesce(nullif(ltrim(split_part({body}, '.', 1), '0'), ''), '0') "
                 f"|| CASE WHEN split_part({body}, '.', 2) <> '' THEN '.' || split_part({body}, '.', 2) ELSE '' END END")
        return err, money
    if type_ == BOOL:
        err = (f"CASE WHEN {s} = '' THEN {blank} "
               f"WHEN NOT {_in(f'lower({s})', _TRUE + _FALSE)} THEN 'not a boolean (true/false, yes/no, 1/0)' END")
        value = f"CASE WHEN {_in(f'lower({s})', _TRUE)} THEN 'true' WHEN {_in(f'lower({s})', _FALSE)} THEN 'false' END"
        return err, value
    raise AssertionError(f"unknown column type {type_}")


def _read_lines(con, path: Path) -> None:
    """Line mode: the file's physical lines in the temp table ``_canonical_lines(n, line)``, proven to
    account for every byte of the file (so no line was skipped, merged or altered)."""
    file = sql_str(path.as_posix())
    data = path.read_bytes()
    size, n_lf, n_cr = len(data), data.count(b"\n"), data.count(b"\r")
    bom = 3 if data.startswith(_BOM) else 0
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _canonical_lines AS
            SELECT CAST(ordinality AS INTEGER) AS n, line
            FROM read_csv({file}, columns = {{'line': 'VARCHAR'}}, delim = {sql_str(_LINE_DELIMITER)}, quote = '',
                          escape = '', header = false, auto_detect = false, parallel = false,
                          max_line_size = {CSV_FIELD_LIMIT}) WITH ORDINALITY""")
    except Exception as exc:  # mixed line ends, the delimiter character in a line, a line over the limit
        raise Fallback(f"read_csv in line mode: {str(exc).splitlines()[0]}") from None
    n_lines, chars, longest, loose_quotes = con.execute(f"""
        SELECT count(*), coalesce(sum(strlen(line)), 0), coalesce(max(length(line)), 0),
               count(*) FILTER (WHERE contains(line, '"') AND NOT regexp_full_match(line, {sql_str(_STRICT_LINE_RE)}))
        FROM _canonical_lines""").fetchone()
    if n_lines != n_lf + (0 if data.endswith(b"\n") else 1) or chars + n_lf + n_cr + bom != size:
        raise Fallback(f"the {n_lines} lines read ({chars} bytes) do not account for the file's {size} bytes")
    if longest > CSV_FIELD_LIMIT:
        raise Fallback("a line longer than the csv module's field limit")
    if loose_quotes:
        raise Fallback(f"{loose_quotes} line(s) with a quote that is not strictly quoted")


def parse_sql(con, files: list[tuple[str, Prepared]], project_codes: dict[str, str] | None = None) -> str:
    """A SELECT over one or more files of the same header (``(file_id SQL expression, prepared)`` pairs;
    several only in native mode) giving, per data row (blank rows skipped): ``file_id, _seq, _source_row,
    _quarantined``, every contract and kept extra column as its parsed text (NULL in quarantined rows),
    ``column_name, value, reason`` and ``_cells`` (NULL in loaded rows; the record JSON is built from the
    cells in Python, see :func:`insert_canonical`).

    Line mode first loads the temp table ``_canonical_lines`` on ``con``.  Evaluating the SELECT raises an
    error naming :data:`FALLBACK_MARK` at a row only the Python reader can judge; ``project_codes`` maps
    a source system's project ids to warehouse codes in the loaded rows (sources.yaml).
    """
    prepared = files[0][1]
    ent, plan = prepared.entity, prepared.plan
    names, index, extras, missing = plan.names, plan.index, plan.extras, plan.missing
    n_names = len(names)
    if prepared.mode == "native":
        width = n_names + 1  # one more than the header: a row with one cell too many still reads
        columns_arg = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, width + 1)) + "}"
        paths = "[" + ", ".join(sql_str(p.path.as_posix()) for _, p in files) + "]"
        # Files are read one after the other (parallel = false), so a file's rows are a contiguous run of
        # the ordinality; its offset is the lines of the files before it.  insert_canonical checks the run.
        offsets, offset = [], 0
        for file_id, p in files:
            offsets.append(f"({sql_str(p.path.as_posix())}, {file_id}, {offset})")
            offset += p.records
        source = (f"SELECT f.file_id, CAST(csv.ordinality - f.line_offset AS INTEGER) AS n, csv.* EXCLUDE (ordinality, filename) "
                  f"FROM (SELECT * FROM read_csv({paths}, columns = {columns_arg}, header = false, delim = ',', quote = '', "
                  f"escape = '', auto_detect = false, parallel = false, null_padding = true, filename = true, "
                  f"nullstr = {sql_str(_NULL_SENTINEL)}, max_line_size = {CSV_FIELD_LIMIT}) WITH ORDINALITY) AS csv "
                  f"JOIN (VALUES {', '.join(offsets)}) f(filename, file_id, line_offset) ON f.filename = csv.filename")
        rows = ("SELECT *, CASE " + " ".join(f"WHEN c{i} IS NOT NULL THEN {i}" for i in range(width, 1, -1))
                + f" ELSE 1 END AS ncells FROM ({source}) WHERE n >= 2")
        cell_list = f"list_value({', '.join(f'c{i}' for i in range(1, n_names + 1))})"

        def cell(i: int) -> str:
            return f"c{i + 1}"

        def trim(expr: str) -> str:
            return expr  # prepare() proved no cell starts or ends with whitespace
    else:
        if len(files) != 1:
            raise ValueError("line mode reads one file at a time")
        _read_lines(con, prepared.path)
        cells = ("CASE WHEN contains(line, '\"') THEN list_transform("
                 f"regexp_extract_all(',' || line, {sql_str(_FIELDS_RE)}, 1), "
                 "lambda f: CASE WHEN starts_with(f, '\"') THEN replace(f[2:-2], '\"\"', '\"') ELSE f END) "
                 "ELSE string_split(coalesce(line, ''), ',') END")
        ws_class = "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE)
        blank = (f"CASE WHEN contains(line, '\"') THEN NOT list_bool_or(list_transform(cells, lambda x: {_trim('x')} <> '')) "
                 f"ELSE regexp_full_match(coalesce(line, ''), {sql_str('[,' + ws_class + ']*')}) END")
        rows = (f"SELECT {files[0][0]} AS file_id, n, cells, len(cells) AS ncells FROM (SELECT n, line, {cells} AS cells "
                f"FROM _canonical_lines WHERE n >= 2) WHERE NOT ({blank})")
        cell_list = "cells"

        def cell(i: int) -> str:
            return f"cells[{i + 1}]"

        trim = _trim

    columns = [(c.name, c.type, c.required, c.allowed) for c in ent.columns]
    columns += [(name, NUMBER, False, None) for name in extras]
    raws, trimmed, checked, typed_nonascii, money_exponent, near_limit = [], [], [], [], [], []
    for i, (name, type_, required, allowed) in enumerate(columns):
        raws.append(f"coalesce({cell(index[name])}, '') AS r{i}" if name in index else f"'' AS r{i}")
        trimmed.append(f"{trim(f'r{i}')} AS s{i}")
        err, value = _value_sql(type_, f"s{i}", required, allowed)
        checked.append(f"{err} AS e{i}, {value} AS v{i}")
        if type_ != TEXT and name in index:
            typed_nonascii.append(f"NOT {_is_ascii(f's{i}')}")
        if type_ == MONEY and name in index:
            money_exponent.append(f"regexp_matches(s{i}, '[eE]')")
        if type_ in (MONEY, NUMBER) and name in index:
            # Near or beyond what raw's DECIMAL(18,4) holds (cells.number_problem): Python words the reason.
            near_limit.append(f"(regexp_full_match(s{i}, {sql_str(_NUMBER_RE)}) AND "
                              f"coalesce(abs(try_cast(s{i} AS DOUBLE)) >= {NEAR_LIMIT}, true))")

    if missing:
        kind = "'missing'"
        column_name, value_text = sql_str(", ".join(missing)), "NULL"
        reason = sql_str(f"required column(s) {', '.join(missing)} missing from the header")
    else:
        errs = [(f"e{i}", f"r{i}", name) for i, (name, *_) in enumerate(columns)]
        any_error = " OR ".join(f"{e} IS NOT NULL" for e, _, _ in errs) or "false"
        kind = f"CASE WHEN ncells <> {n_names} THEN 'cells' WHEN {any_error} THEN 'problems' ELSE 'row' END"
        column_name = ("CASE WHEN _kind = 'problems' THEN concat_ws(', ', "
                       + ", ".join(f"CASE WHEN {e} IS NOT NULL THEN {sql_str(n)} END" for e, _, n in errs) + ") END")
        value_text = ("CASE WHEN _kind = 'problems' THEN concat_ws(' | ', "
                      + ", ".join(f"CASE WHEN {e} IS NOT NULL THEN {r} END" for e, r, _ in errs) + ") END")
        reason = (f"CASE WHEN _kind = 'cells' THEN 'row has ' || ncells || ' cells but the header has {n_names}' "
                  "ELSE concat_ws('; ', "
                  + ", ".join(f"CASE WHEN {e} IS NOT NULL THEN {sql_str(n + ': ')} || {e} END" for e, _, n in errs)
                  + ") END")
    # Rows only the Python reader judges exactly: a typed cell with non-ASCII characters in a row whose cells
    # are parsed (Python's \d matches other scripts' digits), money with an exponent in a row that loads.
    fallback = []
    if typed_nonascii and not prepared.ascii:
        fallback.append(f"(_kind IN ('row', 'problems') AND ({' OR '.join(typed_nonascii)}))")
    if money_exponent:
        fallback.append(f"(_kind = 'row' AND ({' OR '.join(money_exponent)}))")
    if near_limit:
        fallback.append(f"(_kind IN ('row', 'problems') AND ({' OR '.join(near_limit)}))")
    source_row = "n"
    if fallback:
        message = sql_str(FALLBACK_MARK + ": a typed cell the SQL path does not parse as Python does")
        source_row = f"CASE WHEN {' OR '.join(fallback)} THEN CAST(error({message}) AS INTEGER) ELSE n END"
    values = []
    for i, (name, *_) in enumerate(columns):
        value = f"v{i}"
        if project_codes and name in ("project_code", "from_project_code", "to_project_code"):
            value = ("CASE " + " ".join(f"WHEN v{i} = {sql_str(k)} THEN {sql_str(v)}" for k, v in project_codes.items())
                     + f" ELSE v{i} END")
        values.append(f"CASE WHEN _kind = 'row' THEN {value} END AS {ident(name)}")
    return f"""
        WITH src AS ({rows}),
        raw AS (SELECT *, {', '.join(raws) or "'' AS r_none"} FROM src),
        trimmed AS (SELECT *{''.join(', ' + t for t in trimmed)} FROM raw),
        checked AS (SELECT *{''.join(', ' + c for c in checked)} FROM trimmed),
        classified AS (SELECT *, {kind} AS _kind FROM checked)
        SELECT file_id, n AS _seq, {source_row} AS _source_row, _kind <> 'row' AS _quarantined,
               {', '.join(values)},
               CASE WHEN _kind <> 'row' THEN {column_name} END AS column_name,
               CASE WHEN _kind <> 'row' THEN {value_text} END AS value,
               CASE WHEN _kind <> 'row' THEN {reason} END AS reason,
               CASE WHEN _kind <> 'row' THEN {cell_list}[1:least(ncells, {n_names})] END AS _cells
        FROM classified"""


def batch_key(prepared: Prepared) -> tuple:
    """Files whose key is equal can be parsed by one native query."""
    return (prepared.entity.name, prepared.mode, prepared.ascii, tuple(prepared.plan.names))


def insert_canonical(con, files: list[tuple[int, Prepared]], target: str,
                     project_codes: dict[str, str] | None = None,
                     computed: dict[str, str] | None = None) -> dict[int, Prepared | Fallback]:
    """Parse files of one :func:`batch_key` and INSERT their rows BY NAME into ``target``, a table with
    ``parse_sql``'s columns plus ``record`` (and the ``computed`` columns: name -> SQL over parse_sql's
    columns); returns, per file id, its Prepared or the :class:`Fallback` that says the Python reader must
    read it (nothing of that file is then left in ``target``).

    Native mode reads the batch in one query; when DuckDB's scanner refuses it (a row with two or more
    cells too many) or a row needs Python, the files are retried one by one, native then line mode.
    """
    outcome: dict[int, Prepared | Fallback] = {}
    if len(files) > 1 and files[0][1].mode == "native":
        try:
            _insert(con, files, target, project_codes, computed)
            return {file_id: p for file_id, p in files}
        except (Fallback, _Refused):
            pass
    for file_id, prepared in files:
        for mode in dict.fromkeys([prepared.mode, "lines"]):
            prepared.mode = mode
            try:
                _insert(con, [(file_id, prepared)], target, project_codes, computed)
                outcome[file_id] = prepared
                break
            except _Refused as exc:
                if mode == "lines":
                    outcome[file_id] = Fallback(str(exc))
            except Fallback as exc:
                outcome[file_id] = exc
                break
    return outcome


class _Refused(Exception):
    """DuckDB's scanner refused the file (native mode); line mode may still read it."""


def _insert(con, files: list[tuple[int, Prepared]], target: str, project_codes, computed) -> None:
    ids = ", ".join(str(file_id) for file_id, _ in files)
    sql = parse_sql(con, [(str(file_id), p) for file_id, p in files], project_codes)
    extra = "".join(f", {expr} AS {ident(name)}" for name, expr in (computed or {}).items())
    try:
        con.execute(f"INSERT INTO {target} BY NAME SELECT *{extra} FROM ({sql})")
    except duckdb.OutOfMemoryException:
        raise  # not the file's fault: the caller parses it again alone (orchestration.pipeline.ingest._refresh)
    except Exception as exc:
        first = str(exc).splitlines()[0]
        if FALLBACK_MARK in first:
            raise Fallback(first) from None
        raise _Refused(first) from None
    if files[0][1].mode == "native":
        # every line after the header is a row, numbered 2 .. records, in each file's own run
        counts = {r[0]: r[1:] for r in con.execute(
            f"SELECT file_id, count(*), min(_seq), max(_seq) FROM {target} WHERE file_id IN ({ids}) GROUP BY 1").fetchall()}
        wrong = [p.path.name for file_id, p in files
                 if counts.get(file_id, (0, 2, 1)) != ((p.records - 1, 2, p.records) if p.records > 1 else (0, 2, 1))]
        if wrong:  # e.g. an empty line DuckDB's scanner skipped: line mode reads it as Python does
            con.execute(f"DELETE FROM {target} WHERE file_id IN ({ids})")
            raise _Refused(f"DuckDB's rows do not match the lines of {', '.join(wrong)}")
    names = files[0][1].plan.names
    pending = con.execute(f"SELECT file_id, _seq, _cells FROM {target} WHERE file_id IN ({ids}) "
                          "AND _cells IS NOT NULL").fetchall()
    if pending:
        import pandas as pd

        records = pd.DataFrame(
            [(file_id, seq, json.dumps(dict(zip(names, cells)), ensure_ascii=False, sort_keys=True))
             for file_id, seq, cells in pending], columns=["file_id", "_seq", "record"])
        con.register("_canonical_records", records)
        try:
            con.execute(f"UPDATE {target} SET record = r.record, _cells = NULL FROM _canonical_records r "
                        f"WHERE {target}.file_id = r.file_id AND {target}._seq = r._seq")
        finally:
            con.unregister("_canonical_records")


def read_canonical_text(path: Path | str, entity: str | Entity) -> dict:
    """The SQL reader's outcome for one file in plain Python, for tests and comparisons: ``rows``
    (``(_source_row, *texts)`` in contract column order, then the extras), ``quarantine``
    (``(_source_row, column, value, reason, record_json)``), ``warnings``, ``extra_columns``, ``mode``.
    Raises :class:`Fallback` when the file is the Python reader's."""
    from orchestration.warehouse import open_db

    ent = ENTITIES[entity] if isinstance(entity, str) else entity
    con = open_db()
    try:
        prepared = prepare(path, ent)
        cols = ent.column_names + prepared.plan.extras
        con.execute("CREATE TEMP TABLE out (file_id INTEGER, _seq INTEGER, _source_row INTEGER, _quarantined BOOLEAN, "
                    + "".join(f"{ident(c)} VARCHAR, " for c in cols)
                    + "column_name VARCHAR, value VARCHAR, reason VARCHAR, record VARCHAR, _cells VARCHAR[])")
        outcome = insert_canonical(con, [(1, prepared)], "out")[1]
        if isinstance(outcome, Fallback):
            raise outcome
        rows = con.execute(f"SELECT _source_row, {', '.join(ident(c) for c in cols)} FROM out "
                           "WHERE NOT _quarantined ORDER BY _seq").fetchall()
        quarantine = con.execute("SELECT _source_row, column_name, value, reason, record FROM out "
                                 "WHERE _quarantined ORDER BY _seq").fetchall()
        return {"rows": rows, "quarantine": quarantine, "warnings": prepared.plan.warnings,
                "extra_columns": prepared.plan.extras, "mode": outcome.mode}
    finally:
        con.close()
