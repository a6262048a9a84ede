{#-
    Open-risk exposure of each project at every period of fct_earned_value, in the reporting currency:
    the sum of probability x impact cost over the open, quantified risks of the latest register snapshot
    on or before the period's end, and that sum as a percentage of the project's BAC. A project with no
    snapshot yet has 0 open risks and 0 exposure. Exposure is NULL when an open quantified risk could
    not be converted (never a smaller number).
-#}
with periods as (

    select
        project_code,
        period,
        status_date,
        currency,
        bac,
        programme,
        portfolio
    from {{ ref('fct_earned_value') }}

),

risks as (

    select * from {{ ref('int_risks_snapshotted') }}

),

summed as (

    select
        project_code,
        period,
        max(risk_status_date) as risk_status_date,
        sum(case when is_open then 1 else 0 end) as open_risks,
        sum(case when is_open and not is_quantified then 1 else 0 end) as unquantified_open_risks,
        sum(case when is_open and fx_rate_missing then 1 else 0 end) as unconverted_open_risks,
        sum(case when is_open and is_quantified then exposure end) as exposure,
        max(case when is_open and is_quantified then exposure end) as max_risk_exposure,
        sum(case when is_open and is_quantified then impact_cost end) as impact_cost
    from risks
    group by
        project_code,
        period

)

select
    periods.project_code,
    periods.period,
    periods.status_date,
    periods.currency,
    periods.programme,
    periods.portfolio,
    summed.risk_status_date,
    coalesce(summed.open_risks, 0) as open_risks,
    coalesce(summed.unquantified_open_risks, 0) as unquantified_open_risks,
    {{ to_money('case when coalesce(summed.unconverted_open_risks, 0) = 0 then coalesce(summed.exposure, 0) end') }} as exposure,
    {{ to_money('case when coalesce(summed.unconverted_open_risks, 0) = 0 then summed.max_risk_exposure end') }} as max_risk_exposure,
    {{ to_money('case when coalesce(summed.unconverted_open_risks, 0) = 0 then coalesce(summed.impact_cost, 0) end') }} as impact_cost,
    periods.bac
from periods
left join summed
    on summed.project_code = periods.project_code
    and summed.period = periods.period
