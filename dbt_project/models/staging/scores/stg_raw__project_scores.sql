{#-
    The prioritisation scores of the project register, one row per project and criterion. raw.projects
    carries a DOUBLE column score_<criterion> for each criterion its file has (the contract keeps extra
    columns with that prefix), so the columns are found when the model is compiled and unpivoted with a
    UNION ALL of one select per column. With no score column the model is empty, never an error. NULL
    scores are left out.
-#}
{%- set score_columns = [] -%}
{%- if execute -%}
    {%- set projects = source('raw', 'projects') -%}
    {%- set relation = adapter.get_relation(
        database=projects.database, schema=projects.schema, identifier=projects.identifier
    ) -%}
    {%- if relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if (column.name | lower)[:6] == 'score_' and (column.name | length) > 6 -%}
                {%- do score_columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endif -%}

with source as (

    select * from {{ source('raw', 'projects') }}

),

unpivoted as (

    {%- for column in score_columns %}

    select
        project_code,
        cast('{{ (column | lower)[6:] }}' as {{ dbt.type_string() }}) as criterion,
        cast({{ adapter.quote(column) }} as {{ type_index() }}) as score,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source
    {{ 'union all' if not loop.last }}
    {%- else %}

        select
            project_code,
            cast(null as {{ dbt.type_string() }}) as criterion,
            cast(null as {{ type_index() }}) as score,
            _source_file as source_file,
            _source_sha256 as source_sha256,
            _source_row as source_row,
            _loaded_at as loaded_at
        from source
        where 1 = 0
    {%- endfor %}

)

select * from unpivoted
where score is not null
