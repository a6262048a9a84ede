"""A great-expectations suite evaluated as SQL in DuckDB, over every row of a table or view.

The suites in ``expectations/*.json`` are GX 1.x ``ExpectationSuite`` dictionaries and stay the single
source of truth.  GX runs them on pandas frames (its SQL datasource does not work on DuckDB), which at
enterprise scale means loading millions of rows into memory.  This module gives each of the expectation
types the suites use a SQL translation with the semantics GX gives it on the frame DuckDB's ``.df()``
would have produced:

* every **column map** expectation is a boolean SQL condition over the relation, TRUE exactly on its
  unexpected rows (:meth:`CompiledExpectation.failing_rows_sql` selects them), plus a *domain*: the rows
  it considers.  As in GX, a missing value (NULL, and NaN in a floating column, which pandas treats as
  null) is outside the domain of every expectation but ``not_be_null``; ``mostly`` is the share of the
  domain that must pass; an empty domain passes.
* **table** expectations (``table_row_count_to_be_between``, ``column_to_exist``) and the *type* check
  of a column whose pandas dtype is not ``object`` are verdicts on the table, with an observed value and
  no failing rows (GX reports them the same way).

One query counts the domain and the unexpected rows of every expectation in a single pass
(``count(*) FILTER (WHERE ...)``); only an expectation that fails is queried again, for the first
:data:`SAMPLE_SIZE` failing rows in the relation's order (their values, file and row).  Nothing is
loaded into pandas but the one or two rows that tell a type check which dtype pandas would give the
column.

The expectation types, and each one's kwargs as GX 1.24 defines them (``$PARAMETER`` placeholders are
resolved from the run's parameters first; a parameter may be a :class:`SqlSet`, a value set that stays
a subquery):

========================================================  ==============================================
``expect_column_to_exist``                                 ``column``, ``column_index``
``expect_column_values_to_not_be_null``                    ``column``, ``mostly``
``expect_column_values_to_be_between``                     ``column``, ``min_value``, ``max_value``,
                                                           ``strict_min``, ``strict_max``, ``mostly``
``expect_column_values_to_be_in_set``                      ``column``, ``value_set``, ``mostly``
``expect_column_values_to_be_in_type_list``                ``column``, ``type_list``, ``mostly``
``expect_column_values_to_be_unique``                      ``column``, ``mostly`` (every row of a
                                                           repeated value fails, as GX's
                                                           ``duplicated(keep=False)``)
``expect_column_values_to_match_regex``                    ``column``, ``regex`` (a search, not a full
                                                           match; RE2 syntax, see below), ``mostly``
``expect_compound_columns_to_be_unique``                   ``column_list``, ``ignore_row_if``, ``mostly``
``expect_column_pair_values_a_to_be_greater_than_b``       ``column_A``, ``column_B``, ``or_equal``,
                                                           ``ignore_row_if``, ``mostly``
``expect_table_row_count_to_be_between``                   ``min_value``, ``max_value``, ``strict_min``,
                                                           ``strict_max``
========================================================  ==============================================

Anything else fails loudly with :class:`UnsupportedExpectation` (an unknown type, a kwarg this module
does not implement such as ``row_condition``, GX 0.x's ``parse_strings_as_datetimes``, a ``$PARAMETER``
the run does not supply) rather than passing silently.  An expectation that cannot be evaluated on this
relation (a missing column, bounds of another type than the column, a regex RE2 rejects) fails with no
count and the reason as its sample, as a GX expectation that raises does.

Where SQL and GX could differ, and what this module does:

* regexes run on DuckDB's RE2, not Python's ``re``: no look-around or back-references (an error, see
  above), ``\\d`` is ASCII only and ``$`` does not match before a final newline;
* numbers: DECIMAL and HUGEINT columns are compared as DOUBLE, as pandas holds them as float64;
* a type check compares the dtype pandas would give the column (DuckDB's own conversion of one non-null
  row, plus a NULL when the column has any, e.g. ``int32`` or ``Int32``) with the type list exactly as
  GX 1.24's pandas engine does, including its quirks (``Int64`` in a list does not match a nullable
  ``Int64`` column); an ``object`` column (a VARCHAR column that is entirely NULL, lists, blobs) is
  checked value by value.

``tests/unit/test_suite_parity.py`` runs every raw and mart suite through GX and through this module on
the same data, broken on purpose in every way the suites check, and requires the same verdicts and
counts.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

SAMPLE_SIZE = 10
log = logging.getLogger(__name__)

COLUMN_MAP = "column_map"   # a condition per row
TABLE = "table"             # a verdict on the table
TYPE_CHECK = "type_check"   # a verdict on the column's dtype, or per value for an object column

#: kwargs GX accepts on every expectation that change nothing here (how results are formatted).
_IGNORED_KWARGS = {"result_format", "catch_exceptions", "include_config", "batch_id"}

#: expectation type -> the kwargs this module implements.
SUPPORTED_KWARGS: dict[str, set[str]] = {
    "expect_column_to_exist": {"column", "column_index"},
    "expect_column_values_to_not_be_null": {"column", "mostly"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"},
    "expect_column_values_to_be_in_set": {"column", "value_set", "mostly"},
    "expect_column_values_to_be_in_type_list": {"column", "type_list", "mostly"},
    "expect_column_values_to_be_unique": {"column", "mostly"},
    "expect_column_values_to_match_regex": {"column", "regex", "mostly"},
    "expect_compound_columns_to_be_unique": {"column_list", "ignore_row_if", "mostly"},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A", "column_B", "or_equal", "ignore_row_if",
                                                         "mostly"},
    "expect_table_row_count_to_be_between": {"min_value", "max_value", "strict_min", "strict_max"},
}

_PAIR_IGNORE = ("both_values_are_missing", "either_value_is_missing", "neither")
_MULTI_IGNORE = ("all_values_are_missing", "any_value_is_missing", "never")


class UnsupportedExpectation(ValueError):
    """A suite asks for something the SQL evaluator does not implement; never passed over silently."""


class EvaluationError(Exception):
    """An expectation that cannot be evaluated on this relation (it fails, with this as its reason)."""


@dataclass(frozen=True)
class SqlSet:
    """A suite parameter whose value set is the rows of a query (e.g. the project codes of raw.projects),
    so ``value_set`` becomes ``IN (subquery)`` instead of a list built in Python."""

    sql: str

    def values(self, con) -> list:
        """The set as a Python list (what GX is given when it is the engine)."""
        return [r[0] for r in con.execute(f"SELECT * FROM ({self.sql})").fetchall()]


@dataclass
class ExpectationResult:
    """One expectation's verdict, in the terms GX reports it."""

    index: int                      # position in the suite
    type: str
    kwargs: dict                    # after $PARAMETER substitution
    meta: dict
    success: bool
    unexpected_count: int | None = None
    sample: list = field(default_factory=list)   # the first failing values, or the observed value
    rows: list[dict] = field(default_factory=list)   # file, row and value of the first failing rows
    error: str | None = None        # why it could not be evaluated

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or self.kwargs.get("column_A")


def quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A Python value as a DuckDB literal (numbers as pandas would compare them: floats as DOUBLE)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "'NaN'::DOUBLE"
        return f"'{value!r}'::DOUBLE"
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.replace(tzinfo=None).isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if hasattr(value, "item"):   # numpy scalars
        return literal(value.item())
    if hasattr(value, "to_pydatetime"):   # pandas Timestamp
        return literal(value.to_pydatetime())
    if type(value).__name__ == "Decimal":
        return f"'{value}'::DOUBLE"
    return "'" + str(value).replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------
# Column types: families, missing values, pandas' view of them
# --------------------------------------------------------------------------------------------

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_AS_DOUBLE = ("DECIMAL", "HUGEINT", "UHUGEINT")


def family(duck_type: str) -> str:
    """number | text | temporal | boolean | other"""
    t = duck_type.upper()
    if t in _INTEGER_TYPES or t in ("FLOAT", "DOUBLE") or t.startswith(_AS_DOUBLE):
        return "number"
    if t == "VARCHAR" or t.startswith("VARCHAR"):
        return "text"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "temporal"
    if t == "BOOLEAN":
        return "boolean"
    return "other"


def value_family(value: Any) -> str:
    from decimal import Decimal

    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "boolean"
    if isinstance(value, (int, float, Decimal)) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iuf"):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (date, datetime)) or hasattr(value, "to_pydatetime"):
        return "temporal"
    return "other"


