{#-
    Earned value of each task at the end of every reported period, in the project currency: the
    non-summary tasks of the project's latest snapshot on or before the period end
    (int_progress_snapshots_selected), each earning by its technique (int_tasks_classified). A
    level-of-effort task earns its planned value at the period end (EV = PV), spread linearly over the
    baseline dates and cost that snapshot records for it; every other technique's EV is the one measured
    at the snapshot's status date.
-#}
with progress as (

    select * from {{ ref('int_progress_snapshots_selected') }}
    where ev_status_date is not null

),

tasks as (

    select * from {{ ref('int_tasks_classified') }}
    where not is_summary

)

select
    progress.project_code,
    tasks.task_code,
    progress.period,
    progress.period_end,
    progress.period_index,
    progress.ev_status_date,
    tasks.task_name,
    tasks.parent_task_code,
    tasks.is_milestone,
    tasks.ev_method,
    tasks.ev_method_applied,
    tasks.baseline_start,
    tasks.baseline_finish,
    tasks.baseline_cost,
    tasks.percent_complete,
    tasks.actual_start,
    tasks.actual_finish,
    tasks.is_started,
    tasks.is_finished,
    tasks.remaining_cost,
    case
        when tasks.ev_method_applied = 'loe'
            then {{ evm_ev_level_of_effort(
                'tasks.baseline_cost', 'tasks.baseline_start', 'tasks.baseline_finish', 'progress.period_end'
            ) }}
        else tasks.earned_value
    end as earned_value_native
from progress
inner join tasks
    on tasks.project_code = progress.project_code
    and tasks.status_date = progress.ev_status_date
