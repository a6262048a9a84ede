{#-
    Every row of the benefits register (benefit x period) prepared for the benefit marts.

    Monetary benefits (monetary = true) are amounts per period. The register has no currency column, so
    they are taken to be in the project's currency (the demo writes that code as the unit) and are
    converted to the reporting currency with int_fx_rates_resolved: a period up to the reporting period
    at its own month's rate, a later (planned) period at the reporting period's rate, the latest known.
    The target value converts at the reporting period's rate. A missing rate leaves the amount NULL and
    sets fx_rate_missing, so a gap never shows as a smaller number.

    Non-monetary benefits (monetary false or NULL) are measured levels in their own unit (NPS points,
    minutes, incidents). They are never converted or added to money; their progress is the improvement
    over the baseline value in the direction of the target: (value - baseline) x direction, direction
    -1 when the target is below the baseline (a reduction), else +1; a NULL baseline counts as 0.

    A realised value counts only up to the reporting period; an unreported one counts as 0 ("if they
    cannot be measured they cannot be claimed as realised", IPA 2017); realised amounts and improvements
    of later periods are NULL. A blank planned value counts as 0 (nothing planned). sign is -1 for a
    dis-benefit.
-#}
with benefits as (

    select * from {{ ref('stg_raw__benefits') }}

),

projects as (

    select * from {{ ref('stg_raw__projects') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

prepared as (

    select
        benefits.benefit_id,
        benefits.period,
        benefits.project_code,
        benefits.benefit_name,
        benefits.category,
        coalesce(benefits.is_monetary, false) as is_monetary,
        coalesce(benefits.is_disbenefit, false) as is_disbenefit,
        {{ benefit_sign('benefits.is_disbenefit') }} as sign,
        benefits.measure,
        benefits.unit,
        benefits.baseline_value,
        benefits.target_value,
        benefits.planned_value,
        case when benefits.period <= parameters.reporting_period then benefits.realised_value end as realised_value,
        benefits.period > parameters.reporting_period as is_future_period,
        benefits.realised_value is not null and benefits.period <= parameters.reporting_period as is_realisation_reported,
        case when coalesce(benefits.target_value < benefits.baseline_value, false) then -1 else 1 end as direction,
        projects.currency as project_currency,
        case
            when benefits.period > parameters.reporting_period then parameters.reporting_period
            else benefits.period
        end as fx_period,
        parameters.reporting_period,
        parameters.reporting_currency
    from benefits
    cross join parameters
    left join projects
        on projects.project_code = benefits.project_code

)

select
    prepared.benefit_id,
    prepared.period,
    prepared.project_code,
    prepared.benefit_name,
    prepared.category,
    prepared.is_monetary,
    prepared.is_disbenefit,
    prepared.sign,
    prepared.measure,
    prepared.unit,
    prepared.is_future_period,
    prepared.is_realisation_reported,
    prepared.baseline_value,
    prepared.target_value,
    prepared.planned_value,
    prepared.realised_value,
    case when prepared.is_monetary then prepared.project_currency end as value_currency,
    case when prepared.is_monetary then prepared.reporting_currency end as currency,
    case when prepared.is_monetary then period_fx.fx_rate end as fx_rate,
    case when prepared.is_monetary then target_fx.fx_rate end as target_fx_rate,
    coalesce(prepared.is_monetary and (period_fx.fx_rate is null or target_fx.fx_rate is null), false) as fx_rate_missing,
    case when prepared.is_monetary then {{ to_money('coalesce(prepared.planned_value, 0) * period_fx.fx_rate') }} end as planned_amount,
    case when prepared.is_monetary and not prepared.is_future_period
            then {{ to_money('coalesce(prepared.realised_value, 0) * period_fx.fx_rate') }}
    end as realised_amount,
    case when prepared.is_monetary then {{ to_money('prepared.target_value * target_fx.fx_rate') }} end as target_amount,
    prepared.direction,
    case when not prepared.is_monetary
            then (prepared.planned_value - coalesce(prepared.baseline_value, 0)) * prepared.direction
    end as planned_improvement,
    case when not prepared.is_monetary and not prepared.is_future_period
            then coalesce((prepared.realised_value - coalesce(prepared.baseline_value, 0)) * prepared.direction, 0)
    end as realised_improvement,
    case when not prepared.is_monetary
            then (prepared.target_value - coalesce(prepared.baseline_value, 0)) * prepared.direction
    end as target_improvement
from prepared
left join fx_rates as period_fx
    on period_fx.period = prepared.fx_period
    and period_fx.from_currency = prepared.project_currency
left join fx_rates as target_fx
    on target_fx.period = prepared.reporting_period
    and target_fx.from_currency = prepared.project_currency
