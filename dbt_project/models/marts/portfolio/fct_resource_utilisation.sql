{#-
    Utilisation of each person in every period up to the reporting period: approved timesheet hours
    (status approved, or none for sources without an approval workflow; submitted and rejected hours
    are left out, as for AC) over the hours the capacity register makes available.

      utilisation_pct    approved_hours / available_hours x 100; NULL without capacity or with 0 hours
                         available
      is_over_allocated  approved hours above available_hours x var over_allocation_threshold_pct / 100
                         (default 100 %); false without a capacity row (it cannot be judged)
    Team and role come from the capacity row (the role from the person's latest timesheet of the period
    when there is none). People are identified by person_id only, a pseudonymous key; names are in
    restricted.restricted_person_utilisation.
-#}
{%- set threshold = var('over_allocation_threshold_pct', 100) | string | trim -%}
{%- if not modules.re.fullmatch('[0-9]*[.]?[0-9]+', threshold) -%}
    {{ exceptions.raise_compiler_error(
        "var over_allocation_threshold_pct must be a positive number of percent (100 = all available hours); got '" ~ threshold ~ "'."
    ) }}
{%- endif -%}

with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

timesheets as (

    select
        timesheets.person_id,
        {{ period_label('timesheets.work_date') }} as period,
        timesheets.work_date,
        timesheets.project_code,
        timesheets.role,
        timesheets.hours
    from {{ ref('stg_raw__timesheets') }} as timesheets
    cross join parameters
    where (timesheets.approval_status is null or timesheets.approval_status = 'approved')
        and timesheets.work_date <= parameters.reporting_period_end

),

-- Hours per person, period and project first: the projects are then counted without a
-- count(distinct) over every timesheet line, and the hours summed from the per-project sums.
project_hours as (

    select
        person_id,
        period,
        project_code,
        sum(hours) as hours
    from timesheets
    group by
        person_id,
        period,
        project_code

),

hours as (

    select
        person_id,
        period,
        sum(hours) as approved_hours,
        count(project_code) as project_count
    from project_hours
    group by
        person_id,
        period

),

-- The role of each person's latest timesheet of the period that names one (the first role by name
-- when that day has several): the latest day by aggregate, then its roles, rather than ranking
-- every timesheet line.
latest_role_days as (

    select
        person_id,
        period,
        max(work_date) as work_date
    from timesheets
    where role is not null
    group by
        person_id,
        period

),

latest_roles as (

    select
        timesheets.person_id,
        timesheets.period,
        min(timesheets.role) as role
    from timesheets
    inner join latest_role_days
        on latest_role_days.person_id = timesheets.person_id
        and latest_role_days.period = timesheets.period
        and latest_role_days.work_date = timesheets.work_date
    where timesheets.role is not null
    group by
        timesheets.person_id,
        timesheets.period

),

capacity as (

    select
        capacity.person_id,
        capacity.period,
        min(capacity.team) as team,
        min(capacity.role) as role,
        sum(capacity.available_hours) as available_hours
    from {{ ref('stg_raw__capacity') }} as capacity
    cross join parameters
    where capacity.period <= parameters.reporting_period
    group by
        capacity.person_id,
        capacity.period

),

joined as (

    select
        coalesce(capacity.person_id, hours.person_id) as person_id,
        coalesce(capacity.period, hours.period) as period,
        capacity.team,
        coalesce(capacity.role, latest_roles.role) as role,
        capacity.available_hours,
        coalesce(hours.approved_hours, 0) as approved_hours,
        coalesce(hours.project_count, 0) as project_count,
        capacity.person_id is not null as has_capacity
    from capacity
    full outer join hours
        on hours.person_id = capacity.person_id
        and hours.period = capacity.period
    left join latest_roles
        on latest_roles.person_id = hours.person_id
        and latest_roles.period = hours.period

)

select
    person_id,
    period,
    team,
    role,
    cast(available_hours as {{ type_index() }}) as available_hours,
    cast(approved_hours as {{ type_index() }}) as approved_hours,
    cast(project_count as {{ dbt.type_int() }}) as project_count,
    has_capacity,
    {{ safe_divide('approved_hours', 'available_hours') }} * 100 as utilisation_pct,
    coalesce(approved_hours > available_hours * {{ threshold }} / 100.0, false) as is_over_allocated,
    cast(case
        when approved_hours > available_hours then approved_hours - available_hours
        when available_hours is not null then 0
    end as {{ type_index() }}) as over_allocated_hours
from joined
