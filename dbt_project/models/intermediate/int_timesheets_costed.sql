{#-
    Approved timesheet hours priced at the hourly cost valid on the day worked, in the rate's currency.
    Counted hours: approval_status 'approved', or NULL (the source has no approval workflow); submitted
    and rejected hours are left out. A rate is valid on a day when valid_from <= work_date and
    (valid_to is NULL or work_date <= valid_to). A rate for the person (rates.person_id = person_id)
    wins over a rate for their role (rates.person_id NULL, rates.role = role, compared without regard to
    case or surrounding spaces); among rates of the same kind, the latest valid_from wins. Hours with
    no valid rate keep a NULL cost (a data test blocks them).
-#}
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

candidate_rates as (

    select
        timesheets.timesheet_line_id,
        'person' as rate_basis,
        1 as rate_priority,
        rates.valid_from,
        rates.hourly_cost,
        rates.currency
    from timesheets
    inner join rates
        on rates.person_id = timesheets.person_id
        and rates.valid_from <= timesheets.work_date
        and (rates.valid_to is null or timesheets.work_date <= rates.valid_to)

    union all

    select
        timesheets.timesheet_line_id,
        'role' as rate_basis,
        2 as rate_priority,
        rates.valid_from,
        rates.hourly_cost,
        rates.currency
    from timesheets
    inner join rates
        on rates.person_id is null
        and lower(trim(rates.role)) = lower(trim(timesheets.role))
        and rates.valid_from <= timesheets.work_date
        and (rates.valid_to is null or timesheets.work_date <= rates.valid_to)

),

ranked_rates as (

    select
        *,
        row_number() over (
            partition by timesheet_line_id
            order by rate_priority, valid_from desc, hourly_cost desc
        ) as rate_rank
    from candidate_rates

)

select
    timesheets.timesheet_line_id,
    timesheets.work_date,
    {{ period_label('timesheets.work_date') }} as work_period,
    timesheets.project_code,
    timesheets.task_code,
    timesheets.person_id,
    timesheets.role,
    timesheets.hours,
    timesheets.approval_status,
    ranked_rates.rate_basis,
    ranked_rates.valid_from as rate_valid_from,
    ranked_rates.hourly_cost,
    ranked_rates.currency as cost_currency,
    {{ to_money('timesheets.hours * ranked_rates.hourly_cost') }} as labour_cost,
    coalesce(timesheets.work_date <= parameters.reporting_period_end, false) as is_in_reporting_window
from timesheets
cross join parameters
left join ranked_rates
    on ranked_rates.timesheet_line_id = timesheets.timesheet_line_id
    and ranked_rates.rate_rank = 1
