{#-
    RAG (red / amber / green) rating from the bands of the seed rag_rules (docs/evm.md §6; FEMA MIP dashboard
    bands for CPI and SPI(t) by default). A rule row is a band [min_value, max_value] of one measure;
    each bound may be open (-inf, inf or NULL) and inclusive or not. Ranks: 1 green, 2 amber, 3 red; a higher rank
    is worse. A NULL measure matches no band (not assessed).
-#}

{#- True when value lies in the band of the rule row aliased rule. -#}
{% macro rag_band_matches(value, rule='rules') -%}
    ({{ value }} is not null
        and ({{ rule }}.min_value is null
             or {{ value }} > {{ rule }}.min_value
             or ({{ rule }}.min_inclusive and {{ value }} = {{ rule }}.min_value))
        and ({{ rule }}.max_value is null
             or {{ value }} < {{ rule }}.max_value
             or ({{ rule }}.max_inclusive and {{ value }} = {{ rule }}.max_value)))
{%- endmacro %}

{#- The rank of the worst of several RAG ranks, ignoring NULLs (not assessed); NULL when all are NULL. -#}
{% macro rag_worst_rank(ranks) -%}
    nullif(greatest(
        {%- for rank in ranks %}
        coalesce({{ rank }}, 0){{ ',' if not loop.last }}
        {%- endfor %}
    ), 0)
{%- endmacro %}

{#- 'green', 'amber' or 'red' for a rank 1, 2 or 3; NULL otherwise. -#}
{% macro rag_label(rank) -%}
    (case {{ rank }} when 1 then 'green' when 2 then 'amber' when 3 then 'red' end)
{%- endmacro %}

{#- Trend of a RAG rank against the previous period's: 'improved' (lower rank), 'same' or 'worse';
    NULL when either is NULL. -#}
{% macro rag_trend(current_rank, previous_rank) -%}
    (case
        when {{ current_rank }} is null or {{ previous_rank }} is null then null
        when {{ current_rank }} < {{ previous_rank }} then 'improved'
        when {{ current_rank }} = {{ previous_rank }} then 'same'
        else 'worse'
    end)
{%- endmacro %}
