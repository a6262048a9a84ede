{#-
    Cumulative planned value (PV) of each task of the current baseline at the end of every period of
    its project's grid, in the project currency. The task's baseline cost is spread linearly over the
    calendar days from its baseline start to its baseline finish, both included: at a period end E it
    has planned cost x (days from start to E, both included, between 0 and all) / (all its days). A
    task whose finish precedes its start counts as one day long. is_due says whether the task's
    baseline finish falls on or before the period end (the denominator of BEI).
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}

),

baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

)

select
    periods.project_code,
    baseline_tasks.task_code,
    periods.period,
    periods.period_start,
    periods.period_end,
    periods.period_index,
    periods.is_planned_period,
    periods.is_reported_period,
    baseline_tasks.ev_method_applied,
    baseline_tasks.baseline_start,
    baseline_tasks.baseline_finish,
    baseline_tasks.baseline_cost,
    baseline_tasks.baseline_finish <= periods.period_end as is_due,
    {{ to_money(evm_linear_planned_value(
        'baseline_tasks.baseline_cost', 'baseline_tasks.baseline_start',
        'baseline_tasks.baseline_finish', 'periods.period_end'
    )) }} as planned_value_native
from periods
inner join baseline_tasks
    on baseline_tasks.project_code = periods.project_code
