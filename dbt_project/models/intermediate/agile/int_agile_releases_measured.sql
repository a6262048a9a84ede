{#-
    The AgileEVM inputs (Sulaiman, Barton and Blackburn 2006) of every release of each agile or hybrid
    project at every period of fct_earned_value, read from the latest work-items snapshot on or before
    the period's end (a period before the first snapshot has no rows). Items without a release are
    grouped under 'unassigned'; an item without story points counts 0 points.

      planned_release_points  PRP: the story points of all the release's items in the snapshot (so scope
                              added or removed changes it, as AgileEVM prescribes)
      points_done             points of the release's items whose status category is done
      sprints_elapsed         distinct sprints named on the release's done items in the snapshot
      sprints_planned         from the var agile_planned_sprints ({project_code: {release: n}}) when it
                              names the release; otherwise derived: the distinct sprints named on the
                              release's items in the latest snapshot on or before the end of the
                              reporting period (done, in progress and already-planned items), which is
                              the same for every period. The source is in sprints_planned_source.
    The project's BAC and AC at the period come from fct_earned_value (reporting currency).
-#}
{%- set planned_sprints = var('agile_planned_sprints', {}) or {} -%}
{%- set planned_selects = [] -%}
{%- for project_code, releases in planned_sprints.items() -%}
    {%- for release, sprints in releases.items() -%}
        {%- do planned_selects.append(
            "select cast('" ~ (project_code | string | replace("'", "''")) ~ "' as " ~ dbt.type_string() ~ ") as project_code, "
            ~ "cast('" ~ (release | string | replace("'", "''")) ~ "' as " ~ dbt.type_string() ~ ") as release, "
            ~ "cast(" ~ (sprints | int) ~ " as " ~ dbt.type_int() ~ ") as sprints_planned"
        ) -%}
    {%- endfor -%}
{%- endfor -%}

with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

agile_projects as (

    select project_code
    from {{ ref('stg_raw__projects') }}
    where methodology in ('agile', 'hybrid')

),

periods as (

    select
        earned.project_code,
        earned.period,
        earned.status_date,
        earned.currency,
        earned.bac,
        earned.ac,
        earned.cpi,
        earned.spi,
        earned.spi_t
    from {{ ref('fct_earned_value') }} as earned
    inner join agile_projects
        on agile_projects.project_code = earned.project_code

),

items as (

    select
        work_items.project_code,
        work_items.status_date,
        work_items.item_key,
        coalesce(nullif(trim(work_items.release), ''), 'unassigned') as release,
        nullif(trim(work_items.sprint), '') as sprint,
        coalesce(work_items.story_points, 0) as story_points,
        work_items.status_category
    from {{ ref('stg_raw__work_items') }} as work_items
    inner join agile_projects
        on agile_projects.project_code = work_items.project_code

),

snapshots as (

    select distinct
        project_code,
        status_date
    from items

),

period_snapshots as (

    select
        periods.project_code,
        periods.period,
        max(snapshots.status_date) as work_items_status_date
    from periods
    inner join snapshots
        on snapshots.project_code = periods.project_code
        and snapshots.status_date <= periods.status_date
    group by
        periods.project_code,
        periods.period

),

plan_snapshots as (

    select
        snapshots.project_code,
        max(snapshots.status_date) as plan_status_date
    from snapshots
    cross join parameters
    where snapshots.status_date <= parameters.reporting_period_end
    group by snapshots.project_code

),

derived_plans as (

    select
        items.project_code,
        items.release,
        count(distinct items.sprint) as sprints_planned
    from items
    inner join plan_snapshots
        on plan_snapshots.project_code = items.project_code
        and plan_snapshots.plan_status_date = items.status_date
    group by
        items.project_code,
        items.release

),

configured_plans as (

    {%- if planned_selects %}
    {{ planned_selects | join('\n    union all\n    ') }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as project_code,
            cast(null as {{ dbt.type_string() }}) as release,
            cast(null as {{ dbt.type_int() }}) as sprints_planned
        where 1 = 0
    {%- endif %}

),

release_measures as (

    select
        period_snapshots.project_code,
        period_snapshots.period,
        period_snapshots.work_items_status_date,
        items.release,
        count(*) as item_count,
        sum(case when items.status_category = 'done' then 1 else 0 end) as items_done,
        sum(items.story_points) as planned_release_points,
        sum(case when items.status_category = 'done' then items.story_points else 0 end) as points_done,
        count(distinct case when items.status_category = 'done' then items.sprint end) as sprints_elapsed
    from period_snapshots
    inner join items
        on items.project_code = period_snapshots.project_code
        and items.status_date = period_snapshots.work_items_status_date
    group by
        period_snapshots.project_code,
        period_snapshots.period,
        period_snapshots.work_items_status_date,
        items.release

)

select
    release_measures.project_code,
    release_measures.release,
    release_measures.period,
    periods.status_date,
    periods.currency,
    release_measures.work_items_status_date,
    release_measures.item_count,
    release_measures.items_done,
    cast(release_measures.planned_release_points as {{ type_index() }}) as planned_release_points,
    cast(release_measures.points_done as {{ type_index() }}) as points_done,
    cast(coalesce(configured_plans.sprints_planned, derived_plans.sprints_planned) as {{ dbt.type_int() }}) as sprints_planned,
    case
        when configured_plans.sprints_planned is not null then 'var'
        when derived_plans.sprints_planned is not null then 'derived'
    end as sprints_planned_source,
    cast(release_measures.sprints_elapsed as {{ dbt.type_int() }}) as sprints_elapsed,
    periods.bac as project_bac,
    periods.ac as project_ac,
    periods.cpi as evm_cpi,
    periods.spi as evm_spi,
    periods.spi_t as evm_spi_t
from release_measures
inner join periods
    on periods.project_code = release_measures.project_code
    and periods.period = release_measures.period
left join configured_plans
    on configured_plans.project_code = release_measures.project_code
    and configured_plans.release = release_measures.release
left join derived_plans
    on derived_plans.project_code = release_measures.project_code
    and derived_plans.release = release_measures.release
