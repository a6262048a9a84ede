{#-
    Earned value management and earned schedule formulas (docs/evm.md §1 and §3): the only place they are
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

{#- ---------------------------------------------------------------- planned value and EV techniques -#}

{#- Planned value of one task at a date, as a DOUBLE: its cost spread linearly over the calendar days
    from its start to its finish, both included (a finish before the start counts as one day): 0 before
    the start, cost x (days from start to as_of, both included) / (all its days) in between, the whole
    cost from the finish on. -#}
{% macro evm_linear_planned_value(cost, start_date, finish_date, as_of) -%}
    {%- set planned_days = 'greatest(' ~ days_between(start_date, finish_date) ~ ' + 1, 1)' -%}
    (cast({{ cost }} as {{ type_index() }})
        * least(greatest({{ days_between(start_date, as_of) }} + 1, 0), {{ planned_days }})
        / {{ planned_days }})
{%- endmacro %}

{#- A task is finished at its snapshot's status date when it has an actual finish on or before that
    date or reports 100 % complete. -#}
{% macro task_is_finished(actual_finish, percent_complete, status_date) -%}
    (coalesce(({{ actual_finish }}) <= ({{ status_date }}), false) or coalesce(({{ percent_complete }}) >= 100, false))
{%- endmacro %}

{#- A task is started when it is finished, has an actual start on or before the status date, or
    reports a percent complete above 0. -#}
{% macro task_is_started(actual_start, actual_finish, percent_complete, status_date) -%}
    ({{ task_is_finished(actual_finish, percent_complete, status_date) }}
        or coalesce(({{ actual_start }}) <= ({{ status_date }}), false)
        or coalesce(({{ percent_complete }}) > 0, false))
{%- endmacro %}

{#- 0/100: nothing until the task is finished, then its whole budget B. -#}
{% macro evm_ev_zero_hundred(cost, is_finished) -%}
    {{ to_money('case when ' ~ is_finished ~ ' then ' ~ cost ~ ' else 0 end') }}
{%- endmacro %}

{#- 50/50: half of B once the task is started, B once it is finished. -#}
{% macro evm_ev_fifty_fifty(cost, is_started, is_finished) -%}
    {{ to_money('case when ' ~ is_finished ~ ' then ' ~ cost ~ ' when ' ~ is_started ~ ' then (' ~ cost ~ ') * 0.5 else 0 end') }}
{%- endmacro %}

{#- Percent complete (also units complete, whose units-done share the export reports as percent
    complete): B x percent complete / 100; a NULL percent complete counts as 0. -#}
{% macro evm_ev_percent_complete(cost, percent_complete) -%}
    {{ to_money('(' ~ cost ~ ') * coalesce(' ~ percent_complete ~ ', 0) / 100') }}
{%- endmacro %}

{#- Weighted milestones: a package earns B_package x the sum of the weights of its finished
    milestones. With each milestone's weight its share of the package's milestone budget
    (w_i = B_i / B_package), that is the milestone's own budget B_i once it is finished, nothing
    before; this macro gives one milestone's part, so the package's EV is their sum. -#}
{% macro evm_ev_weighted_milestone(milestone_cost, is_finished) -%}
    {{ to_money('case when ' ~ is_finished ~ ' then ' ~ milestone_cost ~ ' else 0 end') }}
{%- endmacro %}

{#- Apportioned effort: factor x EV of the base, with factor = B / budget of the base, i.e.
    B x (EV of the base / budget of the base). -#}
{% macro evm_ev_apportioned(cost, base_earned_value, base_budget) -%}
    {{ to_money('(' ~ cost ~ ') * ' ~ safe_divide(base_earned_value, base_budget)) }}
{%- endmacro %}

{#- Level of effort: EV = PV, the task's planned value at the measurement date. -#}
{% macro evm_ev_level_of_effort(cost, start_date, finish_date, as_of) -%}
    {{ to_money(evm_linear_planned_value(cost, start_date, finish_date, as_of)) }}
{%- endmacro %}

{#- ---------------------------------------------------------------- further indices and forecasts -#}

{#- amount / BAC x 100 (% complete with EV, % spent with AC, % scheduled with PV); NULL when BAC is 0. -#}
{% macro evm_pct_of_bac(amount, bac) -%}
    ({{ safe_divide(amount, bac) }} * 100)
{%- endmacro %}

{#- The weight w of var eac_weight as a SQL literal, checked to be a number in [0, 1]. -#}
{% macro evm_eac_weight(value) -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]*[.]?[0-9]+', text) or (text | float) > 1 -%}
        {{ exceptions.raise_compiler_error(
            "var eac_weight must be a number from 0 to 1 (the weight of CPI in the weighted EAC, for example 0.8); got '"
            ~ value ~ "'. Pass it as --vars '{eac_weight: 0.8}'."
        ) }}
    {%- endif -%}
    {{ return('cast(' ~ text ~ ' as ' ~ type_index() ~ ')') }}
{%- endmacro %}

{#- EAC (weighted) = AC + (BAC - EV) / (w x CPI + (1 - w) x SPI); NULL when CPI or SPI is NULL or the
    weighted index is 0. -#}
{% macro evm_eac_weighted(bac, ev, ac, cpi, spi, weight) -%}
    {{ to_money('(' ~ ac ~ ') + ' ~ safe_divide(
        '(' ~ bac ~ ') - (' ~ ev ~ ')',
        '(' ~ weight ~ ') * (' ~ cpi ~ ') + (1 - (' ~ weight ~ ')) * (' ~ spi ~ ')'
    )) }}
{%- endmacro %}

{#- EAC (bottom-up) = AC + ETC re-estimated task by task (the schedule's remaining cost). -#}
{% macro evm_eac_bottom_up(ac, etc_bottom_up) -%}
    {{ to_money('(' ~ ac ~ ') + (' ~ etc_bottom_up ~ ')') }}
{%- endmacro %}

{#- BEI = tasks finished / baseline tasks due (DAU Gold Card); NULL when no task is due yet. -#}
{% macro evm_bei(tasks_finished, tasks_due) -%}
    {{ safe_divide(tasks_finished, tasks_due) }}
{%- endmacro %}

{#- TSPI = (PD - ES) / (PD - AT), the schedule efficiency needed to finish on plan; NULL once AT >= PD. -#}
{% macro evm_tspi(planned_duration, es, at) -%}
    (case
        when ({{ at }}) < ({{ planned_duration }})
            then {{ safe_divide('(' ~ planned_duration ~ ') - (' ~ es ~ ')', '(' ~ planned_duration ~ ') - (' ~ at ~ ')') }}
    end)
{%- endmacro %}

{#- IEAC(t) = AT + (PD - ES) / PF, in periods, for a performance factor PF (1, SPI(t) or SPI(t) x CPI);
    NULL when PF is NULL or 0. -#}
{% macro evm_ieac_t_with_factor(planned_duration, es, at, performance_factor) -%}
    cast(({{ at }}) + {{ safe_divide('(' ~ planned_duration ~ ') - (' ~ es ~ ')', performance_factor) }} as {{ type_index() }})
{%- endmacro %}

{#- The sum of a column over the last `periods` periods up to the row's (a RANGE window on
    period_number, so a missing period is not replaced by an older one); NULL when a value in the
    window is NULL, so a gap never shows as a smaller number. At a series' first periods the window
    holds the periods there are. -#}
{% macro moving_sum(column, partition_by, period_expr, periods=3) -%}
    {%- set window = 'partition by ' ~ partition_by ~ ' order by ' ~ period_number(period_expr)
        ~ ' range between ' ~ (periods - 1) ~ ' preceding and current row' -%}
    (case
        when count({{ column }}) over ({{ window }}) = count(*) over ({{ window }})
            then sum({{ column }}) over ({{ window }})
    end)
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

{#- The trend, forecast and percentage columns every earned-value fact adds after its flags, in the
    published order. Besides the four cumulative columns it reads, by name: pv_period, ev_period,
    ac_period (period values), pv_3p, ev_3p, ac_3p (their sums over the last 3 periods, moving_sum),
    etc_bottom_up, bei_tasks_finished and bei_tasks_due. eac_weight is the weight w of CPI. -#}
{% macro evm_trend_columns(bac='bac', pv='pv', ev='ev', ac='ac', eac_weight=0.8) -%}
    {%- set weight = evm_eac_weight(eac_weight) -%}
    {%- set cpi = evm_cpi(ev, ac) -%}
    {%- set spi = evm_spi(ev, pv) -%}
    {{ to_money('pv_period') }} as pv_period,
    {{ to_money('ev_period') }} as ev_period,
    {{ to_money('ac_period') }} as ac_period,
    {{ evm_cpi('ev_period', 'ac_period') }} as cpi_period,
    {{ evm_spi('ev_period', 'pv_period') }} as spi_period,
    {{ evm_cpi('ev_3p', 'ac_3p') }} as cpi_3p,
    {{ evm_spi('ev_3p', 'pv_3p') }} as spi_3p,
    {{ evm_pct_of_bac(ev, bac) }} as pct_complete,
    {{ evm_pct_of_bac(ac, bac) }} as pct_spent,
    {{ evm_pct_of_bac(pv, bac) }} as pct_scheduled,
    {{ evm_eac_weighted(bac, ev, ac, cpi, spi, weight) }} as eac_weighted,
    {{ to_money('etc_bottom_up') }} as etc_bottom_up,
    {{ evm_eac_bottom_up(ac, 'etc_bottom_up') }} as eac_bottom_up,
    cast(bei_tasks_finished as {{ dbt.type_int() }}) as bei_tasks_finished,
    cast(bei_tasks_due as {{ dbt.type_int() }}) as bei_tasks_due,
    {{ evm_bei('bei_tasks_finished', 'bei_tasks_due') }} as bei
{%- endmacro %}

{#- Flags that explain the NULLs of the ratios in evm_performance_columns and evm_trend_columns that
    evm_flag_columns does not cover, for the same inputs. -#}
{% macro evm_trend_flag_columns(bac='bac', pv='pv', ev='ev', ac='ac', eac_weight=0.8) -%}
    {%- set weight = evm_eac_weight(eac_weight) -%}
    {%- set cpi = evm_cpi(ev, ac) -%}
    {%- set spi = evm_spi(ev, pv) -%}
    ({{ evm_sv_pct(ev, pv) }} is null) as sv_pct_undefined,
    ({{ evm_cv_pct(ev, ac) }} is null) as cv_pct_undefined,
    ({{ evm_eac_composite(bac, ev, ac, cpi, spi) }} is null) as eac_composite_undefined,
    ({{ evm_cpi('ev_period', 'ac_period') }} is null) as cpi_period_undefined,
    ({{ evm_spi('ev_period', 'pv_period') }} is null) as spi_period_undefined,
    ({{ evm_cpi('ev_3p', 'ac_3p') }} is null) as cpi_3p_undefined,
    ({{ evm_spi('ev_3p', 'pv_3p') }} is null) as spi_3p_undefined,
    ({{ evm_pct_of_bac(ev, bac) }} is null) as pct_complete_undefined,
    ({{ evm_pct_of_bac(ac, bac) }} is null) as pct_spent_undefined,
    ({{ evm_pct_of_bac(pv, bac) }} is null) as pct_scheduled_undefined,
    ({{ evm_eac_weighted(bac, ev, ac, cpi, spi, weight) }} is null) as eac_weighted_undefined,
    ({{ evm_bei('bei_tasks_finished', 'bei_tasks_due') }} is null) as bei_undefined
{%- endmacro %}

{#- The earned-schedule forecasts of a project fact (never of a roll-up): TSPI and IEAC(t) with the
    three performance factors 1, SPI(t) and SPI(t) x CPI. -#}
{% macro evm_schedule_forecast_columns(planned_duration, es, at, spi_t, ev='ev', ac='ac') -%}
    {%- set cpi = evm_cpi(ev, ac) -%}
    {{ evm_tspi(planned_duration, es, at) }} as tspi,
    {{ evm_ieac_t_with_factor(planned_duration, es, at, '1') }} as ieac_t_pf1,
    {{ evm_ieac_t_with_factor(planned_duration, es, at, spi_t) }} as ieac_t_spi_t,
    {{ evm_ieac_t_with_factor(planned_duration, es, at, '(' ~ spi_t ~ ') * (' ~ cpi ~ ')') }} as ieac_t_cpi_spi_t
{%- endmacro %}

{#- Flags that explain the NULLs of the earned-schedule indices of a project fact. -#}
{% macro evm_schedule_flag_columns(planned_duration, es, at, spi_t, ieac_t, ev='ev', ac='ac') -%}
    {%- set cpi = evm_cpi(ev, ac) -%}
    ({{ spi_t }} is null) as spi_t_undefined,
    ({{ evm_tspi(planned_duration, es, at) }} is null) as tspi_undefined,
    ({{ ieac_t }} is null) as ieac_t_undefined,
    ({{ evm_ieac_t_with_factor(planned_duration, es, at, '(' ~ spi_t ~ ') * (' ~ cpi ~ ')') }} is null) as ieac_t_cpi_spi_t_undefined
{%- endmacro %}
