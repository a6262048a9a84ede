{#-
    One row per project with a current baseline: BAC (in the project currency), the baseline dates,
    the first and last baseline periods (months of the earliest baseline start and of the latest
    baseline finish), the planned duration PD in periods, both ends included, and the baseline version
    of the snapshot the baseline is taken from (int_task_snapshots_summarised).
-#}
with baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

),

snapshots as (

    select * from {{ ref('int_task_snapshots_summarised') }}

),

summarised as (

    select
        project_code,
        baseline_status_date,
        count(*) as baseline_task_count,
        {{ to_money('sum(baseline_cost)') }} as bac_native,
        min(baseline_start) as baseline_start_date,
        max(baseline_finish) as baseline_finish_date
    from baseline_tasks
    group by
        project_code,
        baseline_status_date

)

select
    summarised.project_code,
    summarised.baseline_status_date,
    summarised.baseline_task_count,
    summarised.bac_native,
    summarised.baseline_start_date,
    summarised.baseline_finish_date,
    {{ period_label('summarised.baseline_start_date') }} as first_baseline_period,
    {{ period_label('summarised.baseline_finish_date') }} as last_baseline_period,
    {{ month_start('summarised.baseline_start_date') }} as first_baseline_period_start,
    cast({{ months_between("summarised.baseline_start_date", "summarised.baseline_finish_date") }} + 1 as {{ dbt.type_int() }}) as planned_duration_periods,
    snapshots.baseline_version
from summarised
left join snapshots
    on snapshots.project_code = summarised.project_code
    and snapshots.status_date = summarised.baseline_status_date
