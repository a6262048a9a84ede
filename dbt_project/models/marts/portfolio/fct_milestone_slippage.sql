{#-
    Slippage of every milestone (is_milestone) of each project's current baseline, the latest schedule
    snapshot on or before the end of the reporting period: baseline finish against forecast and actual
    finish.

      expected_finish  actual finish, else forecast finish, else baseline finish
      slip_days        expected_finish - baseline finish in calendar days (> 0 late, < 0 early)
      milestone_status achieved_on_time (actual <= baseline), achieved_late, overdue (not achieved and
                       its expected finish is before the snapshot's status date), forecast_late
                       (not achieved, expected after the baseline finish), on_track
-#}
with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

),

tasks as (

    select * from {{ ref('stg_raw__tasks') }}
    where is_milestone

),

milestones as (

    select
        tasks.project_code,
        tasks.task_code,
        tasks.task_name,
        tasks.status_date as schedule_status_date,
        tasks.baseline_finish,
        tasks.forecast_finish,
        tasks.actual_finish,
        coalesce(tasks.actual_finish, tasks.forecast_finish, tasks.baseline_finish) as expected_finish,
        parameters.reporting_period
    from tasks
    inner join baseline_tasks
        on baseline_tasks.project_code = tasks.project_code
        and baseline_tasks.task_code = tasks.task_code
        and baseline_tasks.baseline_status_date = tasks.status_date
    cross join parameters

)

select
    project_code,
    task_code,
    reporting_period as period,
    task_name,
    schedule_status_date,
    baseline_finish,
    forecast_finish,
    actual_finish,
    expected_finish,
    cast({{ days_between('baseline_finish', 'expected_finish') }} as {{ dbt.type_int() }}) as slip_days,
    actual_finish is not null as is_achieved,
    case
        when actual_finish is not null and actual_finish <= baseline_finish then 'achieved_on_time'
        when actual_finish is not null then 'achieved_late'
        when expected_finish < schedule_status_date then 'overdue'
        when expected_finish > baseline_finish then 'forecast_late'
        else 'on_track'
    end as milestone_status
from milestones
