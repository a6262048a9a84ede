{{ config(meta={'dagster': {'ref': {'name': 'fct_earned_value'}}}) }}
{#-
    Reconciliation (issue 5): AC in fct_earned_value equals, per project and period, the labour cost of
    approved timesheet hours (hours x the rate valid that day, the person's own rate before their
    role's) plus the non-labour ledger lines posted by the period's end, each converted to the
    reporting currency at the rate of the month it was worked or posted -- recomputed here from the
    staging models, independently of the intermediate ones, and equal to the cent. A NULL AC (a line
    that could not be priced or converted) must be NULL here too. Returns the rows that disagree.
-#}
with fx as (

    select period, from_currency, to_currency, rate from {{ ref('stg_raw__fx_rates') }}

),

timesheets as (

    select * from {{ ref('stg_raw__timesheets') }}
    where approval_status is null or approval_status = 'approved'

),

rates as (

    select * from {{ ref('stg_raw__rates') }}

),

rate_candidates as (

    select t.timesheet_line_id, 1 as priority, r.valid_from, r.hourly_cost, r.currency
    from timesheets as t
    inner join rates as r
        on r.person_id = t.person_id
        and r.valid_from <= t.work_date and (r.valid_to is null or t.work_date <= r.valid_to)
    union all
    select t.timesheet_line_id, 2 as priority, r.valid_from, r.hourly_cost, r.currency
    from timesheets as t
    inner join rates as r
        on r.person_id is null and lower(trim(r.role)) = lower(trim(t.role))
        and r.valid_from <= t.work_date and (r.valid_to is null or t.work_date <= r.valid_to)

),

chosen_rates as (

    select * from (
        select *, row_number() over (
            partition by timesheet_line_id order by priority, valid_from desc, hourly_cost desc) as n
        from rate_candidates
    ) where n = 1

),

lines as (

    select t.project_code, t.work_date as cost_date, t.hours * r.hourly_cost as amount, r.currency
    from timesheets as t
    left join chosen_rates as r on r.timesheet_line_id = t.timesheet_line_id
    union all
    select project_code, posting_date as cost_date, amount, currency
    from {{ ref('stg_raw__ledger') }}
    where cost_type is null or cost_type <> 'labour'

),

converted as (

    select
        lines.project_code,
        lines.cost_date,
        lines.amount * case
            when lines.currency = '{{ var("reporting_currency") }}' then 1
            when direct.rate is not null then direct.rate
            when inverse.rate is not null and inverse.rate <> 0 then 1 / inverse.rate
        end as amount_reporting
    from lines
    left join fx as direct
        on direct.period = {{ period_label('lines.cost_date') }}
        and direct.from_currency = lines.currency and direct.to_currency = '{{ var("reporting_currency") }}'
    left join fx as inverse
        on inverse.period = {{ period_label('lines.cost_date') }}
        and inverse.to_currency = lines.currency and inverse.from_currency = '{{ var("reporting_currency") }}'

),

expected as (

    select
        f.project_code,
        f.period,
        f.ac,
        case when count(c.cost_date) = count(c.amount_reporting) then coalesce(sum(c.amount_reporting), 0) end
            as expected_ac
    from {{ ref('fct_earned_value') }} as f
    left join converted as c
        on c.project_code = f.project_code and c.cost_date <= f.status_date
    group by f.project_code, f.period, f.ac

)

select project_code, period, ac, expected_ac, ac - expected_ac as difference
from expected
where (ac is null) <> (expected_ac is null)
   or abs(ac - expected_ac) >= 0.005
