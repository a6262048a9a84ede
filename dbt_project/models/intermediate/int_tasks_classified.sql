{#-
    Every task of every schedule snapshot with its place in the WBS, its progress and its earned value
    at the snapshot's status date by the EV technique it declares (docs/evm.md §2).

    is_summary: the task is another task's parent (parent_task_code) in the same snapshot. Summary
    tasks roll up their children and are excluded from every BAC, PV and EV sum, so they earn nothing
    themselves (earned_value and ev_method_applied are NULL).

    Progress at the status date: is_finished = an actual finish on or before it, or 100 % complete;
    is_started = finished, an actual start on or before it, or a percent complete above 0.

    Techniques (ev_method_applied; a NULL ev_method is percent_complete), B = the task's baseline cost:
      0/100              0 until finished, then B
      50/50              B / 2 once started, B once finished
      percent_complete   B x percent_complete / 100 (a NULL percent counts as 0)
      units              the same: the export's percent_complete is taken as units done / units total
      milestone_weights  declared on a work package (a summary task): its milestone children
                         (is_milestone) are its weighted milestones, whatever they declare. A milestone's
                         weight is its share of the package's milestone budget (milestone_weight), so the
                         package earns B_package x the weights of its finished milestones, i.e. each
                         milestone earns its own baseline cost once finished and nothing before. The
                         package's other children earn by their own techniques. Declared on a task
                         without children, the task is its own single milestone: 0/100 on itself.
      apportioned        B x (EV / budget) of its base: the discrete tasks under the same parent (the
                         non-summary siblings that are neither loe nor apportioned), so the factor is
                         B / the base's budget. Without a parent or a base with budget it falls back to
                         percent_complete (ev_method_applied percent_complete).
      loe                EV = PV: earned at each period end from the task's baseline dates, so
                         earned_value here is NULL (see int_task_earned_values_measured).
-#}
with tasks as (

    select * from {{ ref('stg_raw__tasks') }}

),

progressed as (

    select
        project_code,
        status_date,
        task_code,
        parent_task_code,
        task_name,
        coalesce(is_milestone, false) as is_milestone,
        ev_method,
        coalesce(ev_method, 'percent_complete') as declared_method,
        baseline_start,
        baseline_finish,
        baseline_cost,
        percent_complete,
        actual_start,
        actual_finish,
        baseline_version,
        actual_cost,
        remaining_cost,
        {{ task_is_finished('actual_finish', 'percent_complete', 'status_date') }} as is_finished,
        {{ task_is_started('actual_start', 'actual_finish', 'percent_complete', 'status_date') }} as is_started,
        -- The parent to look up: NULL for a task that names itself (no parent, as before). A join key
        -- rather than a one-sided condition in ON keeps the joins below hash joins (a one-sided
        -- predicate in a LEFT JOIN's ON makes DuckDB fall back to a blockwise nested loop).
        case when parent_task_code <> task_code then parent_task_code end as parent_lookup_code
    from tasks

),

children as (

    select
        project_code,
        status_date,
        parent_task_code as task_code,
        sum(case when is_milestone then baseline_cost else 0 end) as milestone_child_cost
    from progressed
    where parent_task_code is not null
        and parent_task_code <> task_code
    group by
        project_code,
        status_date,
        parent_task_code

),

structured as (

    select
        progressed.*,
        own_children.task_code is not null as is_summary,
        coalesce(progressed.is_milestone and parent.declared_method = 'milestone_weights', false)
            as is_weighted_milestone,
        case
            when progressed.is_milestone and parent.declared_method = 'milestone_weights'
                then {{ safe_divide('progressed.baseline_cost', 'parent_children.milestone_child_cost') }}
        end as milestone_weight
    from progressed
    left join children as own_children
        on own_children.project_code = progressed.project_code
        and own_children.status_date = progressed.status_date
        and own_children.task_code = progressed.task_code
    left join progressed as parent
        on parent.project_code = progressed.project_code
        and parent.status_date = progressed.status_date
        and parent.task_code = progressed.parent_lookup_code
    left join children as parent_children
        on parent_children.project_code = progressed.project_code
        and parent_children.status_date = progressed.status_date
        and parent_children.task_code = progressed.parent_lookup_code

),

resolved as (

    select
        *,
        case
            when is_summary then null
            when is_weighted_milestone then 'milestone_weights'
            when declared_method = 'milestone_weights' then '0/100'
            else declared_method
        end as resolved_method
    from structured

),

discretely_earned as (

    select
        *,
        case resolved_method
            when '0/100' then {{ evm_ev_zero_hundred('baseline_cost', 'is_finished') }}
            when '50/50' then {{ evm_ev_fifty_fifty('baseline_cost', 'is_started', 'is_finished') }}
            when 'percent_complete' then {{ evm_ev_percent_complete('baseline_cost', 'percent_complete') }}
            when 'units' then {{ evm_ev_percent_complete('baseline_cost', 'percent_complete') }}
            when 'milestone_weights' then {{ evm_ev_weighted_milestone('baseline_cost', 'is_finished') }}
        end as discrete_earned_value
    from resolved

),

apportionment_bases as (

    select
        project_code,
        status_date,
        parent_task_code,
        sum(baseline_cost) as base_budget,
        sum(discrete_earned_value) as base_earned_value
    from discretely_earned
    where not is_summary
        and resolved_method not in ('loe', 'apportioned')
        and parent_task_code is not null
        and parent_task_code <> task_code
    group by
        project_code,
        status_date,
        parent_task_code

),

applied as (

    select
        discretely_earned.*,
        case
            when discretely_earned.resolved_method = 'apportioned'
                and not coalesce(apportionment_bases.base_budget > 0, false)
                then 'percent_complete'
            else discretely_earned.resolved_method
        end as ev_method_applied,
        -- Only an apportioned task has a base; the condition is here rather than in ON so that the
        -- join stays a hash join (apportionment_bases has one row per key, so no row is repeated).
        case when discretely_earned.resolved_method = 'apportioned'
                then apportionment_bases.base_budget
        end as apportionment_base_budget,
        case when discretely_earned.resolved_method = 'apportioned'
                then apportionment_bases.base_earned_value
        end as apportionment_base_earned_value
    from discretely_earned
    left join apportionment_bases
        on apportionment_bases.project_code = discretely_earned.project_code
        and apportionment_bases.status_date = discretely_earned.status_date
        and apportionment_bases.parent_task_code = discretely_earned.parent_task_code

)

select
    project_code,
    status_date,
    task_code,
    parent_task_code,
    task_name,
    is_milestone,
    ev_method,
    ev_method_applied,
    baseline_start,
    baseline_finish,
    baseline_cost,
    percent_complete,
    actual_start,
    actual_finish,
    baseline_version,
    actual_cost,
    remaining_cost,
    is_summary,
    is_started,
    is_finished,
    milestone_weight,
    case
        when ev_method_applied = 'apportioned'
            then {{ evm_ev_apportioned('baseline_cost', 'apportionment_base_earned_value', 'apportionment_base_budget') }}
        when ev_method_applied = 'percent_complete' and resolved_method = 'apportioned'
            then {{ evm_ev_percent_complete('baseline_cost', 'percent_complete') }}
        else discrete_earned_value
    end as earned_value
from applied
