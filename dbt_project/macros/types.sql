{#- Column types shared by every layer, dispatched so another engine can map them. -#}

{#- Money derived in the warehouse (PV, EV, AC, EAC, variances): DECIMAL, never floating point. -#}
{% macro type_money() -%}
    {{ return(adapter.dispatch('type_money', 'pmo_warehouse')()) }}
{%- endmacro %}

{% macro default__type_money() -%}
    {{ return('numeric(38, 6)') }}
{%- endmacro %}

{#- Money as the canonical contract lands it in raw (DECIMAL(18,4)). -#}
{% macro type_source_money() -%}
    {{ return(adapter.dispatch('type_source_money', 'pmo_warehouse')()) }}
{%- endmacro %}

{% macro default__type_source_money() -%}
    {{ return('numeric(18, 4)') }}
{%- endmacro %}

{#- Ratios and quantities (CPI, SPI, ES, hours, fx rates): 8-byte floating point. dbt's type_float
    maps to a 4-byte REAL on DuckDB, so it is not used. -#}
{% macro type_index() -%}
    {{ return(adapter.dispatch('type_index', 'pmo_warehouse')()) }}
{%- endmacro %}

{% macro default__type_index() -%}
    {{ return('double precision') }}
{%- endmacro %}

{#- The lineage every staging model carries from raw: the landing file, its sha256, the row in it and
    when it was loaded, renamed without the leading underscore. -#}
{% macro lineage_columns() -%}
_source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
{%- endmacro %}

{#- Spark has no DOUBLE PRECISION; its DOUBLE is the same 8-byte float. -#}
{% macro spark__type_index() -%}
    {{ return('double') }}
{%- endmacro %}
