{#-
    The rate from each currency to the reporting currency for every month in which the marts need one:
    the project currency for each reported period of a project with a baseline, and the currency of
    each AC line of such a project up to the end of the reporting period (the month it was worked or
    posted). 1 unit of from_currency = fx_rate units of to_currency. Rule: the same currency gives 1;
    otherwise a row in fx_rates for (period, from, to) gives its rate; otherwise the inverse row (to,
    from) gives 1 / its rate; otherwise the rate is NULL, and a blocking data test names the gap.
-#}
with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

fx_rates as (

    select * from {{ ref('stg_raw__fx_rates') }}

),

baselined_projects as (

    select project_code from {{ ref('int_project_baselines_summarised') }}

),

project_currency_periods as (

    select distinct
        periods.period,
        projects.currency
    from {{ ref('int_project_periods_spined') }} as periods
    inner join {{ ref('stg_raw__projects') }} as projects
        on projects.project_code = periods.project_code
    where periods.is_reported_period

),

cost_currency_periods as (

    select distinct
        costs.cost_period as period,
        costs.currency
    from {{ ref('int_actual_costs_unioned') }} as costs
    inner join baselined_projects
        on baselined_projects.project_code = costs.project_code
    cross join parameters
    where costs.counts_in_ac
        and costs.currency is not null
        and costs.cost_date <= parameters.reporting_period_end

),

required as (

    select period, currency from project_currency_periods
    union
    select period, currency from cost_currency_periods

)

select
    required.period,
    required.currency as from_currency,
    parameters.reporting_currency as to_currency,
    case
        when required.currency = parameters.reporting_currency then cast(1 as {{ type_index() }})
        when direct.rate is not null then direct.rate
        when inverse.rate is not null and inverse.rate <> 0 then cast(1 as {{ type_index() }}) / inverse.rate
    end as fx_rate,
    case
        when required.currency = parameters.reporting_currency then 'identity'
        when direct.rate is not null then 'direct'
        when inverse.rate is not null and inverse.rate <> 0 then 'inverse'
    end as fx_rate_method
from required
cross join parameters
left join fx_rates as direct
    on direct.period = required.period
    and direct.from_currency = required.currency
    and direct.to_currency = parameters.reporting_currency
left join fx_rates as inverse
    on inverse.period = required.period
    and inverse.from_currency = parameters.reporting_currency
    and inverse.to_currency = required.currency
