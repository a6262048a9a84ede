{#- True when a measure's restated value differs from the value reported for the same period:
    amounts exactly, ratios and durations (is_ratio) at 9 decimals so floating-point noise in a
    recomputed index does not count as a restatement. NULL on one side only is a difference. -#}
{% macro restated_differs(measure, is_ratio) -%}
    {%- if is_ratio -%}
    round(reported_{{ measure }}, 9) is distinct from round(restated_{{ measure }}, 9)
    {%- else -%}
    reported_{{ measure }} is distinct from restated_{{ measure }}
    {%- endif -%}
{%- endmacro %}
