{#-
    The four measures the portfolio status rates, for each project at every period of fct_earned_value:

      cpi                                EV / AC (fct_earned_value)
      spi_t                              ES / AT (fct_earned_value), not SPI: SPI tends to 1 as a late
                                         project finishes (docs/evm.md §3)
      benefit_realisation_pct_to_date    net monetary benefits realised / planned over the register's
                                         periods up to this one x 100 (dis-benefits subtracted);
                                         NULL while nothing is planned to date
      risk_exposure_pct_of_bac           open risk exposure / BAC x 100 (int_project_risks_summarised)
      defect_escape_rate_pct,            the quality measures of fct_project_quality (docs/quality-kpi.md),
      first_time_pass_rate_pct,          NULL (not rated) while the project has no quality data: no
      open_critical_defects              defect found and no review held to date; open critical
                                         defects also while an open defect has no severity (it
                                         could be critical)
-#}
with earned as (

    select * from {{ ref('fct_earned_value') }}

),

benefits as (

    select * from {{ ref('int_benefits_converted') }}
    where is_monetary

),

risks as (

    select * from {{ ref('int_project_risks_summarised') }}

),

quality as (

    select * from {{ ref('fct_project_quality') }}
    where has_quality_data

),

benefits_to_date as (

    select
        earned.project_code,
        earned.period,
        count(*) as benefit_rows,
        count(benefits.planned_amount) as converted_rows,
        sum(benefits.sign * benefits.realised_amount) as net_realised,
        sum(benefits.sign * benefits.planned_amount) as net_planned
    from earned
    inner join benefits
        on benefits.project_code = earned.project_code
        and benefits.period <= earned.period
    group by
        earned.project_code,
        earned.period

)

select
    earned.project_code,
    earned.period,
    earned.status_date,
    earned.programme,
    earned.portfolio,
    earned.cpi,
    earned.spi_t,
    {{ to_money('case when benefits_to_date.benefit_rows = benefits_to_date.converted_rows then benefits_to_date.net_realised end') }}
        as net_benefits_realised_to_date,
    {{ to_money('case when benefits_to_date.benefit_rows = benefits_to_date.converted_rows then benefits_to_date.net_planned end') }}
        as net_benefits_planned_to_date,
    case when benefits_to_date.benefit_rows = benefits_to_date.converted_rows
            then {{ realisation_pct('benefits_to_date.net_realised', 'benefits_to_date.net_planned') }}
    end as benefit_realisation_pct_to_date,
    risks.exposure as risk_exposure,
    {{ safe_divide('risks.exposure', 'earned.bac') }} * 100 as risk_exposure_pct_of_bac,
    quality.defect_escape_rate_pct,
    quality.first_time_pass_rate_pct,
    -- an open defect without a severity could be critical: the count is rated only when none is unclassified
    case when quality.open_unclassified_defects = 0 then quality.open_critical_defects end as open_critical_defects
from earned
left join benefits_to_date
    on benefits_to_date.project_code = earned.project_code
    and benefits_to_date.period = earned.period
left join risks
    on risks.project_code = earned.project_code
    and risks.period = earned.period
left join quality
    on quality.project_code = earned.project_code
    and quality.period = earned.period
