{{ config(schema='restricted') }}
{#-
    fct_resource_utilisation with each person's name: personal data, so it is built in the schema
    restricted, which the publish step does not copy to serving.duckdb or Parquet. The name is the
    person_name of the person's latest timesheet that has one (up to the reporting period).
-#}
with utilisation as (

    select * from {{ ref('fct_resource_utilisation') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

named_timesheets as (

    select
        timesheets.person_id,
        timesheets.person_name,
        timesheets.work_date
    from {{ ref('stg_raw__timesheets') }} as timesheets
    cross join parameters
    where nullif(trim(timesheets.person_name), '') is not null
        and timesheets.work_date <= parameters.reporting_period_end

),

-- The latest day by aggregate, then the first name by order on that day, rather than ranking every
-- timesheet line.
latest_name_days as (

    select
        person_id,
        max(work_date) as work_date
    from named_timesheets
    group by person_id

),

names as (

    select
        named_timesheets.person_id,
        min(named_timesheets.person_name) as person_name
    from named_timesheets
    inner join latest_name_days
        on latest_name_days.person_id = named_timesheets.person_id
        and latest_name_days.work_date = named_timesheets.work_date
    group by named_timesheets.person_id

)

select
    utilisation.person_id,
    names.person_name,
    utilisation.period,
    utilisation.team,
    utilisation.role,
    utilisation.available_hours,
    utilisation.approved_hours,
    utilisation.project_count,
    utilisation.has_capacity,
    utilisation.utilisation_pct,
    utilisation.is_over_allocated,
    utilisation.over_allocated_hours
from utilisation
left join names
    on names.person_id = utilisation.person_id
