{#-
    Data completeness of each project of the register at the reporting period, in the manner of the
    "Projects - No Manager / No Budget / No Planned Benefit ..." tiles of ServiceNow's PMO dashboard.
    A flag is true when the item is MISSING:

      no_manager                       the register names no manager
      no_baseline                      no schedule snapshot on or before the reporting period's end
                                       (so no current baseline)
      no_budget                        no approved budget row with an amount
      no_benefits                      no benefit with a planned value in the benefits register
      no_recent_schedule_snapshot      the latest schedule snapshot is more than var
                                       stale_snapshot_periods (default 2) periods before the reporting
                                       period, or there is none; not raised for closed projects
    missing_item_count counts those five and is_complete is true when it is 0. no_sponsor and
    no_portfolio are reported too but not counted.
-#}
{%- set stale_periods = var('stale_snapshot_periods', 2) | string | trim -%}
{%- if not modules.re.fullmatch('[0-9]+', stale_periods) -%}
    {{ exceptions.raise_compiler_error("var stale_snapshot_periods must be a whole number of periods; got '" ~ stale_periods ~ "'.") }}
{%- endif -%}

with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

projects as (

    select * from {{ ref('stg_raw__projects') }}

),

baselines as (

    select * from {{ ref('int_project_baselines_summarised') }}

),

budgets as (

    select
        project_code,
        count(*) as budget_rows
    from {{ ref('stg_raw__budgets') }}
    where amount is not null
    group by project_code

),

benefits as (

    select
        project_code,
        count(distinct benefit_id) as planned_benefits
    from {{ ref('stg_raw__benefits') }}
    where planned_value is not null
    group by project_code

),

snapshots as (

    select
        tasks.project_code,
        max(tasks.status_date) as latest_schedule_status_date
    from {{ ref('stg_raw__tasks') }} as tasks
    cross join parameters
    where tasks.status_date <= parameters.reporting_period_end
    group by tasks.project_code

),

flagged as (

    select
        projects.project_code,
        parameters.reporting_period as period,
        projects.status,
        snapshots.latest_schedule_status_date,
        {{ months_between('snapshots.latest_schedule_status_date', 'parameters.reporting_period_start') }}
            as schedule_snapshot_age_periods,
        coalesce(trim(projects.manager), '') = '' as no_manager,
        coalesce(trim(projects.sponsor), '') = '' as no_sponsor,
        coalesce(trim(projects.portfolio), '') = '' as no_portfolio,
        baselines.project_code is null as no_baseline,
        budgets.project_code is null as no_budget,
        benefits.project_code is null as no_benefits,
        coalesce(projects.status, '') <> 'closed'
        and coalesce(
            {{ months_between('snapshots.latest_schedule_status_date', 'parameters.reporting_period_start') }}
            > {{ stale_periods }},
            true
        ) as no_recent_schedule_snapshot
    from projects
    cross join parameters
    left join baselines
        on baselines.project_code = projects.project_code
    left join budgets
        on budgets.project_code = projects.project_code
    left join benefits
        on benefits.project_code = projects.project_code
    left join snapshots
        on snapshots.project_code = projects.project_code

)

select
    project_code,
    period,
    status,
    latest_schedule_status_date,
    cast(schedule_snapshot_age_periods as {{ dbt.type_int() }}) as schedule_snapshot_age_periods,
    no_manager,
    no_baseline,
    no_budget,
    no_benefits,
    no_recent_schedule_snapshot,
    no_sponsor,
    no_portfolio,
    cast(
        (case when no_manager then 1 else 0 end)
        + (case when no_baseline then 1 else 0 end)
        + (case when no_budget then 1 else 0 end)
        + (case when no_benefits then 1 else 0 end)
        + (case when no_recent_schedule_snapshot then 1 else 0 end)
        as {{ dbt.type_int() }}
    ) as missing_item_count,
    not (no_manager or no_baseline or no_budget or no_benefits or no_recent_schedule_snapshot) as is_complete  -- noqa: LT01, LT06
from flagged
