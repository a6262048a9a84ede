{#-
    The four cumulative earned-value measures of each project at every reported period, in the
    reporting currency, with the project's earned schedule: the input of fct_earned_value. BAC, PV and
    EV are computed in the project currency and converted at the rate of the row's period; AC is
    already converted line by line.
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

)

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
    baselines.planned_duration_periods
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
