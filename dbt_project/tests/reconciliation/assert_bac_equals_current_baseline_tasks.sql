{{ config(meta={'dagster': {'ref': {'name': 'fct_earned_value'}}}) }}
{#-
    Reconciliation (issue 5): BAC in fct_earned_value equals the sum of the baseline costs of the tasks
    of the project's current baseline -- its latest schedule snapshot on or before the reporting
    period's end -- summary tasks (the parent of another task in the same snapshot) excluded, converted
    from the project's currency at the rate of the row's period, to the cent. Recomputed from staging.
    Returns the rows that disagree.
-#}
with tasks as (

    select * from {{ ref('stg_raw__tasks') }}

),

rows_ as (

    select f.project_code, f.period, f.status_date, f.bac, p.currency as project_currency
    from {{ ref('fct_earned_value') }} as f
    inner join {{ ref('stg_raw__projects') }} as p on p.project_code = f.project_code

),

parameters as (

    -- the mart runs up to the reporting period: its latest status date is the period's end
    select max(status_date) as reporting_period_end from {{ ref('fct_earned_value') }}

),

snapshot as (

    select r.project_code, r.period, max(t.status_date) as snapshot_date
    from rows_ as r
    cross join parameters
    inner join tasks as t
        on t.project_code = r.project_code and t.status_date <= parameters.reporting_period_end
    group by r.project_code, r.period

),

leaf_costs as (

    select s.project_code, s.period, sum(t.baseline_cost) as bac_native
    from snapshot as s
    inner join tasks as t on t.project_code = s.project_code and t.status_date = s.snapshot_date
    where not exists (
            select 1 from tasks as c
            where c.project_code = t.project_code and c.status_date = t.status_date
                and c.parent_task_code = t.task_code and c.task_code <> t.task_code
        )
    group by s.project_code, s.period

),

fx as (

    select period, from_currency, to_currency, rate from {{ ref('stg_raw__fx_rates') }}

),

expected as (

    select
        r.project_code, r.period, r.bac,
        l.bac_native * case
            when r.project_currency = '{{ var("reporting_currency") }}' then 1
            when direct.rate is not null then direct.rate
            when inverse.rate is not null and inverse.rate <> 0 then 1 / inverse.rate
        end as expected_bac
    from rows_ as r
    left join leaf_costs as l on l.project_code = r.project_code and l.period = r.period
    left join fx as direct
        on direct.period = r.period and direct.from_currency = r.project_currency
        and direct.to_currency = '{{ var("reporting_currency") }}'
    left join fx as inverse
        on inverse.period = r.period and inverse.to_currency = r.project_currency
        and inverse.from_currency = '{{ var("reporting_currency") }}'

)

select project_code, period, bac, expected_bac, bac - expected_bac as difference
from expected
where (bac is null) <> (expected_bac is null)
    or abs(bac - expected_bac) >= 0.005
