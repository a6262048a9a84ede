{#-
    The four cumulative earned-value measures of each project at every reported period, in the
    reporting currency, with the project's earned schedule: the input of fct_earned_value. BAC, PV and
    EV are computed in the project currency and converted at the rate of the row's period; AC is
    already converted line by line.

    Period values: pv_period and ev_period are the change in the project-currency cumulative value
    since the previous period, converted at this period's rate (the period's work at the period's
    rate, so a rate change does not show as work done); ac_period is the change in cumulative AC (the
    lines of the period, each at its own month's rate). In a project's first period they are the
    cumulative values (AC booked before the first baseline period included). The bottom-up estimate to
    complete (the EV snapshot's remaining cost) converts at the row's period rate. BEI's counts come
    from the current baseline (tasks due) and the EV snapshot (tasks finished).
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}
    where is_reported_period

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

projects as (

    select * from {{ ref('stg_raw__projects') }}

),

baselines as (

    select * from {{ ref('int_project_baselines_summarised') }}

),

planned as (

    select * from {{ ref('int_planned_values_spread') }}

),

earned as (

    select * from {{ ref('int_earned_values_snapshotted') }}

),

actuals as (

    select * from {{ ref('int_actual_costs_accumulated') }}

),

schedule as (

    select * from {{ ref('int_earned_schedule_computed') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

joined as (

    select
        periods.project_code,
        periods.period,
        periods.period_end as status_date,
        parameters.reporting_currency as currency,
        {{ to_money('baselines.bac_native * fx_rates.fx_rate') }} as bac,
        {{ to_money('planned.planned_value_native * fx_rates.fx_rate') }} as pv,
        {{ to_money('earned.earned_value_native * fx_rates.fx_rate') }} as ev,
        actuals.ac,
        schedule.es,
        schedule.{{ adapter.quote("at") }},
        schedule.sv_t,
        schedule.spi_t,
        schedule.ieac_t,
        schedule.forecast_finish_date,
        projects.programme,
        projects.portfolio,
        projects.currency as project_currency,
        fx_rates.fx_rate,
        baselines.bac_native,
        planned.planned_value_native as pv_native,
        earned.earned_value_native as ev_native,
        actuals.ac_labour,
        actuals.ac_non_labour,
        actuals.ledger_labour,
        earned.ev_status_date,
        baselines.baseline_status_date,
        baselines.planned_duration_periods,
        baselines.baseline_version,
        periods.period_index,
        planned.bei_tasks_due,
        earned.bei_tasks_finished,
        {{ to_money('earned.etc_bottom_up_native * fx_rates.fx_rate') }} as etc_bottom_up
    from periods
    cross join parameters
    inner join baselines
        on baselines.project_code = periods.project_code
    left join projects
        on projects.project_code = periods.project_code
    left join fx_rates
        on fx_rates.period = periods.period
        and fx_rates.from_currency = projects.currency
    left join planned
        on planned.project_code = periods.project_code
        and planned.period = periods.period
    left join earned
        on earned.project_code = periods.project_code
        and earned.period = periods.period
    left join actuals
        on actuals.project_code = periods.project_code
        and actuals.period = periods.period
    left join schedule
        on schedule.project_code = periods.project_code
        and schedule.period = periods.period

),

with_previous as (

    select
        *,
        lag(pv_native) over (partition by project_code order by period_index) as previous_pv_native,
        lag(ev_native) over (partition by project_code order by period_index) as previous_ev_native,
        lag(ac) over (partition by project_code order by period_index) as previous_ac,
        row_number() over (partition by project_code order by period_index) as period_position
    from joined

)

select
    project_code,
    period,
    status_date,
    currency,
    bac,
    pv,
    ev,
    ac,
    es,
    {{ adapter.quote("at") }},
    sv_t,
    spi_t,
    ieac_t,
    forecast_finish_date,
    programme,
    portfolio,
    project_currency,
    fx_rate,
    bac_native,
    pv_native,
    ev_native,
    ac_labour,
    ac_non_labour,
    ledger_labour,
    ev_status_date,
    baseline_status_date,
    planned_duration_periods,
    baseline_version,
    {{ to_money('(pv_native - coalesce(previous_pv_native, 0)) * fx_rate') }} as pv_period,
    {{ to_money('(ev_native - coalesce(previous_ev_native, 0)) * fx_rate') }} as ev_period,
    {{ to_money('ac - case when period_position = 1 then 0 else previous_ac end') }} as ac_period,
    etc_bottom_up,
    cast(coalesce(bei_tasks_finished, 0) as {{ dbt.type_int() }}) as bei_tasks_finished,
    cast(coalesce(bei_tasks_due, 0) as {{ dbt.type_int() }}) as bei_tasks_due
from with_previous
