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

-- Rates as the rule reads them: a person's own, or (no person) a role's by its trimmed lower-case
-- name; valid from valid_from to valid_to (open-ended when NULL). Exact duplicates count once.
person_rates as (

    select distinct
        person_id, valid_from, coalesce(valid_to, cast('9999-12-31' as date)) as valid_to, hourly_cost, currency
    from {{ ref('stg_raw__rates') }}
    where person_id is not null and valid_from is not null

),

role_rates as (

    select distinct
        lower(trim(role)) as role_key, valid_from, coalesce(valid_to, cast('9999-12-31' as date)) as valid_to,
        hourly_cost, currency
    from {{ ref('stg_raw__rates') }}
    where person_id is null and valid_from is not null

),

-- A line's rate is the valid rate that no other valid rate of the same kind beats (the later
-- valid_from, then the higher cost; currency and valid_to only break exact ties); its role's rate
-- only when the person has no valid rate that day. Written as anti-joins (DuckDB's ANTI JOIN: a hash
-- join, where NOT EXISTS would group every line), a different route from int_timesheets_costed's.
person_priced as (

    select t.project_code, t.work_date, t.hours, r.hourly_cost, r.currency
    from timesheets as t
    inner join person_rates as r
        on r.person_id = t.person_id
        and t.work_date between r.valid_from and r.valid_to
    anti join person_rates as better
        on better.person_id = r.person_id
        and t.work_date between better.valid_from and better.valid_to
        and (better.valid_from, better.hourly_cost, coalesce(better.currency, ''), better.valid_to)
        > (r.valid_from, r.hourly_cost, coalesce(r.currency, ''), r.valid_to)

),

unpriced_by_person as (

    select t.*
    from timesheets as t
    anti join person_rates as own
        on own.person_id = t.person_id
        and t.work_date between own.valid_from and own.valid_to

),

role_priced as (

    select t.project_code, t.work_date, t.hours, r.hourly_cost, r.currency
    from unpriced_by_person as t
    left join role_rates as r
        on r.role_key = lower(trim(t.role))
        and t.work_date between r.valid_from and r.valid_to
    anti join role_rates as better
        on better.role_key = r.role_key
        and t.work_date between better.valid_from and better.valid_to
        and (better.valid_from, better.hourly_cost, coalesce(better.currency, ''), better.valid_to)
        > (r.valid_from, r.hourly_cost, coalesce(r.currency, ''), r.valid_to)

),

lines as (

    select project_code, work_date as cost_date, hours * hourly_cost as amount, currency
    from person_priced
    union all
    select project_code, work_date as cost_date, hours * hourly_cost as amount, currency
    from role_priced
    union all
    select project_code, posting_date as cost_date, amount, currency
    from {{ ref('stg_raw__ledger') }}
    where cost_type is null or cost_type <> 'labour'

),

-- Each project's lines per month and currency: one conversion per month and currency, and
-- fct_earned_value's periods (each ends on its month's last day) sum whole months.
monthly as (

    select
        project_code,
        {{ period_label('cost_date') }} as cost_period,
        currency,
        count(*) as line_count,
        count(amount) as priced_count,
        sum(amount) as amount
    from lines
    group by 1, 2, 3

),

monthly_rates as (

    select
        monthly.*,
        case
            when monthly.currency = '{{ var("reporting_currency") }}' then 1
            when direct.rate is not null then direct.rate
            when inverse.rate is not null and inverse.rate <> 0 then 1 / inverse.rate
        end as fx_rate
    from monthly
    left join fx as direct
        on direct.period = monthly.cost_period
        and direct.from_currency = monthly.currency and direct.to_currency = '{{ var("reporting_currency") }}'
    left join fx as inverse
        on inverse.period = monthly.cost_period
        and inverse.to_currency = monthly.currency and inverse.from_currency = '{{ var("reporting_currency") }}'

),

converted as (

    select
        project_code,
        cost_period,
        line_count,
        case when fx_rate is null then 0 else priced_count end as converted_count,
        amount * fx_rate as amount_reporting
    from monthly_rates

),

expected as (

    select
        f.project_code,
        f.period,
        f.ac,
        case when coalesce(sum(c.line_count), 0) = coalesce(sum(c.converted_count), 0)
                then coalesce(sum(c.amount_reporting), 0)
        end as expected_ac
    from {{ ref('fct_earned_value') }} as f
    left join converted as c
        on c.project_code = f.project_code and c.cost_period <= f.period
    group by f.project_code, f.period, f.ac

)

select project_code, period, ac, expected_ac, ac - expected_ac as difference
from expected
where (ac is null) <> (expected_ac is null)
    or abs(ac - expected_ac) >= 0.005