class Relation:
    """A table, view or registered frame the suite is evaluated on: its name, columns and their types.

    ``order_by`` is the order a sample of failing rows is taken in (the order of the frame GX would have
    been given); ``hidden`` columns (e.g. that order) are not part of the table the suite sees.  ``base``
    is the table a view adds helper columns to: a type check reads one value of a column it holds there,
    without computing the view.
    """

    def __init__(self, con, name: str, order_by: str | None = None, hidden: tuple[str, ...] = (),
                 label: str | None = None, base: str | None = None):
        self.con, self.name, self.order_by, self.label = con, name, order_by, label or name
        described = con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()
        self.types = {r[0]: r[1] for r in described if r[0] not in hidden}
        self.columns = list(self.types)
        self.base, self.base_types = base, {}
        if base:
            self.base_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {base}").fetchall()}

    def has(self, column: str) -> bool:
        return column in self.types

    def source_of(self, *columns: str) -> str:
        """The cheapest relation holding ``columns`` as the suite sees them: the base table when they are
        its own columns (a subquery over them then need not compute the view's helper columns)."""
        if self.base and all(self.base_types.get(c) == self.types[c] for c in columns):
            return self.base
        return self.name

    def missing(self, column: str) -> str:
        """TRUE where pandas would see a missing value: NULL, or NaN in a floating column."""
        q = quote(column)
        if self.types[column].upper() in ("DOUBLE", "FLOAT"):
            return f"({q} IS NULL OR isnan({q}))"
        return f"({q} IS NULL)"

    def value(self, column: str) -> str:
        """The column as pandas compares it (DECIMAL and HUGEINT are float64 in the frame)."""
        q = quote(column)
        return f"CAST({q} AS DOUBLE)" if self.types[column].upper().startswith(_AS_DOUBLE) else q

    def text(self, column: str) -> str:
        """The column as pandas' ``astype(str)`` spells it (for regexes and keys)."""
        return pandas_text(quote(column), self.types[column])


def pandas_text(expr: str, duck_type: str) -> str:
    """``expr`` spelt as pandas' ``astype("string")`` would spell the value of a DuckDB ``duck_type``."""
    t = duck_type.upper()
    if t.startswith(_AS_DOUBLE):
        return f"CAST(CAST({expr} AS DOUBLE) AS VARCHAR)"
    if t == "BOOLEAN":
        return f"CASE WHEN {expr} THEN 'True' WHEN NOT {expr} THEN 'False' END"
    if t.startswith("TIMESTAMP"):
        # a series of midnights prints as dates; any other time prints in full
        return (f"CASE WHEN CAST({expr} AS TIME) = TIME '00:00:00' THEN strftime({expr}, '%Y-%m-%d') "
                f"ELSE CAST({expr} AS VARCHAR) END")
    return f"CAST({expr} AS VARCHAR)"


# GX 1.24's comparison of a pandas dtype with a type list (expect_column_values_to_be_in_type_list,
# ``_validate_pandas`` and the ``column_values.in_type_list`` map metric), reproduced so that the run
# does not import great-expectations; tests/unit/test_suite_parity.py holds them equal.

def _native_types(type_: str) -> tuple[type, ...] | None:
    name = type_.lower()
    return {"none": (type(None),), "bool": (bool,), "int": (int,), "long": (int,), "float": (float,),
            "bytes": (bytes,), "complex": (complex,), "str": (str,), "string_types": (str,), "list": (list,),
            "dict": (dict,)}.get(name)


