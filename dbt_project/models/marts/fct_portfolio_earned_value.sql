{#-
    Earned value of each portfolio for every period, in the reporting currency: BAC, PV, EV and AC are
    the sums over the portfolio's projects that have a row in fct_earned_value that period, and every
    index and forecast is recomputed from those sums with the same formulas (a ratio of sums, never an
    average of project ratios). Projects without a portfolio are grouped under 'unassigned'. Earned
    schedule is a per-project measure and is left out.
-#}
with projects as (

    select * from {{ ref('fct_earned_value') }}

),

summed as (

    select
        coalesce(portfolio, 'unassigned') as portfolio,
        period,
        status_date,
        currency,
        count(distinct project_code) as project_count,
        count(*) as project_rows,
        count(bac) as bac_rows,
        count(pv) as pv_rows,
        count(ev) as ev_rows,
        count(ac) as ac_rows,
        sum(bac) as bac,
        sum(pv) as pv,
        sum(ev) as ev,
        sum(ac) as ac
    from projects
    group by
        coalesce(portfolio, 'unassigned'),
        period,
        status_date,
        currency

),

complete_sums as (

    -- a sum that misses a project's figure is NULL rather than silently smaller
    select
        portfolio,
        period,
        status_date,
        currency,
        project_count,
        {{ to_money('case when bac_rows = project_rows then bac end') }} as bac,
        {{ to_money('case when pv_rows = project_rows then pv end') }} as pv,
        {{ to_money('case when ev_rows = project_rows then ev end') }} as ev,
        {{ to_money('case when ac_rows = project_rows then ac end') }} as ac
    from summed

)

select
    portfolio,
    period,
    status_date,
    currency,
    project_count,
    bac,
    pv,
    ev,
    ac,
    {{ evm_performance_columns('bac', 'pv', 'ev', 'ac') }},
    {{ evm_flag_columns('bac', 'pv', 'ev', 'ac') }}
from complete_sums
