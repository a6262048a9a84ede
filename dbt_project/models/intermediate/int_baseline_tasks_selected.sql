{#-
    The current baseline of each project: the non-summary tasks of its latest schedule snapshot with a
    status date on or before the end of the reporting period.
-#}
with tasks as (

    select * from {{ ref('int_tasks_classified') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

baseline_snapshots as (

    select
        tasks.project_code,
        max(tasks.status_date) as baseline_status_date
    from tasks
    cross join parameters
    where tasks.status_date <= parameters.reporting_period_end
    group by tasks.project_code

)

select
    tasks.project_code,
    tasks.task_code,
    baseline_snapshots.baseline_status_date,
    tasks.task_name,
    tasks.parent_task_code,
    tasks.is_milestone,
    tasks.ev_method,
    tasks.ev_method_applied,
    tasks.baseline_version,
    tasks.baseline_start,
    tasks.baseline_finish,
    tasks.baseline_cost
from tasks
inner join baseline_snapshots
    on baseline_snapshots.project_code = tasks.project_code
    and baseline_snapshots.baseline_status_date = tasks.status_date
where not tasks.is_summary
