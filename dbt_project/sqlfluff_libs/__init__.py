"""Stand-ins for the dbt context objects the models and macros use, for sqlfluff's jinja templater only.

The jinja templater (dbt_project/.sqlfluff) renders the models without dbt: apply_dbt_builtins gives ref,
source, config and return, and this package adds the rest (adapter, dbt, modules, exceptions, env_var,
target, execute) and a var() that reads the defaults of dbt_project.yml. The SQL they render only has to
parse like the real one: it is linted, never run.
"""

import re as _re
from pathlib import Path as _Path
from types import SimpleNamespace as _Namespace

import jinja2 as _jinja2
import yaml as _yaml

_PROJECT_VARS = _yaml.safe_load((_Path(__file__).parent.parent / "dbt_project.yml").read_text())["vars"]

execute = True
target = _Namespace(name="dev", schema="main", database="warehouse", type="duckdb")


def var(name, default=None):
    return _PROJECT_VARS.get(name, default)


def env_var(name, default=""):
    return default


def _raise_compiler_error(message):
    raise _jinja2.TemplateError(message)


exceptions = _Namespace(raise_compiler_error=_raise_compiler_error)
modules = _Namespace(re=_re)


@_jinja2.pass_context
def _dispatch(context, macro_name, macro_namespace=None):
    # dbt picks <adapter>__<name>, then default__<name>; the project only has default__ implementations.
    return context.resolve(f"default__{macro_name}")


adapter = _Namespace(
    quote=lambda identifier: f'"{identifier}"',
    dispatch=_dispatch,
    get_relation=lambda **kwargs: None,
    get_columns_in_relation=lambda relation: [],
)

# dbt's cross-database macros, rendered as DuckDB would (dbt-duckdb's implementations, simplified).
dbt = _Namespace(
    type_int=lambda: "integer",
    type_bigint=lambda: "bigint",
    type_string=lambda: "varchar",
    concat=lambda fields: " || ".join(fields),
    hash=lambda field: f"md5(cast({field} as varchar))",
    string_literal=lambda value: f"'{value}'",
    date_trunc=lambda datepart, date: f"date_trunc('{datepart}', {date})",
    last_day=lambda date, datepart: f"last_day({date})",
    dateadd=lambda datepart, interval, from_date_or_timestamp: (
        f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"
    ),
    datediff=lambda first_date, second_date, datepart: f"date_diff('{datepart}', {first_date}, {second_date})",
    generate_series=lambda upper_bound: (
        f"select generated_number from generate_series(1, {upper_bound}) as series (generated_number)"
    ),
)