def dtype_in_type_list(dtype, type_list: list[str]) -> bool:
    """Whether GX's pandas engine accepts a column of ``dtype`` for ``type_list`` (the aggregate check)."""
    import numpy as np
    import pandas as pd

    comp_types: list = []
    for type_ in type_list:
        try:
            comp_types.append(np.dtype(type_).type)
            comp_types.append(np.dtype(type_))
        except TypeError:
            pd_type = getattr(pd, type_, None)
            if isinstance(pd_type, type):
                comp_types.append(pd_type)
                try:
                    if isinstance(pd_type(), pd.api.extensions.ExtensionDtype):
                        comp_types.append(pd_type())
                except TypeError:
                    pass
            pd_type = getattr(pd.core.dtypes.dtypes, type_, None)
            if isinstance(pd_type, type):
                comp_types.append(pd_type)
        native = _native_types(type_)
        if native is not None:
            comp_types.extend(native)
    return dtype in comp_types


def value_types_for(type_list: list[str]) -> tuple[type, ...]:
    """The Python types GX's pandas engine accepts for one value of an ``object`` column."""
    import numpy as np
    import pandas as pd

    comp_types: list = []
    for type_ in type_list:
        try:
            comp_types.append(np.dtype(type_).type)
        except TypeError:
            pd_type = getattr(pd, type_, None)
            if isinstance(pd_type, type):
                comp_types.append(pd_type)
            pd_type = getattr(pd.core.dtypes.dtypes, type_, None)
            if isinstance(pd_type, type):
                comp_types.append(pd_type)
        native = _native_types(type_)
        if native is not None:
            comp_types.extend(native)
    if not comp_types:
        raise EvaluationError(f"no recognized numpy/python type in list: {type_list}")
    return tuple(comp_types)


def pandas_dtype(relation: Relation, column: str, has_null: bool, has_value: bool):
    """(dtype, one non-null value) of ``column`` as DuckDB's ``.df()`` gives it for the whole column: the
    conversion of one of its values (when it has any) and a NULL (when it has any).  A NULL makes integers
    ``Int32``, booleans ``boolean``; a VARCHAR column with no value at all is ``object``."""
    q, duck_type = quote(column), relation.types[column]
    source = relation.source_of(column)
    parts = []
    if has_value:
        parts.append(f"SELECT * FROM (SELECT {q} FROM {source} WHERE {q} IS NOT NULL LIMIT 1)")
    if has_null or not has_value:
        parts.append(f"SELECT CAST(NULL AS {duck_type}) AS {q}")
    series = relation.con.execute(" UNION ALL ".join(parts)).df()[column]
    present = series.dropna()
    return series.dtype, (present.iloc[0] if len(present) else None)


# --------------------------------------------------------------------------------------------
# Compiling a suite
# --------------------------------------------------------------------------------------------

def resolve_parameters(value: Any, parameters: dict, where: str) -> Any:
    """Replace every ``{"$PARAMETER": name}`` in ``value`` with ``parameters[name]``."""
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            name = value["$PARAMETER"]
            if not isinstance(name, str) or name not in parameters:
                raise UnsupportedExpectation(
                    f"{where}: suite parameter {name!r} is not supplied by this run (known: "
                    f"{', '.join(sorted(parameters)) or 'none'}); only plain parameter names are supported")
            return parameters[name]
        return {k: resolve_parameters(v, parameters, where) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_parameters(v, parameters, where) for v in value]
    return value


@dataclass
class CompiledExpectation:
    """An expectation ready to run on a relation: its SQL, or why it cannot run there."""

    index: int
    type: str
    kwargs: dict
    meta: dict
    kind: str = COLUMN_MAP
    domain: str | None = None        # rows considered (NULL: every row)
    condition: str | None = None     # TRUE on an unexpected row
    shown: list[str] = field(default_factory=list)   # columns whose values make the sample
    error: str | None = None
    fails_if_any: str | None = None  # cannot be evaluated on a value: fails if the domain has one (as GX)
    verdict: bool | None = None      # a table verdict decided at compile time (a column exists)
    relation: str = ""

    def failing_rows_sql(self, columns: str = "*") -> str | None:
        """``SELECT <columns> FROM <relation> WHERE <unexpected>``: the rows this expectation rejects
        (None for a verdict on the whole table)."""
        if self.condition is None or self.kind != COLUMN_MAP:
            return None
        return f"SELECT {columns} FROM {self.relation} WHERE {self.condition}"


