{#-
    One row per sprint of each agile or hybrid project, as of the reporting period: the work items that
    name the sprint in the latest snapshot on or before the end of the reporting period, and the
    sprint's content when it first appeared in a snapshot (its commitment as far as monthly snapshots
    can tell). Items without story points count 0 points; items with a blank sprint (the backlog) are
    left out. Sprint dates are not in the contract, so a sprint is dated by its items' resolution dates.
-#}
with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

agile_projects as (

    select project_code
    from {{ ref('stg_raw__projects') }}
    where methodology in ('agile', 'hybrid')

),

items as (

    select
        work_items.project_code,
        work_items.status_date,
        work_items.item_key,
        nullif(trim(work_items.sprint), '') as sprint,
        coalesce(work_items.story_points, 0) as story_points,
        work_items.status_category,
        work_items.resolved_date
    from {{ ref('stg_raw__work_items') }} as work_items
    inner join agile_projects
        on agile_projects.project_code = work_items.project_code
    cross join parameters
    where work_items.status_date <= parameters.reporting_period_end
        and nullif(trim(work_items.sprint), '') is not null

),

latest_snapshots as (

    select
        work_items.project_code,
        max(work_items.status_date) as latest_status_date
    from {{ ref('stg_raw__work_items') }} as work_items
    cross join parameters
    where work_items.status_date <= parameters.reporting_period_end
    group by work_items.project_code

),

first_seen as (

    select
        project_code,
        sprint,
        min(status_date) as first_seen_status_date
    from items
    group by
        project_code,
        sprint

),

committed as (

    select
        items.project_code,
        items.sprint,
        first_seen.first_seen_status_date,
        count(*) as committed_items,
        sum(items.story_points) as committed_points
    from items
    inner join first_seen
        on first_seen.project_code = items.project_code
        and first_seen.sprint = items.sprint
        and first_seen.first_seen_status_date = items.status_date
    group by
        items.project_code,
        items.sprint,
        first_seen.first_seen_status_date

),

latest as (

    select
        items.project_code,
        items.sprint,
        latest_snapshots.latest_status_date,
        count(*) as final_items,
        sum(items.story_points) as final_points,
        sum(case when items.status_category = 'done' then 1 else 0 end) as items_done,
        sum(case when items.status_category = 'done' then items.story_points else 0 end) as points_done,
        min(case when items.status_category = 'done' then items.resolved_date end) as first_resolved_date,
        max(case when items.status_category = 'done' then items.resolved_date end) as last_resolved_date
    from items
    inner join latest_snapshots
        on latest_snapshots.project_code = items.project_code
        and latest_snapshots.latest_status_date = items.status_date
    group by
        items.project_code,
        items.sprint,
        latest_snapshots.latest_status_date

)

select
    committed.project_code,
    committed.sprint,
    committed.first_seen_status_date,
    latest.latest_status_date,
    latest.first_resolved_date,
    latest.last_resolved_date,
    committed.committed_items,
    cast(committed.committed_points as {{ type_index() }}) as committed_points,
    coalesce(latest.final_items, 0) as final_items,
    cast(coalesce(latest.final_points, 0) as {{ type_index() }}) as final_points,
    coalesce(latest.items_done, 0) as items_done,
    cast(coalesce(latest.points_done, 0) as {{ type_index() }}) as points_done
from committed
left join latest
    on latest.project_code = committed.project_code
    and latest.sprint = committed.sprint
