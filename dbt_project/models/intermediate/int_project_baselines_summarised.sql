{#-
    One row per project with a current baseline: BAC (in the project currency), the baseline dates,
    the first and last baseline periods (months of the earliest baseline start and of the latest
    baseline finish) and the planned duration PD in periods, both ends included.
-#}
with baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

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
    project_code,
    baseline_status_date,
    baseline_task_count,
    bac_native,
    baseline_start_date,
    baseline_finish_date,
    {{ period_label('baseline_start_date') }} as first_baseline_period,
    {{ period_label('baseline_finish_date') }} as last_baseline_period,
    {{ month_start('baseline_start_date') }} as first_baseline_period_start,
    cast({{ months_between("baseline_start_date", "baseline_finish_date") }} + 1 as {{ dbt.type_int() }}) as planned_duration_periods
from summarised