def _check_kwargs(exp: dict, where: str) -> None:
    kind = exp.get("type")
    if kind not in SUPPORTED_KWARGS:
        raise UnsupportedExpectation(
            f"{where}: expectation type {kind!r} is not supported by the SQL evaluator "
            f"(orchestration/pipeline/suite_sql.py supports {', '.join(sorted(SUPPORTED_KWARGS))})")
    unknown = set(exp.get("kwargs") or {}) - SUPPORTED_KWARGS[kind] - _IGNORED_KWARGS
    if unknown:
        raise UnsupportedExpectation(
            f"{where}: {kind} argument(s) {', '.join(sorted(unknown))} not supported by the SQL evaluator "
            f"(supported: {', '.join(sorted(SUPPORTED_KWARGS[kind]))})")


def compile_expectation(index: int, exp: dict, relation: Relation, parameters: dict,
                        where: str = "suite") -> CompiledExpectation:
    _check_kwargs(exp, where)
    kwargs = resolve_parameters(dict(exp.get("kwargs") or {}), parameters, where)
    out = CompiledExpectation(index, exp["type"], kwargs, dict(exp.get("meta") or {}), relation=relation.name)
    try:
        _compile(out, relation)
    except EvaluationError as exc:
        out.error = str(exc)
        out.condition = out.domain = None
    return out


def _need(relation: Relation, *columns: str) -> None:
    for c in columns:
        if not isinstance(c, str) or not relation.has(c):
            raise EvaluationError(f"column {c!r} is not in {relation.label}")


def _mostly(kwargs: dict) -> float:
    mostly = kwargs.get("mostly", 1)
    if mostly is None:
        return 1.0
    if isinstance(mostly, bool) or not isinstance(mostly, (int, float)) or not 0 <= mostly <= 1:
        raise UnsupportedExpectation(f"mostly must be a number between 0 and 1, not {mostly!r}")
    return float(mostly)


