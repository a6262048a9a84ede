{{ config(meta={'dagster': {'ref': {'name': 'fct_earned_value'}}}) }}
{#-
    Gate (docs/evm.md §1.3, issue 5): a task's percent complete never falls from one schedule snapshot to the
    next unless the project was re-baselined in between (the task's baseline_version changed). EV going
    backwards without a re-baseline means a bad export or a silent restatement, so the run stops.
    Snapshots up to the reporting period's end only. Returns the offending task rows with both snapshots.
-#}
with snapshots as (

    select
        project_code,
        task_code,
        status_date,
        percent_complete,
        baseline_version,
        source_file,
        source_row,
        lag(status_date) over by_task as previous_status_date,
        lag(percent_complete) over by_task as previous_percent_complete,
        lag(baseline_version) over by_task as previous_baseline_version
    from {{ ref('stg_raw__tasks') }}
    where status_date <= (select max(earned_value.status_date) from {{ ref('fct_earned_value') }} as earned_value)
    window by_task as (partition by project_code, task_code order by status_date)

)

select *
from snapshots
where previous_percent_complete is not null
    and percent_complete < previous_percent_complete
    and coalesce(baseline_version, '') = coalesce(previous_baseline_version, '')
