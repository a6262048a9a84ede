{#-
    The project register with each project's current baseline (as of the reporting period). Names of
    people (sponsor, manager) are personal data and stay out: only whether one is recorded.
-#}
with projects as (

    select * from {{ ref('stg_raw__projects') }}

),

baselines as (

    select * from {{ ref('int_project_baselines_summarised') }}

)

select
    projects.project_code,
    projects.project_name,
    projects.programme,
    projects.portfolio,
    projects.methodology,
    projects.currency,
    projects.status,
    projects.start_date,
    projects.planned_finish_date,
    coalesce(trim(projects.manager) <> '', false) as has_manager,
    coalesce(trim(projects.sponsor) <> '', false) as has_sponsor,
    baselines.first_baseline_period,
    baselines.last_baseline_period,
    baselines.planned_duration_periods,
    baselines.bac_native,
    baselines.baseline_status_date,
    baselines.baseline_start_date,
    baselines.baseline_finish_date,
    coalesce(baselines.baseline_task_count, 0) as baseline_task_count,
    baselines.baseline_version
from projects
left join baselines
    on baselines.project_code = projects.project_code
