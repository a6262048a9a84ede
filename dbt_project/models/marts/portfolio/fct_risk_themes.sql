{#-
    Risk themes over time: for each portfolio, risk category and period, the risks in the latest
    register snapshots of the portfolio's projects on or before the period's end (a project counts
    from its first baseline period). Category is the register's, 'uncategorised' when blank; projects
    without a portfolio are under 'unassigned'. Exposure sums the open, quantified risks, in the
    reporting currency, and is NULL when one could not be converted.
-#}
with risks as (

    select * from {{ ref('int_risks_snapshotted') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

)

select
    coalesce(risks.portfolio, 'unassigned') as portfolio,
    risks.category,
    risks.period,
    max(risks.status_date) as status_date,
    max(parameters.reporting_currency) as currency,
    cast(count(distinct risks.project_code) as {{ dbt.type_int() }}) as project_count,
    cast(sum(case when risks.is_open then 1 else 0 end) as {{ dbt.type_int() }}) as open_risks,
    cast(sum(case when not risks.is_open then 1 else 0 end) as {{ dbt.type_int() }}) as closed_risks,
    cast(sum(case
        when {{ period_label('risks.raised_date') }} = risks.period then 1 else 0
    end) as {{ dbt.type_int() }}) as risks_raised_in_period,
    {{ to_money('case
        when sum(case when risks.is_open and risks.fx_rate_missing then 1 else 0 end) = 0
            then coalesce(sum(case when risks.is_open and risks.is_quantified then risks.exposure end), 0)
    end') }} as open_exposure,
    -- averaged as decimals: a sum of doubles depends on the order the threads add them in, and the
    -- mart must be the same on every run of the same data
    cast(
        avg(case when risks.is_open then cast(risks.probability as decimal(18, 9)) end)
        as {{ type_index() }}
    ) as mean_open_probability
from risks
cross join parameters
group by
    coalesce(risks.portfolio, 'unassigned'),
    risks.category,
    risks.period
