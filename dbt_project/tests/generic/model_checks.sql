{#-
    A model's column checks in one data test, declared once per model as checks_<model>:

      not_null         columns that must never be NULL: the failing rows are the NULL cells of each;
      unique           keys (each a list of columns, NULLs comparing equal as in GROUP BY) that no two
                       rows may share: the failing rows are the rows that share a key with another row;
      accepted_values  column -> the values it may hold (NULL is accepted, as in dbt's accepted_values;
                       strings are quoted, numbers are not): the failing rows are the rows holding
                       any other value.

    The test returns one row per check that fails (check_name, column_name, failing_rows), and its
    failure count is the sum of failing_rows. On DuckDB it stores those rows, so the run summary names
    the check and the column (orchestration.pipeline.quality.attach_stored_failures); on Spark, where
    every stored table is a Parquet write, it does not.

    Why one test a model rather than dbt's not_null, unique and accepted_values on each column: a dbt
    test node costs about 35 ms of dbt's own work however small its query. The models declared 180
    not-null, 67 uniqueness and 38 accepted-values tests; merged they are one node a model
    (bench/RESULTS.md, 2026-12-06 and 2026-12-07), and the NULLs and values are counted in one pass.
-#}
{% test model_checks(model, not_null=[], unique=[], accepted_values={}) %}
    {{ config(fail_calc='coalesce(sum(failing_rows), 0)', store_failures=(target.type == 'duckdb')) }}

    {%- if not (not_null or unique or accepted_values) %}
        {{ exceptions.raise_compiler_error("model_checks on " ~ model ~ ": give not_null, unique or accepted_values") }}
    {%- endif %}

    {#- (check, column, condition of a failing row): counted together in one pass over the model #}
    {%- set counted = [] %}
    {%- for column in not_null %}
        {%- do counted.append(("not_null", column, column ~ " is null")) %}
    {%- endfor %}
    {%- for column, values in accepted_values.items() %}
        {%- set listed = [] %}
        {%- for value in values %}
            {%- do listed.append(("'" ~ (value | replace("'", "''")) ~ "'") if value is string else (value | string)) %}
        {%- endfor %}
        {%- do counted.append(("accepted_values", column,
                               column ~ " is not null and " ~ column ~ " not in (" ~ listed | join(", ") ~ ")")) %}
    {%- endfor %}

    {#- one row of the result per check: (check_name, column_name, failing_rows) #}
    {%- set parts = [] %}
    {%- for check, column, condition in counted %}
        {%- do parts.append("select '" ~ check ~ "' as check_name, '" ~ column ~ "' as column_name, failing_"
                            ~ loop.index ~ " as failing_rows from column_counts") %}
    {%- endfor %}
    {%- for key in unique %}
        {%- do parts.append("select 'unique' as check_name, '" ~ ([key] if key is string else key) | join(", ")
                            ~ "' as column_name, failing_rows from duplicates_" ~ loop.index) %}
    {%- endfor %}

with
    {%- if counted %}
    column_counts as (
        select
        {%- for check, column, condition in counted %}
            sum(case when {{ condition }} then 1 else 0 end) as failing_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ model }}
    ),
{%- endif %}
{%- for key in unique %}

    duplicates_{{ loop.index }} as (
        select sum(shared) as failing_rows
        from (
            select count(*) as shared
            from {{ model }}
            group by {{ ([key] if key is string else key) | join(", ") }}
            having count(*) > 1
        ) as keys_shared
    ),
{%- endfor %}

    checks as (
        {{ parts | join("\n        union all\n        ") }}
    )

select
    check_name,
    column_name,
    failing_rows
from checks
where failing_rows > 0

{% endtest %}
