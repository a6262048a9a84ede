{#-
    Every open risk at the reporting period, placed on the 5 x 5 probability x impact matrix the
    portfolio pack's heat map draws (docs/risk-matrix.md). The risks are those of each project's latest
    register snapshot on or before the period's end (int_risks_snapshotted; a NULL status is open).

      probability_band  1-5: probability < 0.2, < 0.4, < 0.6, < 0.8, otherwise 5
      cost_impact_band  1-5 from impact cost as a percentage of the project's BAC at the period:
                        < 1 %, < 10 %, < 20 %, < 40 %, otherwise 5
      time_impact_band  1-5 from impact days as a percentage of the project's baseline duration:
                        < 1 %, < 5 %, < 10 %, < 20 %, otherwise 5
      impact_band       the larger of the two (a risk is rated on the objective it hurts most)
      risk_score        the matrix's score: probability weight (0.1, 0.3, 0.5, 0.7, 0.9) x impact
                        weight (0.05, 0.1, 0.2, 0.4, 0.8)
      risk_zone         'high' for a score >= 0.18, 'moderate' for >= 0.05, otherwise 'low'

    The bands follow the PMBOK Guide's example impact scales and matrix (4th edition, figures 11-5 and
    11-10); "insignificant" is taken as under 1 %. A risk without a probability, or without both an impact
    cost (with a BAC to compare it to) and impact days (with a baseline duration), is not on the matrix:
    its bands, score and zone are NULL and is_on_matrix is false. Owners (names) are not carried.
-#}
with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

risks as (

    select
        risks.*,
        parameters.reporting_currency as currency
    from {{ ref('int_risks_snapshotted') }} as risks
    inner join parameters
        on parameters.reporting_period = risks.period
    where risks.is_open

),

earned_value as (

    select
        project_code,
        period,
        bac
    from {{ ref('fct_earned_value') }}

),

projects as (

    select
        project_code,
        baseline_start_date,
        baseline_finish_date
    from {{ ref('dim_project') }}

),

measured as (

    select
        risks.*,
        earned_value.bac,
        {{ days_between('projects.baseline_start_date', 'projects.baseline_finish_date') }} as baseline_duration_days,
        {{ safe_divide('risks.impact_cost', 'earned_value.bac') }} * 100 as impact_pct_of_bac,
        {{ safe_divide(
            'risks.impact_days',
            days_between('projects.baseline_start_date', 'projects.baseline_finish_date')
        ) }} * 100 as impact_pct_of_duration
    from risks
    left join earned_value
        on earned_value.project_code = risks.project_code
        and earned_value.period = risks.period
    left join projects
        on projects.project_code = risks.project_code

),

banded as (

    select
        *,
        case
            when probability is null then null
            when probability < 0.2 then 1
            when probability < 0.4 then 2
            when probability < 0.6 then 3
            when probability < 0.8 then 4
            else 5
        end as probability_band,
        case
            when impact_pct_of_bac is null then null
            when impact_pct_of_bac < 1 then 1
            when impact_pct_of_bac < 10 then 2
            when impact_pct_of_bac < 20 then 3
            when impact_pct_of_bac < 40 then 4
            else 5
        end as cost_impact_band,
        case
            when impact_pct_of_duration is null then null
            when impact_pct_of_duration < 1 then 1
            when impact_pct_of_duration < 5 then 2
            when impact_pct_of_duration < 10 then 3
            when impact_pct_of_duration < 20 then 4
            else 5
        end as time_impact_band
    from measured

),

placed as (

    select
        *,
        case
            when cost_impact_band is null then time_impact_band
            when time_impact_band is null then cost_impact_band
            else greatest(cost_impact_band, time_impact_band)
        end as impact_band
    from banded

),

scored as (

    select
        *,
        -- the weights as decimals, so the score and its zone are exact (0.9 x 0.2 is 0.18, not
        -- 0.18000000000000002); NULL when either band is
        cast((2 * probability_band - 1) / 10.0 as decimal(4, 2))
        * cast(0.05 * power(2, impact_band - 1) as decimal(4, 2)) as risk_score
    from placed

)

select
    project_code,
    risk_id,
    period,
    programme,
    portfolio,
    risk_status_date,
    title,
    category,
    probability,
    currency,
    impact_cost,
    exposure,
    impact_days,
    bac,
    cast(baseline_duration_days as {{ dbt.type_int() }}) as baseline_duration_days,
    cast(impact_pct_of_bac as {{ type_index() }}) as impact_pct_of_bac,
    cast(impact_pct_of_duration as {{ type_index() }}) as impact_pct_of_duration,
    cast(probability_band as {{ dbt.type_int() }}) as probability_band,
    cast(cost_impact_band as {{ dbt.type_int() }}) as cost_impact_band,
    cast(time_impact_band as {{ dbt.type_int() }}) as time_impact_band,
    cast(impact_band as {{ dbt.type_int() }}) as impact_band,
    cast(risk_score as decimal(6, 4)) as risk_score,
    case
        when risk_score is null then null
        when risk_score >= 0.18 then 'high'
        when risk_score >= 0.05 then 'moderate'
        else 'low'
    end as risk_zone,
    risk_score is not null as is_on_matrix,
    raised_date,
    target_date,
    mitigation,
    is_quantified
from scored
