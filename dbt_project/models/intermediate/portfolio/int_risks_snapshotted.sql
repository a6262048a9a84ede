{#-
    Every risk of each project's latest risk-register snapshot on or before the end of every period of
    fct_earned_value (a project's periods from its first baseline period to the reporting period), with
    its exposure in the reporting currency:

      exposure = probability x impact_cost, impact_cost (in the project's currency) converted at the
                 rate of the row's period (int_fx_rates_resolved)

    A risk with a NULL status counts as open. A risk without a probability or an impact cost is
    unquantified: its exposure is NULL and is_quantified false. fx_rate_missing marks a quantified risk
    whose impact could not be converted. Risk owners are people's names and are not carried.
-#}
with periods as (

    select
        project_code,
        period,
        status_date,
        programme,
        portfolio
    from {{ ref('fct_earned_value') }}

),

risks as (

    select * from {{ ref('stg_raw__risks') }}

),

projects as (

    select * from {{ ref('stg_raw__projects') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

snapshots as (

    select distinct
        project_code,
        status_date
    from risks

),

period_snapshots as (

    select
        periods.project_code,
        periods.period,
        max(snapshots.status_date) as risk_status_date
    from periods
    inner join snapshots
        on snapshots.project_code = periods.project_code
        and snapshots.status_date <= periods.status_date
    group by
        periods.project_code,
        periods.period

)

select
    periods.project_code,
    periods.period,
    risks.risk_id,
    periods.status_date,
    period_snapshots.risk_status_date,
    periods.programme,
    periods.portfolio,
    risks.title,
    coalesce(nullif(trim(risks.category), ''), 'uncategorised') as category,
    risks.probability,
    risks.impact_cost as impact_cost_native,
    projects.currency as project_currency,
    risks.impact_days,
    coalesce(risks.status, 'open') as status,
    coalesce(risks.status, 'open') <> 'closed' as is_open,
    risks.raised_date,
    risks.target_date,
    risks.mitigation,
    (risks.probability is not null and risks.impact_cost is not null) as is_quantified,
    fx_rates.fx_rate,
    (risks.probability is not null and risks.impact_cost is not null and fx_rates.fx_rate is null) as fx_rate_missing,
    {{ to_money('risks.impact_cost * fx_rates.fx_rate') }} as impact_cost,
    {{ to_money('risks.probability * risks.impact_cost * fx_rates.fx_rate') }} as exposure
from period_snapshots
inner join periods
    on periods.project_code = period_snapshots.project_code
    and periods.period = period_snapshots.period
inner join risks
    on risks.project_code = period_snapshots.project_code
    and risks.status_date = period_snapshots.risk_status_date
left join projects
    on projects.project_code = periods.project_code
left join fx_rates
    on fx_rates.period = periods.period
    and fx_rates.from_currency = projects.currency
