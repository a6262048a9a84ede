{#-
    The schedule snapshot progress is read from for each project at the end of every reported period:
    its latest snapshot with a status date on or before the period end (NULL before the first), with
    that snapshot's count of finished tasks (BEI's numerator; 0 before the first snapshot) and its
    bottom-up estimate to complete (NULL before the first snapshot or when an unfinished task lacks a
    remaining cost).
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}
    where is_reported_period

),

snapshots as (

    select * from {{ ref('int_task_snapshots_summarised') }}

),

latest_snapshots as (

    select
        periods.project_code,
        periods.period,
        max(snapshots.status_date) as ev_status_date
    from periods
    left join snapshots
        on snapshots.project_code = periods.project_code
        and snapshots.status_date <= periods.period_end
    group by
        periods.project_code,
        periods.period

)

select
    periods.project_code,
    periods.period,
    periods.period_start,
    periods.period_end,
    periods.period_index,
    latest_snapshots.ev_status_date,
    cast(coalesce(snapshots.bei_tasks_finished, 0) as {{ dbt.type_int() }}) as bei_tasks_finished,
    snapshots.etc_bottom_up_native
from periods
inner join latest_snapshots
    on latest_snapshots.project_code = periods.project_code
    and latest_snapshots.period = periods.period
left join snapshots
    on snapshots.project_code = latest_snapshots.project_code
    and snapshots.status_date = latest_snapshots.ev_status_date
