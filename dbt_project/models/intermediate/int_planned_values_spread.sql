{#-
    Cumulative planned value (PV) of each project at the end of every period of its grid, in the
    project currency. Each current-baseline task's cost is spread linearly over the calendar days from
    its baseline start to its baseline finish, both included: at a period end E the task has planned
    cost x (days from start to E, both included, between 0 and all) / (all its days). A task whose
    finish precedes its start counts as one day long.
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}

),

baseline_tasks as (

    select
        project_code,
        baseline_start,
        baseline_cost,
        greatest({{ days_between('baseline_start', 'baseline_finish') }} + 1, 1) as planned_days
    from {{ ref('int_baseline_tasks_selected') }}

),

task_periods as (

    select
        periods.project_code,
        periods.period,
        baseline_tasks.baseline_cost,
        baseline_tasks.planned_days,
        least(
            greatest({{ days_between('baseline_tasks.baseline_start', 'periods.period_end') }} + 1, 0),
            baseline_tasks.planned_days
        ) as elapsed_days
    from periods
    inner join baseline_tasks
        on baseline_tasks.project_code = periods.project_code

),

spread as (

    select
        project_code,
        period,
        sum(cast(baseline_cost as {{ type_index() }}) * elapsed_days / planned_days) as planned_value
    from task_periods
    group by
        project_code,
        period

)

select
    periods.project_code,
    periods.period,
    periods.period_start,
    periods.period_end,
    periods.period_index,
    periods.is_planned_period,
    periods.is_reported_period,
    {{ to_money('coalesce(spread.planned_value, 0)') }} as planned_value_native
from periods
left join spread
    on spread.project_code = periods.project_code
    and spread.period = periods.period
