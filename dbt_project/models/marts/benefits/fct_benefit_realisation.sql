{#-
    Planned and realised values of each benefit for every period of the benefits register, by period
    and cumulatively, with its realisation under both named definitions:

      realisation_pct_to_date         sum realised to date / sum planned to date x 100, over the same
                                      periods (the register's periods up to this one)
      realisation_pct_against_target  sum realised to date / target value x 100

    Monetary benefits are amounts per period and the sums are of those amounts (in the benefit's own
    currency for the percentages, so exchange rates do not move them; in the reporting currency for the
    *_amount columns). Non-monetary benefits are measured levels, so the same definitions are applied
    to the improvement over the baseline (see int_benefits_converted): to date = sum of realised
    improvements / sum of planned improvements; against target = this period's realised improvement /
    the target improvement (a sum of levels cannot be compared with a level). Monetary and non-monetary
    figures are in separate columns and are never added together. Dis-benefits keep their magnitudes
    here (a 100 % realised dis-benefit happened as planned); the net_* columns carry them negative, for
    netting. Percentages are NULL after the reporting period and where the denominator is 0.
-#}
with benefits as (

    select * from {{ ref('int_benefits_converted') }}

),

accumulated as (

    select
        *,
        sum(coalesce(planned_value, 0)) over benefit_to_date as planned_value_to_date,
        sum(coalesce(realised_value, 0)) over benefit_to_date as realised_value_to_date,
        sum(planned_amount) over benefit_to_date as planned_amount_to_date,
        sum(realised_amount) over benefit_to_date as realised_amount_to_date,
        count(*) over benefit_to_date as periods_to_date,
        count(planned_amount) over benefit_to_date as converted_planned_to_date,
        sum(planned_improvement) over benefit_to_date as planned_improvement_to_date,
        sum(realised_improvement) over benefit_to_date as realised_improvement_to_date
    from benefits
    window benefit_to_date as (
        partition by benefit_id
        order by period
        rows between unbounded preceding and current row
    )

)

select
    benefit_id,
    period,
    project_code,
    benefit_name,
    category,
    is_monetary,
    is_disbenefit,
    measure,
    unit,
    is_future_period,
    is_realisation_reported,
    currency,
    planned_amount,
    realised_amount,
    {{ to_money('case when converted_planned_to_date = periods_to_date then planned_amount_to_date end') }} as planned_amount_to_date,
    {{ to_money('case when not is_future_period and converted_planned_to_date = periods_to_date then realised_amount_to_date end') }} as realised_amount_to_date,
    target_amount,
    {{ to_money('sign * planned_amount') }} as net_planned_amount,
    {{ to_money('sign * realised_amount') }} as net_realised_amount,
    {{ to_money('case when converted_planned_to_date = periods_to_date then sign * planned_amount_to_date end') }} as net_planned_amount_to_date,
    {{ to_money('case when not is_future_period and converted_planned_to_date = periods_to_date then sign * realised_amount_to_date end') }} as net_realised_amount_to_date,
    baseline_value,
    target_value,
    planned_value,
    realised_value,
    case when is_monetary then planned_value_to_date end as planned_value_to_date,
    case when is_monetary and not is_future_period then realised_value_to_date end as realised_value_to_date,
    planned_improvement,
    realised_improvement,
    planned_improvement_to_date,
    case when not is_future_period then realised_improvement_to_date end as realised_improvement_to_date,
    target_improvement,
    case
        when is_future_period then null
        when is_monetary then {{ realisation_pct('realised_value_to_date', 'planned_value_to_date') }}
        else {{ realisation_pct('realised_improvement_to_date', 'planned_improvement_to_date') }}
    end as realisation_pct_to_date,
    case
        when is_future_period then null
        when is_monetary then {{ realisation_pct('realised_value_to_date', 'target_value') }}
        else {{ realisation_pct('realised_improvement', 'target_improvement') }}
    end as realisation_pct_against_target,
    value_currency,
    fx_rate,
    target_fx_rate,
    fx_rate_missing
from accumulated
