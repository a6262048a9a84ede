{#-
    Cumulative earned value (EV) of each project at the end of every reported period, in the project
    currency: the sum of its tasks' earned value (int_task_earned_values_measured) from its latest
    schedule snapshot on or before the period end; 0 before the first snapshot. Carries that snapshot's
    finished-task count (BEI's numerator) and bottom-up estimate to complete.
-#}
with progress as (

    select * from {{ ref('int_progress_snapshots_selected') }}

),

task_earned as (

    select * from {{ ref('int_task_earned_values_measured') }}

),

earned as (

    select
        project_code,
        period,
        sum(earned_value_native) as earned_value
    from task_earned
    group by
        project_code,
        period

)

select
    progress.project_code,
    progress.period,
    progress.period_start,
    progress.period_end,
    progress.period_index,
    progress.ev_status_date,
    {{ to_money('coalesce(earned.earned_value, 0)') }} as earned_value_native,
    progress.bei_tasks_finished,
    progress.etc_bottom_up_native
from progress
left join earned
    on earned.project_code = progress.project_code
    and earned.period = progress.period
