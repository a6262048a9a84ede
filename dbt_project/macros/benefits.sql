{#-
    Benefits and investment-appraisal formulas (docs/evm.md §5; HM Treasury Green Book): the only place they
    are written. Every argument is a SQL expression. A division by zero or NULL gives NULL (safe_divide,
    macros/evm.sql); money results are type_money() (DECIMAL), ratios type_index() (DOUBLE).
-#}

{#- +1 for a benefit, -1 for a dis-benefit (an outcome perceived as negative): multiply a value by it to
    net dis-benefits off benefits. A NULL flag counts as a benefit. -#}
{% macro benefit_sign(is_disbenefit) -%}
    (case when coalesce({{ is_disbenefit }}, false) then -1 else 1 end)
{%- endmacro %}

{#- Realisation % = realised / planned x 100; NULL when planned is zero or NULL. Used for both named
    definitions: "to date" (sum realised to date / sum planned to date, same periods) and "against
    target" (sum realised to date / target value). -#}
{% macro realisation_pct(realised, planned) -%}
    ({{ safe_divide(realised, planned) }} * 100)
{%- endmacro %}

{#- Discount factor of a cash flow months_expr months after the start, for an ANNUAL rate applied
    monthly: 1 / (1 + rate) ^ (months / 12) (Green Book STPR 3.5 % by default). -#}
{% macro discount_factor(rate, months_expr) -%}
    (cast(1 as {{ type_index() }}) / power(1 + cast({{ rate }} as {{ type_index() }}), cast({{ months_expr }} as {{ type_index() }}) / 12))
{%- endmacro %}

{#- Present value of an amount months_expr months after the start: amount x discount_factor. -#}
{% macro present_value(amount, rate, months_expr) -%}
    (cast({{ amount }} as {{ type_index() }}) * {{ discount_factor(rate, months_expr) }})
{%- endmacro %}

{#- ROI = (benefits - costs) / costs, a ratio (0.25 = 25 %); NULL when costs are zero or NULL.
    Undiscounted on nominal sums, discounted on present values. -#}
{% macro roi(benefits, costs) -%}
    {{ safe_divide('(' ~ benefits ~ ') - (' ~ costs ~ ')', costs) }}
{%- endmacro %}

{#- Benefit-cost ratio = PV(benefits) / PV(costs) (Green Book); NULL when PV(costs) is zero or NULL. -#}
{% macro benefit_cost_ratio(pv_benefits, pv_costs) -%}
    {{ safe_divide(pv_benefits, pv_costs) }}
{%- endmacro %}

{#- Fractional payback: the months before the payback period plus the share of that period's net cash
    flow needed to bring the cumulative net from its (negative) value before the period to 0, assuming
    the period's flow arrives evenly: months_before + (-cumulative_before) / net_in_period. -#}
{% macro payback_fraction(months_before, cumulative_before, net_in_period) -%}
    (cast({{ months_before }} as {{ type_index() }})
        + coalesce({{ safe_divide('-(' ~ cumulative_before ~ ')', net_in_period) }}, 0))
{%- endmacro %}
