{#-
    Cumulative planned value (PV) of each project at the end of every period of its grid, in the
    project currency: the sum of its current-baseline tasks' PV (int_task_planned_values_spread; 0 for
    a project without baseline tasks). bei_tasks_due counts the baseline tasks due by the period end
    (baseline finish on or before it), level-of-effort tasks excepted: the denominator of BEI.
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}

),

task_planned as (

    select * from {{ ref('int_task_planned_values_spread') }}

),

spread as (

    select
        project_code,
        period,
        sum(planned_value_native) as planned_value,
        sum(case when is_due and not coalesce(ev_method_applied = 'loe', false) then 1 else 0 end) as tasks_due
    from task_planned
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
    {{ to_money('coalesce(spread.planned_value, 0)') }} as planned_value_native,
    cast(coalesce(spread.tasks_due, 0) as {{ dbt.type_int() }}) as bei_tasks_due
from periods
left join spread
    on spread.project_code = periods.project_code
    and spread.period = periods.period
