{#-
    Earned value management and earned schedule formulas (EVM.md §1 and §3): the only place they are
    written. Every argument is a SQL expression; every quantity is cumulative to the status date.

    Conventions:
    * a division whose denominator is zero or NULL gives NULL, never 0, 1 or infinity;
    * money results are cast to type_money() (DECIMAL) without rounding to a currency unit;
    * index results (CPI, SPI, percentages, ES, SPI(t), IEAC(t)) are type_index() (DOUBLE).
-#}

{#- numerator / denominator as an index; NULL when the denominator is zero or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_index() }}) / nullif(cast({{ denominator }} as {{ type_index() }}), 0))
{%- endmacro %}

{#- An expression cast to the warehouse money type. -#}
{% macro to_money(expr) -%}
    cast({{ expr }} as {{ type_money() }})
{%- endmacro %}

{#- ---------------------------------------------------------------- variances and indices -#}

{#- SV = EV - PV (money; > 0 ahead of schedule). -#}
{% macro evm_sv(ev, pv) -%}
    {{ to_money('(' ~ ev ~ ') - (' ~ pv ~ ')') }}
{%- endmacro %}

{#- CV = EV - AC (money; > 0 under cost). -#}
{% macro evm_cv(ev, ac) -%}
    {{ to_money('(' ~ ev ~ ') - (' ~ ac ~ ')') }}
{%- endmacro %}

{#- SV% = SV / PV x 100 (divides by PV, as the DAU Gold Card and MS Project do). -#}
{% macro evm_sv_pct(ev, pv) -%}
    ({{ safe_divide('(' ~ ev ~ ') - (' ~ pv ~ ')', pv) }} * 100)
{%- endmacro %}

{#- CV% = CV / EV x 100 (divides by EV). -#}
{% macro evm_cv_pct(ev, ac) -%}
    ({{ safe_divide('(' ~ ev ~ ') - (' ~ ac ~ ')', ev) }} * 100)
{%- endmacro %}

{#- SPI = EV / PV; NULL while PV is 0 (before the baseline starts). -#}
{% macro evm_spi(ev, pv) -%}
    {{ safe_divide(ev, pv) }}
{%- endmacro %}

{#- CPI = EV / AC; NULL while AC is 0 (nothing booked yet). -#}
{% macro evm_cpi(ev, ac) -%}
    {{ safe_divide(ev, ac) }}
{%- endmacro %}

{#- ---------------------------------------------------------------- forecasts -#}

{#- EAC (CPI method) = BAC / CPI, identical to AC + (BAC - EV) / CPI with a cumulative CPI.
    NULL when CPI is NULL or 0 (EV = 0 with AC > 0). -#}
{% macro evm_eac_cpi(bac, cpi) -%}
    {{ to_money(safe_divide(bac, cpi)) }}
{%- endmacro %}

{#- EAC (atypical, PF = 1) = AC + (BAC - EV): the past variance is treated as one-off. -#}
{% macro evm_eac_atypical(bac, ev, ac) -%}
    {{ to_money('(' ~ ac ~ ') + ((' ~ bac ~ ') - (' ~ ev ~ '))') }}
{%- endmacro %}

{#- EAC (composite) = AC + (BAC - EV) / (CPI x SPI); NULL when CPI x SPI is NULL or 0. -#}
{% macro evm_eac_composite(bac, ev, ac, cpi, spi) -%}
    {{ to_money('(' ~ ac ~ ') + ' ~ safe_divide('(' ~ bac ~ ') - (' ~ ev ~ ')', '(' ~ cpi ~ ') * (' ~ spi ~ ')')) }}
{%- endmacro %}

{#- ETC (CPI method) = (BAC - EV) / CPI; NULL when CPI is NULL or 0. -#}
{% macro evm_etc(bac, ev, cpi) -%}
    {{ to_money(safe_divide('(' ~ bac ~ ') - (' ~ ev ~ ')', cpi)) }}
{%- endmacro %}

{#- VAC = BAC - EAC (negative means an overrun). -#}
{% macro evm_vac(bac, eac) -%}
    {{ to_money('(' ~ bac ~ ') - (' ~ eac ~ ')') }}
{%- endmacro %}

{#- TCPI against a target (BAC or an EAC) = (BAC - EV) / (target - AC).
    NULL when target - AC <= 0: the target is already spent (for BAC: "budget exhausted"). -#}
{% macro evm_tcpi(bac, ev, ac, target) -%}
    (case
        when ({{ target }}) - ({{ ac }}) > 0
            then {{ safe_divide('(' ~ bac ~ ') - (' ~ ev ~ ')', '(' ~ target ~ ') - (' ~ ac ~ ')') }}
    end)
{%- endmacro %}

{#- ---------------------------------------------------------------- earned schedule -#}

{#- ES = C + (EV - PV_C) / (PV_{C+1} - PV_C), Lipke.
    c         the largest period t in 0..PD with PV_t <= EV (so PV plateaus resolve to the later period)
    pv_c      PV_C (0 when C = 0)
    pv_next   PV_{C+1} (NULL when C = PD)
    ES = PD once EV >= BAC (the project is complete: ES never exceeds PD); NULL without a positive BAC
    or a planned duration. -#}
{% macro evm_earned_schedule(ev, bac, planned_duration, c, pv_c, pv_next) -%}
    cast(case
        when ({{ bac }}) is null or ({{ bac }}) <= 0 or ({{ planned_duration }}) is null or ({{ ev }}) is null
            then null
        when ({{ ev }}) >= ({{ bac }})
            then ({{ planned_duration }})
        when ({{ c }}) is null
            then null
        when ({{ pv_next }}) is null
            then ({{ c }})
        else ({{ c }}) + coalesce({{ safe_divide('(' ~ ev ~ ') - (' ~ pv_c ~ ')', '(' ~ pv_next ~ ') - (' ~ pv_c ~ ')') }}, 0)
    end as {{ type_index() }})
{%- endmacro %}

{#- SV(t) = ES - AT, in periods (negative means late). -#}
{% macro evm_sv_t(es, at) -%}
    cast(({{ es }}) - ({{ at }}) as {{ type_index() }})
{%- endmacro %}

{#- SPI(t) = ES / AT; NULL when AT is 0. -#}
{% macro evm_spi_t(es, at) -%}
    {{ safe_divide(es, at) }}
{%- endmacro %}

{#- IEAC(t) = PD / SPI(t), identical to AT + (PD - ES) / SPI(t): the forecast duration in periods.
    NULL when SPI(t) is NULL or 0. -#}
{% macro evm_ieac_t(planned_duration, spi_t) -%}
    {{ safe_divide(planned_duration, spi_t) }}
{%- endmacro %}

{#- A date plus a fractional number of monthly periods, for the ES forecast finish date.
    The whole part n is added as calendar months (start + n months, the day clamped to a shorter
    month's end); the fraction f is added as f x the days from start + n months to start + (n + 1)
    months, rounded to the nearest day (halves away from zero). NULL when periods is NULL. -#}
{% macro add_periods(date_expr, periods_expr) -%}
    {%- set whole = 'cast(floor(' ~ periods_expr ~ ') as integer)' -%}
    {%- set anchor = add_months(date_expr, whole) -%}
    {%- set next_anchor = add_months(date_expr, whole ~ ' + 1') -%}
    {%- set fraction = '((' ~ periods_expr ~ ') - floor(' ~ periods_expr ~ '))' -%}
    cast({{ dbt.dateadd(
        'day',
        'cast(round(' ~ fraction ~ ' * ' ~ days_between(anchor, next_anchor) ~ ') as integer)',
        anchor
    ) }} as date)
{%- endmacro %}

{#- ---------------------------------------------------------------- column sets -#}

{#- The derived performance columns of every earned-value fact, in the published order, computed
    from four cumulative money columns. Roll-ups call it on their sums, so their indices are ratios
    of sums and never averages of project ratios. -#}
{% macro evm_performance_columns(bac='bac', pv='pv', ev='ev', ac='ac') -%}
    {%- set cpi = evm_cpi(ev, ac) -%}
    {%- set spi = evm_spi(ev, pv) -%}
    {%- set eac_cpi = evm_eac_cpi(bac, cpi) -%}
    {{ evm_sv(ev, pv) }} as sv,
    {{ evm_cv(ev, ac) }} as cv,
    {{ evm_sv_pct(ev, pv) }} as sv_pct,
    {{ evm_cv_pct(ev, ac) }} as cv_pct,
    {{ spi }} as spi,
    {{ cpi }} as cpi,
    {{ eac_cpi }} as eac_cpi,
    {{ evm_eac_atypical(bac, ev, ac) }} as eac_atypical,
    {{ evm_eac_composite(bac, ev, ac, cpi, spi) }} as eac_composite,
    {{ evm_etc(bac, ev, cpi) }} as etc,
    {{ evm_vac(bac, eac_cpi) }} as vac,
    {{ evm_tcpi(bac, ev, ac, bac) }} as tcpi_bac,
    {{ evm_tcpi(bac, ev, ac, eac_cpi) }} as tcpi_eac
{%- endmacro %}

{#- Flags that explain the NULLs of evm_performance_columns, for the same four inputs. -#}
{% macro evm_flag_columns(bac='bac', pv='pv', ev='ev', ac='ac') -%}
    {%- set cpi = evm_cpi(ev, ac) -%}
    {%- set eac_cpi = evm_eac_cpi(bac, cpi) -%}
    ({{ cpi }} is null) as cpi_undefined,
    ({{ evm_spi(ev, pv) }} is null) as spi_undefined,
    ({{ eac_cpi }} is null) as eac_cpi_undefined,
    (coalesce(({{ bac }}) - ({{ ac }}) <= 0, false)) as budget_exhausted,
    ({{ evm_tcpi(bac, ev, ac, eac_cpi) }} is null) as tcpi_eac_undefined,
    (coalesce(({{ bac }}) > 0 and ({{ ev }}) >= ({{ bac }}), false)) as is_complete
{%- endmacro %}
