{#- The earned value of a group of projects (a programme or a portfolio) for every period, from
    fct_earned_value: BAC, PV, EV, AC, the period values, the bottom-up ETC and BEI's task counts are sums
    over the group's projects that have a row that period; every index and forecast is recomputed from those
    sums with the same formulas (a ratio of sums, never an average of project ratios); the 3-period moving
    indices are ratios of the sums over the period and the two before it. A sum that misses a project's
    figure is NULL rather than silently smaller. Projects without a group are grouped under 'unassigned'.
    Earned schedule is a per-project measure and is left out. group_expression, when given, is what the
    projects are grouped by (e.g. a constant for the whole organisation) and group_column names it. -#}
{% macro earned_value_rollup(group_column, group_expression=none) -%}
{%- set group_key = group_expression if group_expression else group_column %}
{% set eac_weight = var('eac_weight', 0.8) %}
with projects as (

    select * from {{ ref('fct_earned_value') }}

),

summed as (

    select
        coalesce({{ group_key }}, 'unassigned') as {{ group_column }},
        period,
        status_date,
        currency,
        count(distinct project_code) as project_count,
        count(*) as project_rows,
        count(bac) as bac_rows,
        count(pv) as pv_rows,
        count(ev) as ev_rows,
        count(ac) as ac_rows,
        count(pv_period) as pv_period_rows,
        count(ev_period) as ev_period_rows,
        count(ac_period) as ac_period_rows,
        count(etc_bottom_up) as etc_bottom_up_rows,
        sum(bac) as bac,
        sum(pv) as pv,
        sum(ev) as ev,
        sum(ac) as ac,
        sum(pv_period) as pv_period,
        sum(ev_period) as ev_period,
        sum(ac_period) as ac_period,
        sum(etc_bottom_up) as etc_bottom_up,
        sum(coalesce(bei_tasks_finished, 0)) as bei_tasks_finished,
        sum(coalesce(bei_tasks_due, 0)) as bei_tasks_due
    from projects
    group by
        coalesce({{ group_key }}, 'unassigned'),
        period,
        status_date,
        currency

),

complete_sums as (

    -- a sum that misses a project's figure is NULL rather than silently smaller
    select
        {{ group_column }},
        period,
        status_date,
        currency,
        project_count,
        {{ to_money('case when bac_rows = project_rows then bac end') }} as bac,
        {{ to_money('case when pv_rows = project_rows then pv end') }} as pv,
        {{ to_money('case when ev_rows = project_rows then ev end') }} as ev,
        {{ to_money('case when ac_rows = project_rows then ac end') }} as ac,
        {{ to_money('case when pv_period_rows = project_rows then pv_period end') }} as pv_period,
        {{ to_money('case when ev_period_rows = project_rows then ev_period end') }} as ev_period,
        {{ to_money('case when ac_period_rows = project_rows then ac_period end') }} as ac_period,
        {{ to_money('case when etc_bottom_up_rows = project_rows then etc_bottom_up end') }} as etc_bottom_up,
        bei_tasks_finished,
        bei_tasks_due
    from summed

),

windowed as (

    select
        *,
        {{ moving_sum('pv_period', group_column, 'period') }} as pv_3p,
        {{ moving_sum('ev_period', group_column, 'period') }} as ev_3p,
        {{ moving_sum('ac_period', group_column, 'period') }} as ac_3p
    from complete_sums

)

select
    {{ group_column }},
    period,
    status_date,
    currency,
    project_count,
    bac,
    pv,
    ev,
    ac,
    {{ evm_performance_columns('bac', 'pv', 'ev', 'ac') }},
    {{ evm_flag_columns('bac', 'pv', 'ev', 'ac') }},
    {{ evm_trend_columns('bac', 'pv', 'ev', 'ac', eac_weight) }},
    {{ evm_trend_flag_columns('bac', 'pv', 'ev', 'ac', eac_weight) }}
from windowed
{%- endmacro %}

