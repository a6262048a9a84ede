{#-
    Approved timesheet hours priced at the hourly cost valid on the day worked, in the rate's currency.
    Counted hours: approval_status 'approved', or NULL (the source has no approval workflow); submitted
    and rejected hours are left out. A rate is valid on a day when valid_from <= work_date and
    (valid_to is NULL or work_date <= valid_to). A rate for the person (rates.person_id = person_id)
    wins over a rate for their role (rates.person_id NULL, rates.role = role, compared without regard to
    case or surrounding spaces); among rates of the same kind, the latest valid_from wins. Hours with
    no valid rate keep a NULL cost (a data test blocks them).

    Built by table_by_source_file on DuckDB (macros/materializations.sql): a night's timesheet file prices its
    own rows, and the other files' lines are kept while the rates, the reporting period and the code are the
    same. source_sha256 names each line's landed file for that.
-#}
{{ config(
    materialized=('table_by_source_file' if target.type == 'duckdb' else 'table'),
    file_parent='stg_raw__timesheets',
    file_column='source_sha256',
    file_fingerprint_exclude=['timesheet_line_id', 'loaded_at'],
) }}
with timesheets as (

    select * from {{ ref('stg_raw__timesheets') }}
    where approval_status is null
        or approval_status = 'approved'

),

rates as (

    select * from {{ ref('stg_raw__rates') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

-- The rates as their owner sees them: a person's own rates (by person_id) and the rates of a role
-- (rates without a person, by role compared without regard to case or surrounding spaces).
keyed_rates as (

    select
        'person' as rate_basis,
        person_id as rate_key,
        valid_from,
        valid_to,
        hourly_cost,
        currency
    from rates
    where person_id is not null
        and valid_from is not null

    union all

    select
        'role' as rate_basis,
        lower(trim(role)) as rate_key,
        valid_from,
        valid_to,
        hourly_cost,
        currency
    from rates
    where person_id is null
        and role is not null
        and valid_from is not null

),

-- Which of an owner's rates are valid changes only on a valid_from or the day after a valid_to, so
-- those days cut each owner's time line into segments [segment_start, segment_end) in which the
-- winning rate (the latest valid_from, then the highest cost) is the same every day.
breakpoints as (

    select distinct rate_basis, rate_key, valid_from as segment_start
    from keyed_rates

    union

    select distinct rate_basis, rate_key, cast({{ dbt.dateadd('day', 1, 'valid_to') }} as date) as segment_start
    from keyed_rates
    where valid_to is not null

),

segments as (

    select
        rate_basis,
        rate_key,
        segment_start,
        -- the last segment runs on for ever
        coalesce(
            lead(segment_start) over (partition by rate_basis, rate_key order by segment_start),
            cast('9999-12-31' as date)
        ) as segment_end
    from breakpoints

),

segment_rates as (

    select
        segments.rate_basis,
        segments.rate_key,
        segments.segment_start,
        segments.segment_end,
        keyed_rates.valid_from,
        keyed_rates.hourly_cost,
        keyed_rates.currency,
        row_number() over (
            partition by segments.rate_basis, segments.rate_key, segments.segment_start
            order by keyed_rates.valid_from desc, keyed_rates.hourly_cost desc
        ) as rate_rank
    from segments
    inner join keyed_rates
        on keyed_rates.rate_basis = segments.rate_basis
        and keyed_rates.rate_key = segments.rate_key
        and keyed_rates.valid_from <= segments.segment_start
        and (keyed_rates.valid_to is null or segments.segment_start <= keyed_rates.valid_to)

),

person_rates as (

    select * from segment_rates
    where rate_basis = 'person' and rate_rank = 1

),

role_rates as (

    select * from segment_rates
    where rate_basis = 'role' and rate_rank = 1

),

-- Each line meets at most one segment of its person and one of its role (segments do not overlap):
-- hash joins on the owner with the day inside the segment, rather than every valid rate per line.
priced as (

    select
        timesheets.*,
        case
            when person_rates.rate_key is not null then 'person'
            when role_rates.rate_key is not null then 'role'
        end as rate_basis,
        coalesce(person_rates.valid_from, role_rates.valid_from) as rate_valid_from,
        case when person_rates.rate_key is not null then person_rates.hourly_cost else role_rates.hourly_cost end
            as hourly_cost,
        case when person_rates.rate_key is not null then person_rates.currency else role_rates.currency end
            as rate_currency
    from timesheets
    left join person_rates
        on person_rates.rate_key = timesheets.person_id
        and person_rates.segment_start <= timesheets.work_date
        and timesheets.work_date < person_rates.segment_end
    left join role_rates
        on role_rates.rate_key = lower(trim(timesheets.role))
        and role_rates.segment_start <= timesheets.work_date
        and timesheets.work_date < role_rates.segment_end

)

select
    priced.timesheet_line_id,
    priced.work_date,
    {{ period_label('priced.work_date') }} as work_period,
    priced.project_code,
    priced.task_code,
    priced.person_id,
    priced.role,
    priced.hours,
    priced.approval_status,
    priced.rate_basis,
    priced.rate_valid_from,
    priced.hourly_cost,
    priced.rate_currency as cost_currency,
    {{ to_money('priced.hours * priced.hourly_cost') }} as labour_cost,
    coalesce(priced.work_date <= parameters.reporting_period_end, false) as is_in_reporting_window,
    priced.source_sha256
from priced
cross join parameters
