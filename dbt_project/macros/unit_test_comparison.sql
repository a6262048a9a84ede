{#-
    How unit tests compare actual and expected rows, on DuckDB and on Spark (issue #14).

    dbt compares unit-test rows exactly. Indices and earned-schedule figures are DOUBLE, and the worked
    examples they are checked against (published answers; docs/evm.md §3) are published to 9 decimal places, so
    DOUBLE and REAL columns are compared after rounding both sides to 9 decimal places. DECIMAL money,
    dates, text and booleans are still compared exactly, and NULL still differs from any value.
    Otherwise this is dbt's default unit-test query. The same rounding makes the unit tests pass on Spark,
    whose doubles differ from DuckDB's in the last bits (4.300000000000001 for 4.3); only how the column
    types are described differs (DuckDB `describe select`, Spark `describe query`).
-#}
{% macro duckdb__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {{ unit_test_sql_rounding_floats(main_sql, expected_fixture_sql, expected_column_names, 'describe select') }}
{%- endmacro %}

{% macro spark__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {{ unit_test_sql_rounding_floats(main_sql, expected_fixture_sql, expected_column_names, 'describe query select') }}
{%- endmacro %}

{% macro unit_test_sql_rounding_floats(main_sql, expected_fixture_sql, expected_column_names, describe) -%}
    {%- set float_columns = [] -%}
    {%- if execute -%}
        {%- set described = run_query(describe ~ ' * from (' ~ main_sql ~ ') as _dbt_internal_unit_test_described') -%}
        {%- for row in described.rows -%}
            {%- if row[1] | upper in ('DOUBLE', 'FLOAT', 'REAL') -%}
                {%- do float_columns.append(row[0] | lower) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set compared = [] -%}
    {%- for quoted in expected_column_names -%}
        {%- set bare = quoted | replace('"', '') | replace('`', '') | lower -%}
        {%- if bare in float_columns -%}
            {%- do compared.append('round(' ~ quoted ~ ', 9) as ' ~ quoted) -%}
        {%- else -%}
            {%- do compared.append(quoted) -%}
        {%- endif -%}
    {%- endfor %}
-- Build actual result given inputs
with dbt_internal_unit_test_actual as (
  select
    {{ compared | join(', ') }}, {{ dbt.string_literal("actual") }} as {{ adapter.quote("actual_or_expected") }}
  from (
    {{ main_sql }}
  ) _dbt_internal_unit_test_actual
),
-- Build expected result
dbt_internal_unit_test_expected as (
  select
    {{ compared | join(', ') }}, {{ dbt.string_literal("expected") }} as {{ adapter.quote("actual_or_expected") }}
  from (
    {{ expected_fixture_sql }}
  ) _dbt_internal_unit_test_expected
)
-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected
{%- endmacro %}
