{#-
    Every baseline version of each project, one row per project and baseline_version, over the schedule
    snapshots dated on or before the end of the reporting period. A snapshot's version is the one most
    of its measured tasks carry (int_task_snapshots_summarised). The figures are those of the version's
    last snapshot, in the project currency; the change columns compare them with the previous version
    (by first snapshot). is_current marks the version of the current baseline, the one
    fct_earned_value reports against (the latest snapshot on or before the reporting period end).
-#}
with snapshots as (

    select * from {{ ref('int_task_snapshots_summarised') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

projects as (

    select * from {{ ref('stg_raw__projects') }}

),

baselines as (

    select * from {{ ref('int_project_baselines_summarised') }}

),

reported_snapshots as (

    select
        snapshots.*,
        row_number() over (
            partition by snapshots.project_code, snapshots.baseline_version
            order by snapshots.status_date desc
        ) as recency
    from snapshots
    cross join parameters
    where snapshots.status_date <= parameters.reporting_period_end

),

versions as (

    select
        project_code,
        baseline_version,
        min(status_date) as first_status_date,
        max(status_date) as last_status_date,
        count(*) as snapshot_count
    from reported_snapshots
    group by
        project_code,
        baseline_version

),

described as (

    select
        versions.project_code,
        versions.baseline_version,
        row_number() over (
            partition by versions.project_code
            order by versions.first_status_date, versions.last_status_date, versions.baseline_version
        ) as version_sequence,
        versions.first_status_date,
        versions.last_status_date,
        versions.snapshot_count,
        last_snapshot.budget_at_completion_native as bac_native,
        last_snapshot.baseline_start_date,
        last_snapshot.baseline_finish_date,
        last_snapshot.measured_task_count as task_count
    from versions
    inner join reported_snapshots as last_snapshot
        on last_snapshot.project_code = versions.project_code
        and last_snapshot.baseline_version = versions.baseline_version
        and last_snapshot.recency = 1

),

compared as (

    select
        *,
        lag(bac_native) over (partition by project_code order by version_sequence) as previous_bac_native,
        lag(baseline_finish_date) over (partition by project_code order by version_sequence) as previous_baseline_finish_date
    from described

)

select
    compared.project_code,
    compared.baseline_version,
    cast(compared.version_sequence as {{ dbt.type_int() }}) as version_sequence,
    coalesce(compared.baseline_version = baselines.baseline_version, false) as is_current,
    compared.first_status_date,
    compared.last_status_date,
    cast(compared.snapshot_count as {{ dbt.type_int() }}) as snapshot_count,
    projects.currency,
    compared.bac_native,
    compared.baseline_start_date,
    compared.baseline_finish_date,
    case
        when compared.baseline_start_date is not null
            then cast({{ months_between('compared.baseline_start_date', 'compared.baseline_finish_date') }} + 1 as {{ dbt.type_int() }})
    end as planned_duration_periods,
    cast(compared.task_count as {{ dbt.type_int() }}) as task_count,
    {{ to_money('compared.bac_native - compared.previous_bac_native') }} as bac_change_native,
    {{ days_between('compared.previous_baseline_finish_date', 'compared.baseline_finish_date') }} as baseline_finish_change_days
from compared
left join projects
    on projects.project_code = compared.project_code
left join baselines
    on baselines.project_code = compared.project_code
