{#-
    Benefits and investment appraisal of each project of the register as of the reporting period, in
    the reporting currency. Monetary benefits only (non-monetary ones are counted, never added to
    money); dis-benefits are subtracted.

    Realisation (net of dis-benefits):
      realisation_pct_to_date         sum net realised to date / sum net planned to date x 100
      realisation_pct_against_target  sum net realised to date / sum net target values x 100
    Costs = AC to date + ETC, both from fct_earned_value at the reporting period (ETC: the CPI-method
    ETC, or BAC - EV where CPI is undefined). Benefits = net realised to date + net planned after the
    reporting period (the register's whole life).
      roi             (benefits - costs) / costs, undiscounted, a ratio (0.25 = 25 %)
      npv             PV(benefits) - PV(costs); each flow of int_project_cash_flows_dated discounted by
                      1 / (1 + r)^(months from the project's start month / 12), r = var discount_rate
                      (annual, default 0.035: HM Treasury Green Book STPR for years 0-30; the lower
                      rates it sets beyond year 30 are not applied)
      bcr             PV(benefits) / PV(costs)
      roi_discounted  NPV / PV(costs)
      payback         the first period whose cumulative net cash flow (undiscounted) is >= 0 after some
                      cost has been incurred: payback_period (its label), payback_months_whole (whole
                      months from the start month to the end of that period) and
                      payback_months_fractional (interpolated within it). NULL when it never pays back
                      within the flows known.
    Cash flows are nominal (the register's and ledger's amounts), not deflated to real terms. Figures
    that need a flow that could not be priced or converted are NULL.
-#}
{%- set discount_rate = var('discount_rate', 0.035) -%}
{%- if discount_rate is string -%}{%- set discount_rate = discount_rate | trim -%}{%- endif -%}
{%- if not modules.re.fullmatch('-?[0-9]*[.]?[0-9]+([eE]-?[0-9]+)?', discount_rate | string) or (discount_rate | float) <= -1 -%}
    {{ exceptions.raise_compiler_error(
        "var discount_rate must be an annual rate above -1 as a number (0.035 for 3.5 %); got '" ~ discount_rate ~ "'."
    ) }}
{%- endif -%}
{%- set rate = discount_rate | float -%}

with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

projects as (

    select * from {{ ref('stg_raw__projects') }}

),

earned as (

    select earned.*
    from {{ ref('fct_earned_value') }} as earned
    inner join parameters
        on parameters.reporting_period = earned.period

),

benefits as (

    select * from {{ ref('int_benefits_converted') }}

),

cash_flows as (

    select * from {{ ref('int_project_cash_flows_dated') }}

),

benefit_targets as (

    -- one target per benefit: the value on its latest register row
    select
        project_code,
        benefit_id,
        sign,
        target_amount,
        row_number() over (partition by benefit_id order by period desc) as recency
    from benefits
    where is_monetary

),

realisation as (

    select
        project_code,
        count(distinct case when is_monetary and not is_disbenefit then benefit_id end) as monetary_benefit_count,
        count(distinct case when is_monetary and is_disbenefit then benefit_id end) as monetary_disbenefit_count,
        count(distinct case when not is_monetary then benefit_id end) as non_monetary_benefit_count,
        sum(case when is_monetary and planned_amount is null then 1 else 0 end) as unconverted_rows,
        sum(case when is_monetary and not is_future_period then sign * realised_amount end) as net_realised_to_date,
        sum(case when is_monetary and not is_future_period then sign * planned_amount end) as net_planned_to_date,
        sum(case when is_monetary and is_future_period then sign * planned_amount end) as net_planned_after,
        sum(case when is_monetary then sign * planned_amount end) as net_planned_whole_life
    from benefits
    group by project_code

),

targets as (

    select
        project_code,
        sum(case when target_amount is null then 1 else 0 end) as unconverted_targets,
        sum(sign * target_amount) as net_target
    from benefit_targets
    where recency = 1
    group by project_code

),

ordered_flows as (

    select
        *,
        sum(net_amount) over project_to_date as cumulative_net,
        sum(cost_amount) over project_to_date as cumulative_cost,
        count(*) over project_to_date as flows_to_date,
        count(net_amount) over project_to_date as known_flows_to_date
    from cash_flows
    window project_to_date as (
        partition by project_code
        order by period
        rows between unbounded preceding and current row
    )

),

paid_back as (

    select
        *,
        lag(cumulative_net) over (partition by project_code order by period) as cumulative_net_before
    from ordered_flows

),

payback as (

    select
        project_code,
        period as payback_period,
        months_from_start + 1 as payback_months_whole,
        {{ payback_fraction('months_from_start', 'coalesce(cumulative_net_before, 0)', 'net_amount') }} as payback_months_fractional,
        row_number() over (partition by project_code order by period) as payback_rank
    from paid_back
    where flows_to_date = known_flows_to_date
        and cumulative_cost > 0
        and cumulative_net >= 0

),

appraisal as (

    select
        project_code,
        count(*) as flow_periods,
        count(net_amount) as known_flow_periods,
        sum({{ present_value('benefit_amount', rate, 'months_from_start') }}) as pv_benefits,
        sum({{ present_value('cost_amount', rate, 'months_from_start') }}) as pv_costs,
        sum(benefit_amount) as flow_benefits
    from cash_flows
    group by project_code

),

combined as (

    select
        projects.project_code,
        parameters.reporting_period,
        parameters.reporting_currency as currency,
        coalesce(realisation.monetary_benefit_count, 0) as monetary_benefit_count,
        coalesce(realisation.monetary_disbenefit_count, 0) as monetary_disbenefit_count,
        coalesce(realisation.non_monetary_benefit_count, 0) as non_monetary_benefit_count,
        case when coalesce(realisation.unconverted_rows, 0) = 0 then coalesce(realisation.net_realised_to_date, 0) end
            as net_benefits_realised_to_date,
        case when coalesce(realisation.unconverted_rows, 0) = 0 then coalesce(realisation.net_planned_to_date, 0) end
            as net_benefits_planned_to_date,
        case when coalesce(realisation.unconverted_rows, 0) = 0 then coalesce(realisation.net_planned_after, 0) end
            as net_benefits_planned_after,
        case when coalesce(realisation.unconverted_rows, 0) = 0 then coalesce(realisation.net_planned_whole_life, 0) end
            as net_benefits_planned_whole_life,
        case when coalesce(targets.unconverted_targets, 0) = 0 then targets.net_target end as net_benefits_target,
        earned.ac as ac_to_date,
        coalesce(earned.etc, earned.bac - earned.ev) as etc,
        earned.etc is null as etc_is_bac_minus_ev,
        appraisal.flow_periods,
        appraisal.known_flow_periods,
        appraisal.pv_benefits,
        appraisal.pv_costs,
        payback.payback_period,
        payback.payback_months_whole,
        payback.payback_months_fractional
    from projects
    cross join parameters
    left join realisation
        on realisation.project_code = projects.project_code
    left join targets
        on targets.project_code = projects.project_code
    left join earned
        on earned.project_code = projects.project_code
    left join appraisal
        on appraisal.project_code = projects.project_code
    left join payback
        on payback.project_code = projects.project_code
        and payback.payback_rank = 1

),

totals as (

    select
        *,
        {{ to_money('net_benefits_realised_to_date + net_benefits_planned_after') }} as total_benefits,
        {{ to_money('ac_to_date + etc') }} as total_costs,
        case when flow_periods = known_flow_periods then {{ to_money('pv_benefits') }} end as pv_benefits_known,
        case when flow_periods = known_flow_periods then {{ to_money('pv_costs') }} end as pv_costs_known
    from combined

)

select
    project_code,
    reporting_period as period,
    currency,
    monetary_benefit_count,
    monetary_disbenefit_count,
    non_monetary_benefit_count,
    {{ to_money('net_benefits_realised_to_date') }} as net_benefits_realised_to_date,
    {{ to_money('net_benefits_planned_to_date') }} as net_benefits_planned_to_date,
    {{ to_money('net_benefits_planned_whole_life') }} as net_benefits_planned_whole_life,
    {{ to_money('net_benefits_target') }} as net_benefits_target,
    {{ realisation_pct('net_benefits_realised_to_date', 'net_benefits_planned_to_date') }} as realisation_pct_to_date,
    {{ realisation_pct('net_benefits_realised_to_date', 'net_benefits_target') }} as realisation_pct_against_target,
    total_benefits,
    {{ to_money('ac_to_date') }} as ac_to_date,
    {{ to_money('etc') }} as etc,
    etc_is_bac_minus_ev,
    total_costs,
    {{ roi('total_benefits', 'total_costs') }} as roi,
    cast({{ rate }} as {{ type_index() }}) as discount_rate,
    pv_benefits_known as pv_benefits,
    pv_costs_known as pv_costs,
    {{ to_money('pv_benefits_known - pv_costs_known') }} as npv,
    {{ benefit_cost_ratio('pv_benefits_known', 'pv_costs_known') }} as bcr,
    {{ roi('pv_benefits_known', 'pv_costs_known') }} as roi_discounted,
    payback_period,
    cast(payback_months_whole as {{ dbt.type_int() }}) as payback_months_whole,
    payback_months_fractional,
    coalesce({{ roi('total_benefits', 'total_costs') }} < 0, false) as is_roi_negative
from totals