def _compile(c: CompiledExpectation, rel: Relation) -> None:  # noqa: C901 (one branch per type)
    k, t = c.kwargs, c.type
    if t != "expect_table_row_count_to_be_between" and t != "expect_column_to_exist":
        _mostly(k)
    if t == "expect_column_to_exist":
        c.kind = TABLE
        column, index = k.get("column"), k.get("column_index")
        c.verdict = column in rel.columns and (index is None or (0 <= index < len(rel.columns)
                                                                 and rel.columns[index] == column))
        return
    if t == "expect_table_row_count_to_be_between":
        c.kind = TABLE
        for bound in ("min_value", "max_value"):
            v = k.get(bound)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise EvaluationError(f"{bound} must be a number, not {v!r}")
        if k.get("min_value") is not None and k.get("max_value") is not None and k["min_value"] > k["max_value"]:
            raise EvaluationError(f"min_value ({k['min_value']}) must be less than or equal to max_value "
                                  f"({k['max_value']})")
        return
    if t == "expect_compound_columns_to_be_unique":
        cols = k.get("column_list") or []
        if not isinstance(cols, list) or not cols:
            raise UnsupportedExpectation("column_list must be a non-empty list of column names")
        _need(rel, *cols)
        ignore = k.get("ignore_row_if", "all_values_are_missing")
        if ignore not in _MULTI_IGNORE:
            raise UnsupportedExpectation(f"ignore_row_if must be one of {', '.join(_MULTI_IGNORE)}, not {ignore!r}")
        missing = [rel.missing(col) for col in cols]
        c.domain = {"all_values_are_missing": f"NOT ({' AND '.join(missing)})",
                    "any_value_is_missing": f"NOT ({' OR '.join(missing)})", "never": None}[ignore]
        key = "struct_pack(" + ", ".join(f"{quote(col)} := {rel.value(col)}" for col in cols) + ")"
        inner = f" WHERE {c.domain}" if c.domain else ""
        dup = f"{key} IN (SELECT {key} FROM {rel.source_of(*cols)}{inner} GROUP BY ALL HAVING count(*) > 1)"
        c.condition = f"({c.domain}) AND {dup}" if c.domain else dup
        c.shown = list(cols)
        return
    if t == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = k.get("column_A"), k.get("column_B")
        _need(rel, a, b)
        fa, fb = family(rel.types[a]), family(rel.types[b])
        va, vb = rel.value(a), rel.value(b)
        if {fa, fb} == {"text", "temporal"}:
            # pandas compares a datetime column with a text one by parsing the text (an error if it can't)
            va, vb = f"CAST({va} AS TIMESTAMP)", f"CAST({vb} AS TIMESTAMP)"
        elif fa != fb or fa == "other":
            c.fails_if_any = f"{a} ({rel.types[a]}) and {b} ({rel.types[b]}) cannot be compared"
            va = vb = "NULL"
        ignore = k.get("ignore_row_if", "both_values_are_missing")
        if ignore not in _PAIR_IGNORE:
            raise UnsupportedExpectation(f"ignore_row_if must be one of {', '.join(_PAIR_IGNORE)}, not {ignore!r}")
        ma, mb = rel.missing(a), rel.missing(b)
        c.domain = {"both_values_are_missing": f"NOT ({ma} AND {mb})",
                    "either_value_is_missing": f"NOT ({ma} OR {mb})", "neither": None}[ignore]
        op = ">=" if k.get("or_equal") else ">"
        passes = f"(NOT {ma} AND NOT {mb} AND {va} {op} {vb})"
        c.condition = f"({c.domain}) AND NOT {passes}" if c.domain else f"NOT {passes}"
        c.shown = [a, b]
        return

    column = k.get("column")
    _need(rel, column)
    value, missing = rel.value(column), rel.missing(column)
    col_family = family(rel.types[column])
    c.shown = [column]
    c.domain = f"NOT {missing}"
    if t == "expect_column_values_to_not_be_null":
        c.domain = None
        c.condition = missing
    elif t == "expect_column_values_to_be_between":
        lo, hi = k.get("min_value"), k.get("max_value")
        if lo is None and hi is None:
            raise UnsupportedExpectation("min_value and max_value cannot both be None")
        if lo is not None and hi is not None and _gt(lo, hi):
            raise EvaluationError("min_value cannot be greater than max_value")
        for v in (lo, hi):
            if v is not None and not _comparable(col_family, v):
                c.fails_if_any = f"column {column!r} ({rel.types[column]}) cannot be compared with {v!r}"
                c.condition = c.domain
                return
        parts = []
        if lo is not None:
            parts.append(f"{value} {'>' if k.get('strict_min') else '>='} {literal(lo)}")
        if hi is not None:
            parts.append(f"{value} {'<' if k.get('strict_max') else '<='} {literal(hi)}")
        c.condition = f"{c.domain} AND NOT ({' AND '.join(parts)})"
    elif t == "expect_column_values_to_be_in_set":
        values = k.get("value_set")
        if isinstance(values, SqlSet):
            member = f"{value} IN (SELECT * FROM ({values.sql}))"
        elif values is None:
            member = "TRUE"   # GX: no set, nothing to check
        else:
            same = [v for v in values if v is not None and value_family(v) == col_family]
            member = f"{value} IN ({', '.join(literal(v) for v in same)})" if same else "FALSE"
        c.condition = f"{c.domain} AND NOT coalesce({member}, FALSE)"
    elif t == "expect_column_values_to_be_unique":
        dup = (f"{value} IN (SELECT {value} FROM {rel.source_of(column)} WHERE {c.domain} GROUP BY ALL "
               f"HAVING count(*) > 1)")
        c.condition = f"{c.domain} AND {dup}"
    elif t == "expect_column_values_to_match_regex":
        regex = k.get("regex")
        if not isinstance(regex, str):
            raise UnsupportedExpectation(f"regex must be a string, not {regex!r}")
        c.condition = f"{c.domain} AND NOT regexp_matches({rel.text(column)}, {literal(regex)})"
    elif t == "expect_column_values_to_be_in_type_list":
        if k.get("type_list") is None:
            c.kind, c.verdict, c.domain = TABLE, True, None
            return
        # decided once the pass has counted the column's values (_type_check): every non-missing value
        # is unexpected when GX checks value by value and the values' type is not in the list
        c.kind, c.condition = TYPE_CHECK, c.domain
    else:  # pragma: no cover - _check_kwargs lets only the types above through
        raise UnsupportedExpectation(t)


