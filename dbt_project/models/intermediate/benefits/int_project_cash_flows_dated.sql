{#-
    The undiscounted cash flows of each project by period, in the reporting currency, for the
    investment appraisal in fct_project_benefits (NPV, BCR, ROI, payback).

    Costs: the project's AC to date and its estimate to complete, from fct_earned_value.
      * up to the reporting period, each period's increase in cumulative AC (the first period carries
        everything booked up to its end);
      * after it, ETC at the reporting period (the CPI-method ETC; BAC - EV where CPI is undefined, as
        when nothing has been spent or earned yet) spread evenly over the months after the reporting
        period up to the month of the earned-schedule forecast finish (else the baseline finish), at
        least one month.
    Benefits: net monetary benefits (dis-benefits subtracted) from int_benefits_converted: realised
      values up to the reporting period, planned values after it.
    months_from_start counts whole months from the project's start month (register start date, else
    the baseline start, else its first cash flow) to the flow's month, for discounting. A flow that
    cannot be priced or converted makes its period's figure NULL rather than smaller.
-#}
with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

earned as (

    select * from {{ ref('fct_earned_value') }}

),

baselines as (

    select * from {{ ref('int_project_baselines_summarised') }}

),

projects as (

    select * from {{ ref('stg_raw__projects') }}

),

benefits as (

    select * from {{ ref('int_benefits_converted') }}
    where is_monetary

),

month_numbers as (

    {{ dbt.generate_series(1200) }}

),

actual_cost_flows as (

    select
        project_code,
        period,
        'cost' as flow_type,
        cast(
            case
                when row_number() over (partition by project_code order by period) = 1 then ac
                else ac - lag(ac) over (partition by project_code order by period)
            end
            as {{ type_index() }}
        ) as amount
    from earned

),

remaining_work as (

    select
        earned.project_code,
        coalesce(earned.etc, earned.bac - earned.ev) as etc_used,
        greatest(
            coalesce(
                {{ months_between('parameters.reporting_period_start', 'coalesce(earned.forecast_finish_date, baselines.baseline_finish_date)') }},
                1
            ),
            1
        ) as remaining_months,
        parameters.reporting_period_start
    from earned
    cross join parameters
    left join baselines
        on baselines.project_code = earned.project_code
    where earned.period = parameters.reporting_period

),

forecast_cost_flows as (

    select
        remaining_work.project_code,
        {{ period_label(add_months('remaining_work.reporting_period_start', 'month_numbers.generated_number')) }} as period,
        'cost' as flow_type,
        cast(remaining_work.etc_used as {{ type_index() }}) / remaining_work.remaining_months as amount
    from remaining_work
    inner join month_numbers
        on month_numbers.generated_number <= remaining_work.remaining_months
    where remaining_work.etc_used is null
        or remaining_work.etc_used <> 0

),

benefit_flows as (

    select
        project_code,
        period,
        'benefit' as flow_type,
        cast(
            sign * case when is_future_period then planned_amount else realised_amount end
            as {{ type_index() }}
        ) as amount
    from benefits

),

flows as (

    select * from actual_cost_flows
    union all
    select * from forecast_cost_flows
    union all
    select * from benefit_flows

),

per_period as (

    select
        project_code,
        period,
        sum(case when flow_type = 'cost' then 1 else 0 end) as cost_lines,
        sum(case when flow_type = 'cost' and amount is null then 1 else 0 end) as unknown_cost_lines,
        sum(case when flow_type = 'cost' then amount end) as cost_amount,
        sum(case when flow_type = 'benefit' then 1 else 0 end) as benefit_lines,
        sum(case when flow_type = 'benefit' and amount is null then 1 else 0 end) as unknown_benefit_lines,
        sum(case when flow_type = 'benefit' then amount end) as benefit_amount
    from flows
    group by
        project_code,
        period

),

starts as (

    select
        per_period.project_code,
        coalesce(
            min(projects.start_date),
            min(baselines.baseline_start_date),
            min({{ period_start_from_label('per_period.period') }})
        ) as start_date
    from per_period
    left join projects
        on projects.project_code = per_period.project_code
    left join baselines
        on baselines.project_code = per_period.project_code
    group by per_period.project_code

)

select
    per_period.project_code,
    per_period.period,
    cast({{ months_between('starts.start_date', period_start_from_label('per_period.period')) }} as {{ dbt.type_int() }}) as months_from_start,
    starts.start_date as appraisal_start_date,
    per_period.period > parameters.reporting_period as is_forecast,
    parameters.reporting_currency as currency,
    {{ to_money('case when per_period.unknown_cost_lines = 0 then coalesce(per_period.cost_amount, 0) end') }} as cost_amount,
    {{ to_money('case when per_period.unknown_benefit_lines = 0 then coalesce(per_period.benefit_amount, 0) end') }} as benefit_amount,
    {{ to_money('case when per_period.unknown_cost_lines + per_period.unknown_benefit_lines = 0
        then coalesce(per_period.benefit_amount, 0) - coalesce(per_period.cost_amount, 0) end') }} as net_amount
from per_period
cross join parameters
inner join starts
    on starts.project_code = per_period.project_code
