{#-
    Every task of every schedule snapshot, with is_summary set on tasks that are the parent of another
    task in the same snapshot: summary tasks roll up their children's budget and are excluded from
    every BAC, PV and EV sum. earned_value is the task's baseline cost times its percent complete
    (a NULL percent complete counts as 0).
-#}
with tasks as (

    select * from {{ ref('stg_raw__tasks') }}

),

parents as (

    select distinct
        project_code,
        status_date,
        parent_task_code as task_code
    from tasks
    where parent_task_code is not null
      and parent_task_code <> task_code

)

select
    tasks.project_code,
    tasks.status_date,
    tasks.task_code,
    tasks.parent_task_code,
    tasks.task_name,
    tasks.ev_method,
    tasks.baseline_start,
    tasks.baseline_finish,
    tasks.baseline_cost,
    tasks.percent_complete,
    parents.task_code is not null as is_summary,
    {{ to_money('tasks.baseline_cost * coalesce(tasks.percent_complete, 0) / 100') }} as earned_value
from tasks
left join parents
    on parents.project_code = tasks.project_code
    and parents.status_date = tasks.status_date
    and parents.task_code = tasks.task_code
