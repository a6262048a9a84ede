{{ config(materialized='view') }}
{#-
    Actual cost lines dated on or before the end of the reporting period, converted to the reporting
    currency at the rate of the month they were worked or posted. amount_reporting is NULL when the
    line has no amount (hours without a rate) or no rate exists for its currency and month.

    Materialised as a view: its one reader, int_actual_costs_monthly, sums it per month (for the AC
    accumulations and the labour reconciliation), so a million-row copy would only be written to be
    read once.
-#}
with costs as (

    select * from {{ ref('int_actual_costs_unioned') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_resolved') }}

)

select
    costs.project_code,
    costs.task_code,
    costs.cost_source,
    costs.source_line_id,
    costs.cost_date,
    costs.cost_period,
    costs.cost_type,
    costs.counts_in_ac,
    costs.amount,
    costs.currency,
    fx_rates.fx_rate,
    parameters.reporting_currency,
    {{ money_from_double('costs.amount * fx_rates.fx_rate') }} as amount_reporting,
    costs.hours
from costs
cross join parameters
left join fx_rates
    on fx_rates.period = costs.cost_period
    and fx_rates.from_currency = costs.currency
where costs.cost_date <= parameters.reporting_period_end
