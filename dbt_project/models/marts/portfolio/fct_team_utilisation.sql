{#-
    Utilisation by team and by role in every period up to the reporting period, from
    fct_resource_utilisation: one row per grouping (group_type 'team' or 'role'), group and period.
    Sums first, then the ratio: utilisation_pct = the approved hours of the group's people with a
    capacity row / their available hours x 100 (never an average of people's percentages). People
    without a capacity row have no team; their hours are reported apart (hours_without_capacity, under
    their timesheet role, or team 'unassigned'). A person with no team or role is under 'unassigned'.
-#}
with people as (

    select * from {{ ref('fct_resource_utilisation') }}

),

grouped as (

    select
        'team' as group_type,
        coalesce(team, 'unassigned') as group_name,
        period,
        person_id,
        has_capacity,
        available_hours,
        approved_hours,
        is_over_allocated
    from people

    union all

    select
        'role' as group_type,
        coalesce(role, 'unassigned') as group_name,
        period,
        person_id,
        has_capacity,
        available_hours,
        approved_hours,
        is_over_allocated
    from people

),

summed as (

    select
        group_type,
        group_name,
        period,
        sum(case when has_capacity then 1 else 0 end) as people_with_capacity,
        sum(case when has_capacity then available_hours end) as available_hours,
        sum(case when has_capacity then approved_hours end) as approved_hours,
        sum(case when not has_capacity then approved_hours else 0 end) as hours_without_capacity,
        sum(case when is_over_allocated then 1 else 0 end) as over_allocated_people
    from grouped
    group by
        group_type,
        group_name,
        period

)

select
    group_type,
    group_name,
    period,
    cast(people_with_capacity as {{ dbt.type_int() }}) as people_with_capacity,
    cast(coalesce(available_hours, 0) as {{ type_index() }}) as available_hours,
    cast(coalesce(approved_hours, 0) as {{ type_index() }}) as approved_hours,
    cast(hours_without_capacity as {{ type_index() }}) as hours_without_capacity,
    {{ safe_divide('approved_hours', 'available_hours') }} * 100 as utilisation_pct,
    cast(over_allocated_people as {{ dbt.type_int() }}) as over_allocated_people
from summed