def _comparable(col_family: str, bound: Any) -> bool:
    """GX compares a column with a bound of its own kind: numbers with numbers, text with text, dates
    with dates (anything else raises in pandas)."""
    b = value_family(bound)
    if col_family in ("number", "boolean"):
        return b in ("number", "boolean")
    return b == col_family


def _gt(a, b) -> bool:
    try:
        return a > b
    except TypeError:
        return False


# --------------------------------------------------------------------------------------------
# Evaluating
# --------------------------------------------------------------------------------------------

@dataclass
class Evaluation:
    rows: int                           # rows of the relation
    results: list[ExpectationResult]    # one per expectation, in suite order


def evaluate(relation: Relation, expectations: list[tuple[int, dict]], parameters: dict,
             where: str = "suite", sample_size: int = SAMPLE_SIZE) -> Evaluation:
    """Run ``expectations`` ((suite position, expectation dict)) on every row of ``relation``."""
    compiled = [compile_expectation(i, exp, relation, parameters, f"{where}, expectation #{i}")
                for i, exp in expectations]
    counts = _count(relation, compiled)
    return Evaluation(counts[-1], [_result(relation, c, counts, sample_size) for c in compiled])


def _aggregates(c: CompiledExpectation) -> list[str]:
    if c.error or c.kind == TABLE:
        return []
    domain = f"count(*) FILTER (WHERE {c.domain})" if c.domain else "count(*)"
    if c.kind == TYPE_CHECK:   # rows with a value, rows with no NULL
        return [domain, f"count({quote(c.kwargs['column'])})"]
    return [domain, f"count(*) FILTER (WHERE {c.condition})"]


def _count(relation: Relation, compiled: list[CompiledExpectation]) -> dict[int, tuple[int, int]]:
    """{index: (rows considered, unexpected rows)} for every column map expectation, plus -1: row count.

    One pass for all; when that query fails (a regex RE2 rejects, a comparison DuckDB cannot bind), each
    expectation is counted on its own so that only the ones that cannot run fail."""
    runnable = [c for c in compiled if _aggregates(c)]
    exprs = ["count(*)"] + [e for c in runnable for e in _aggregates(c)]
    try:
        row = relation.con.execute(f"SELECT {', '.join(exprs)} FROM {relation.name}").fetchone()
    except duckdb.Error:
        row = None
    out: dict[int, tuple[int, int]] = {}
    if row is not None:
        out[-1] = row[0]
        for n, c in enumerate(runnable):
            out[c.index] = (row[1 + 2 * n], row[2 + 2 * n])
        return out
    out[-1] = relation.con.execute(f"SELECT count(*) FROM {relation.name}").fetchone()[0]
    for c in runnable:
        try:
            out[c.index] = relation.con.execute(
                f"SELECT {', '.join(_aggregates(c))} FROM {relation.name}").fetchone()
        except duckdb.Error as exc:
            c.error = str(exc).splitlines()[0][:300]
    return out


def _type_check(relation: Relation, c: CompiledExpectation, res: ExpectationResult, rows: int, with_value: int,
                not_null: int, sample_size: int) -> ExpectationResult:
    """GX's type check: the column's pandas dtype against the list (observed: the dtype's name), or, for
    an ``object`` column, each value's Python type (DuckDB gives every value of a column the same one)."""
    column, type_list = c.kwargs["column"], c.kwargs["type_list"]
    dtype, value = pandas_dtype(relation, column, has_null=not_null < rows, has_value=not_null > 0)
    if dtype.type.__name__ != "object_":
        res.success = dtype_in_type_list(dtype, type_list)
        res.sample = [] if res.success else [dtype.type.__name__]
        return res
    try:
        accepted = value_types_for(type_list)
    except EvaluationError as exc:
        res.error, res.sample = str(exc), [str(exc)]
        return res
    unexpected = 0 if value is None or isinstance(value, accepted) else with_value
    res.unexpected_count = unexpected
    res.success = _mostly_success(with_value, unexpected, _mostly(c.kwargs))
    if not res.success:
        res.sample, res.rows = _failing_sample(relation, c, sample_size)
    return res


