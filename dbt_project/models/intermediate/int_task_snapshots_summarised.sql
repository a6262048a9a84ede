{#- One row per project schedule snapshot: its budget and earned value over the non-summary tasks. -#}
with tasks as (

    select * from {{ ref('int_tasks_classified') }}

)

select
    project_code,
    status_date,
    count(*) as task_count,
    sum(case when is_summary then 1 else 0 end) as summary_task_count,
    {{ to_money('coalesce(sum(case when not is_summary then baseline_cost end), 0)') }} as budget_at_completion_native,
    {{ to_money('coalesce(sum(case when not is_summary then earned_value end), 0)') }} as earned_value_native
from tasks
group by
    project_code,
    status_date
