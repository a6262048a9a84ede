{#-
    Reporting periods are calendar months. A period is labelled 'YYYY-MM'; its start is the first day
    of the month and its end (the status date of the period) the last day.
-#}

{#- 'YYYY-MM' label of the month containing a date. -#}
{% macro period_label(date_expr) -%}
    {{ return(adapter.dispatch('period_label', 'pmo_warehouse')(date_expr)) }}
{%- endmacro %}

{% macro default__period_label(date_expr) -%}
    to_char({{ date_expr }}, 'YYYY-MM')
{%- endmacro %}

{% macro duckdb__period_label(date_expr) -%}
    strftime(cast({{ date_expr }} as date), '%Y-%m')
{%- endmacro %}

{% macro spark__period_label(date_expr) -%}
    date_format(cast({{ date_expr }} as date), 'yyyy-MM')
{%- endmacro %}

{#- First day of a 'YYYY-MM' period label, as a date. -#}
{% macro period_start_from_label(label_expr) -%}
    cast({{ dbt.concat([label_expr, "'-01'"]) }} as date)
{%- endmacro %}

{#- First day of the month containing a date. -#}
{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{#- Last day of the month containing a date: the status date of that period. -#}
{% macro month_end(date_expr) -%}
    cast({{ dbt.last_day(date_expr, 'month') }} as date)
{%- endmacro %}

{#- A date moved by a whole number of months (the day is clamped to the end of a shorter month). -#}
{% macro add_months(date_expr, months_expr) -%}
    cast({{ dbt.dateadd('month', months_expr, date_expr) }} as date)
{%- endmacro %}

{#- Whole calendar months from the month of start_expr to the month of end_expr. -#}
{% macro months_between(start_expr, end_expr) -%}
    {{ dbt.datediff(month_start(start_expr), month_start(end_expr), 'month') }}
{%- endmacro %}

{#- Calendar days from start_expr to end_expr (end minus start). -#}
{% macro days_between(start_expr, end_expr) -%}
    cast({{ dbt.datediff(start_expr, end_expr, 'day') }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- A 'YYYY-MM' label as a month number (year x 12 + month): consecutive periods differ by 1, so
    "the last n periods" is a RANGE window of n - 1 preceding on this number. -#}
{% macro period_number(label_expr) -%}
    (cast(substr({{ label_expr }}, 1, 4) as {{ dbt.type_int() }}) * 12 + cast(substr({{ label_expr }}, 6, 2) as {{ dbt.type_int() }}))
{%- endmacro %}