def _mostly_success(considered: int, unexpected: int, mostly: float) -> bool:
    if considered == 0:
        return True   # vacuously true, as in GX
    return (considered - unexpected) / considered >= mostly


def _result(relation: Relation, c: CompiledExpectation, counts: dict, sample_size: int) -> ExpectationResult:
    res = ExpectationResult(c.index, c.type, c.kwargs, c.meta, success=False)
    if c.error:
        res.error, res.sample = c.error, [c.error]
        return res
    rows = counts[-1]
    if c.type == "expect_column_to_exist":
        res.success = bool(c.verdict)
        return res
    if c.type == "expect_table_row_count_to_be_between":
        lo, hi = c.kwargs.get("min_value"), c.kwargs.get("max_value")
        ok = True
        if lo is not None:
            ok = ok and (rows > lo if c.kwargs.get("strict_min") else rows >= lo)
        if hi is not None:
            ok = ok and (rows < hi if c.kwargs.get("strict_max") else rows <= hi)
        res.success = ok
        res.sample = [] if ok else [rows]
        return res
    if c.kind == TABLE:
        res.success = bool(c.verdict)
        return res
    if c.kind == TYPE_CHECK:
        return _type_check(relation, c, res, rows, *counts[c.index], sample_size)
    considered, unexpected = counts[c.index]
    if c.fails_if_any:
        # GX raises at the first value it cannot compare, and has nothing to raise on without one
        res.success = considered == 0
        if not res.success:
            res.error, res.sample = c.fails_if_any, [c.fails_if_any]
        return res
    res.unexpected_count = int(unexpected)
    if c.type == "expect_column_values_to_not_be_null":
        considered = rows
    res.success = _mostly_success(int(considered), int(unexpected), _mostly(c.kwargs))
    if not res.success:
        res.sample, res.rows = _failing_sample(relation, c, sample_size)
    return res


def _failing_sample(relation: Relation, c: CompiledExpectation, limit: int) -> tuple[list, list[dict]]:
    """The first ``limit`` failing rows in the relation's order: GX's partial unexpected list (values;
    (A, B) for a pair; {column: value} for compound columns) and each row's file, row and value."""
    shown = [f"{relation.value(col)} AS __shown_{n}" for n, col in enumerate(c.shown)]
    located = [f"{quote(col)} AS __{col}" if relation.has(col) else f"NULL AS __{col}"
               for col in ("_source_file", "_source_row")]
    order = f" ORDER BY {relation.order_by}" if relation.order_by else ""
    fetched = relation.con.execute(
        f"SELECT {', '.join(shown + located)} FROM {relation.name} WHERE {c.condition}{order} LIMIT {int(limit)}"
    ).fetchall()
    n = len(c.shown)
    sample, rows = [], []
    for r in fetched:
        values = [plain(v) for v in r[:n]]
        if c.type == "expect_compound_columns_to_be_unique":
            sample.append(dict(zip(c.shown, values)))
        elif c.type == "expect_column_pair_values_a_to_be_greater_than_b":
            sample.append(values)
        else:
            sample.append(values[0])
        rows.append({"file": plain(r[n]), "row": plain(r[n + 1]), "value": values[0] if c.type !=
                     "expect_compound_columns_to_be_unique" else None})
    return sample, rows


def plain(value):
    """A value as the run summary's JSON holds it (what ``quality._plain`` made of GX's values)."""
    from decimal import Decimal

    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):   # numpy scalars
        try:
            return plain(value.item())
        except (ValueError, TypeError):
            pass
    if isinstance(value, datetime):
        return value.isoformat()[:10] if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)
