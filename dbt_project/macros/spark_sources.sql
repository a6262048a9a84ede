{#-
    Spark only: catalogue the Parquet copies of the source schemas (orchestration/pipeline/spark_sources.py)
    as tables, <root>/<schema>/<table>/ -> <schema>.<table>, for each of `tables` ('schema.table', the
    folders the export wrote; dbt's Jinja cannot list a folder). Run before a Spark build:
        dbt run-operation register_parquet_sources --target spark \
            --args '{root: /abs/path, tables: [raw.projects, raw.tasks]}'
-#}
{% macro register_parquet_sources(root, tables) %}
    {%- set registered = [] -%}
    {%- for qualified in tables -%}
        {%- set schema, table = qualified.split('.') -%}
        {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- do run_query('drop table if exists ' ~ qualified) -%}
        {%- do run_query('create table ' ~ qualified ~ " using parquet location '" ~ root ~ '/' ~ schema ~ '/' ~ table ~ "'") -%}
        {%- do registered.append(qualified) -%}
    {%- endfor -%}
    {{ log('registered ' ~ registered | length ~ ' Parquet sources: ' ~ registered | join(', '), info=True) }}
{% endmacro %}
