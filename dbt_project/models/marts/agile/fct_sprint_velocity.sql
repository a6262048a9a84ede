{#-
    Velocity and scope change of every sprint of each agile or hybrid project, as of the reporting
    period (the latest work-items snapshot on or before its end):

      velocity            story points of the sprint's items that are done
      committed_points    the sprint's points when it first appeared in a snapshot
      scope_change_points final points - committed points: items added to or taken out of the sprint,
                          or re-estimated, after it was first seen (monthly snapshots: a sprint that
                          starts and ends between two snapshots shows no change)
      rolling_velocity_3  points done over this sprint and the two before it / the number of those
                          sprints (a ratio of sums)
    Sprints are ordered by their first resolution date, else the snapshot they first appeared in, then
    by name.
-#}
with sprints as (

    select * from {{ ref('int_sprints_summarised') }}

),

sequenced as (

    select
        *,
        row_number() over (
            partition by project_code
            order by coalesce(first_resolved_date, first_seen_status_date), first_seen_status_date, sprint
        ) as sprint_sequence
    from sprints

)

select
    project_code,
    sprint,
    cast(sprint_sequence as {{ dbt.type_int() }}) as sprint_sequence,
    first_seen_status_date,
    latest_status_date,
    first_resolved_date,
    last_resolved_date,
    committed_items,
    committed_points,
    final_items,
    final_points,
    final_points - committed_points as scope_change_points,
    cast(items_done as {{ dbt.type_bigint() }}) as items_done,
    points_done as velocity,
    {{ safe_divide('points_done', 'committed_points') }} * 100 as completion_pct_of_commitment,
    {{ safe_divide(
        'sum(points_done) over (partition by project_code order by sprint_sequence rows between 2 preceding and current row)',
        'count(*) over (partition by project_code order by sprint_sequence rows between 2 preceding and current row)'
    ) }} as rolling_velocity_3
from sequenced
