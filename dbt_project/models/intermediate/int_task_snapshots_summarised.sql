{#-
    One row per project schedule snapshot, over its non-summary tasks (the measured tasks):
      budget_at_completion_native   the sum of their baseline cost
      baseline_start/finish_date    their earliest baseline start and latest baseline finish
      baseline_version              the version most of them carry (ties: the greatest name);
                                    'unversioned' when none carries one
      bei_tasks_finished            how many of them, level-of-effort tasks excepted, are finished at the
                                    status date (the numerator of BEI)
      etc_bottom_up_native          the sum of their remaining_cost (the export's bottom-up estimate to
                                    complete), a finished task's missing remaining cost counting as 0;
                                    NULL when an unfinished task has none, so a gap never reads as less
                                    work to do
-#}
with tasks as (

    select * from {{ ref('int_tasks_classified') }}

),

version_counts as (

    select
        project_code,
        status_date,
        baseline_version,
        row_number() over (
            partition by project_code, status_date
            order by count(*) desc, baseline_version desc
        ) as version_rank
    from tasks
    where not is_summary
        and baseline_version is not null
    group by
        project_code,
        status_date,
        baseline_version

),

summarised as (

    select
        project_code,
        status_date,
        count(*) as task_count,
        sum(case when is_summary then 1 else 0 end) as summary_task_count,
        sum(case when not is_summary then 1 else 0 end) as measured_task_count,
        {{ to_money('coalesce(sum(case when not is_summary then baseline_cost end), 0)') }} as budget_at_completion_native,
        min(case when not is_summary then baseline_start end) as baseline_start_date,
        max(case when not is_summary then baseline_finish end) as baseline_finish_date,
        count(distinct case when not is_summary then baseline_version end) as baseline_version_count,
        sum(case when not is_summary and not coalesce(ev_method_applied = 'loe', false) and is_finished then 1 else 0 end)
            as bei_tasks_finished,
        sum(case when not is_summary and not is_finished and remaining_cost is null then 1 else 0 end)
            as unestimated_task_count,
        sum(case when not is_summary then coalesce(remaining_cost, 0) end) as remaining_cost
    from tasks
    group by
        project_code,
        status_date

)

select
    summarised.project_code,
    summarised.status_date,
    summarised.task_count,
    summarised.summary_task_count,
    summarised.measured_task_count,
    summarised.budget_at_completion_native,
    summarised.baseline_start_date,
    summarised.baseline_finish_date,
    coalesce(version_counts.baseline_version, 'unversioned') as baseline_version,
    summarised.baseline_version_count,
    summarised.bei_tasks_finished,
    summarised.unestimated_task_count,
    {{ to_money('case when summarised.measured_task_count > 0 and summarised.unestimated_task_count = 0 then summarised.remaining_cost end') }}
        as etc_bottom_up_native
from summarised
left join version_counts
    on version_counts.project_code = summarised.project_code
    and version_counts.status_date = summarised.status_date
    and version_counts.version_rank = 1
