{#-
    The not-null checks of one model in a single query: one pass over the model counts the NULLs of
    every listed column, and the test returns a row for each column that has any (column_name,
    null_rows). It fails when a listed column holds a NULL; its failure count is the number of NULL
    cells (fail_calc), as the separate per-column not_null tests counted them together.

    Why one test a model rather than dbt's not_null on each column: a dbt test node costs about 35 ms
    of dbt's own work however small the query, and the model files declared 180 of them; merged they
    are 53 nodes (bench/RESULTS.md, 2026-12-06). On DuckDB it stores its failing rows, so the run summary
    names the columns (orchestration.pipeline.quality.attach_stored_failures); on Spark, where every
    stored table is a Parquet write, it does not.
-#}
{% test not_null_columns(model, columns) %}
    {{ config(fail_calc='coalesce(sum(null_rows), 0)', store_failures=(target.type == 'duckdb')) }}

with null_counts as (
    select
    {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
    {%- for column in columns %}

select '{{ column }}' as column_name, nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}

{% endtest %}
