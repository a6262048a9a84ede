{#-
    The measures of each task at every reported period of its project: the input of
    fct_task_earned_value. The tasks are those of the current baseline and those of any snapshot EV is
    read from in a reported period, each on every reported period, so that at every period the tasks'
    BAC, PV, EV and AC add up to the project's (the project's AC also holds lines booked to no task
    or to a task code the schedules do not have):
      bac, pv      from the current baseline (0 for a task not in it)
      ev           from the period's EV snapshot (0 for a task not in it)
      ac, ac_hours the cost lines and approved hours booked to the task code, cumulative
    BAC, PV and EV are computed in the project currency and converted at the rate of the row's period.
    Period values: pv_period and ev_period are the change in the native cumulative value since the
    previous period, at this period's rate; ac_period and ac_hours_period the change in the cumulative
    value. In a project's first period they are the cumulative values.
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

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

),

planned as (

    select * from {{ ref('int_task_planned_values_spread') }}

),

earned as (

    select * from {{ ref('int_task_earned_values_measured') }}

),

costs as (

    select * from {{ ref('int_task_actual_costs_accumulated') }}

),

task_keys as (

    select project_code, task_code from baseline_tasks
    union
    select project_code, task_code from earned

),

latest_earned as (

    select
        project_code,
        task_code,
        task_name,
        parent_task_code,
        is_milestone,
        ev_method,
        row_number() over (partition by project_code, task_code order by period_index desc) as recency
    from earned

),

joined as (

    select
        periods.project_code,
        task_keys.task_code,
        periods.period,
        periods.period_end as status_date,
        periods.period_index,
        parameters.reporting_currency as currency,
        case when baseline_tasks.task_code is not null then baseline_tasks.task_name else latest_earned.task_name end
            as task_name,
        case when baseline_tasks.task_code is not null then baseline_tasks.parent_task_code else latest_earned.parent_task_code end
            as parent_task_code,
        case when baseline_tasks.task_code is not null then baseline_tasks.is_milestone else latest_earned.is_milestone end
            as is_milestone,
        case when earned.task_code is not null then earned.ev_method else baseline_tasks.ev_method end as ev_method,
        earned.ev_method_applied,
        planned.pv_method,
        baseline_tasks.baseline_version,
        baseline_tasks.task_code is not null as is_in_current_baseline,
        earned.task_code is not null as is_in_ev_snapshot,
        earned.ev_status_date,
        earned.percent_complete,
        earned.actual_start,
        earned.actual_finish,
        coalesce(earned.is_started, false) as is_started,
        coalesce(earned.is_finished, false) as is_finished,
        baseline_tasks.baseline_start,
        baseline_tasks.baseline_finish,
        projects.currency as project_currency,
        fx_rates.fx_rate,
        {{ to_money('coalesce(baseline_tasks.baseline_cost, 0)') }} as bac_native,
        {{ to_money('coalesce(planned.planned_value_native, 0)') }} as pv_native,
        {{ to_money('coalesce(earned.earned_value_native, 0)') }} as ev_native,
        case when costs.project_code is null then {{ to_money('0') }} else costs.ac end as ac,
        case when costs.project_code is null then cast(0 as {{ type_index() }}) else costs.ac_hours end as ac_hours
    from task_keys
    inner join periods
        on periods.project_code = task_keys.project_code
    cross join parameters
    left join projects
        on projects.project_code = task_keys.project_code
    left join fx_rates
        on fx_rates.period = periods.period
        and fx_rates.from_currency = projects.currency
    left join baseline_tasks
        on baseline_tasks.project_code = task_keys.project_code
        and baseline_tasks.task_code = task_keys.task_code
    left join planned
        on planned.project_code = task_keys.project_code
        and planned.task_code = task_keys.task_code
        and planned.period = periods.period
    left join earned
        on earned.project_code = task_keys.project_code
        and earned.task_code = task_keys.task_code
        and earned.period = periods.period
    left join latest_earned
        on latest_earned.project_code = task_keys.project_code
        and latest_earned.task_code = task_keys.task_code
        and latest_earned.recency = 1
    left join costs
        on costs.project_code = task_keys.project_code
        and costs.task_code = task_keys.task_code
        and costs.period = periods.period

),

with_previous as (

    select
        *,
        lag(pv_native) over (partition by project_code, task_code order by period_index) as previous_pv_native,
        lag(ev_native) over (partition by project_code, task_code order by period_index) as previous_ev_native,
        lag(ac) over (partition by project_code, task_code order by period_index) as previous_ac,
        lag(ac_hours) over (partition by project_code, task_code order by period_index) as previous_ac_hours,
        row_number() over (partition by project_code, task_code order by period_index) as period_position
    from joined

)

select
    project_code,
    task_code,
    period,
    status_date,
    currency,
    task_name,
    parent_task_code,
    is_milestone,
    ev_method,
    ev_method_applied,
    pv_method,
    baseline_version,
    is_in_current_baseline,
    is_in_ev_snapshot,
    ev_status_date,
    percent_complete,
    actual_start,
    actual_finish,
    is_started,
    is_finished,
    baseline_start,
    baseline_finish,
    {{ to_money('bac_native * fx_rate') }} as bac,
    {{ to_money('pv_native * fx_rate') }} as pv,
    {{ to_money('ev_native * fx_rate') }} as ev,
    ac,
    {{ to_money('(pv_native - coalesce(previous_pv_native, 0)) * fx_rate') }} as pv_period,
    {{ to_money('(ev_native - coalesce(previous_ev_native, 0)) * fx_rate') }} as ev_period,
    {{ to_money('ac - case when period_position = 1 then 0 else previous_ac end') }} as ac_period,
    ac_hours,
    cast(ac_hours - coalesce(previous_ac_hours, 0) as {{ type_index() }}) as ac_hours_period,
    project_currency,
    fx_rate,
    bac_native,
    pv_native,
    ev_native
from with_previous
