{#-
    Open-risk exposure of each portfolio at every period, in the reporting currency: the sums over the
    portfolio's projects that have a row in fct_risk_exposure that period, and the exposure as a
    percentage of the summed BAC (a ratio of sums). Projects without a portfolio are under
    'unassigned'. A sum that misses a project's figure is NULL rather than smaller.
-#}
with projects as (

    select * from {{ ref('fct_risk_exposure') }}

),

summed as (

    select
        coalesce(portfolio, 'unassigned') as portfolio,
        period,
        status_date,
        currency,
        count(*) as project_count,
        count(exposure) as exposure_rows,
        count(bac) as bac_rows,
        sum(open_risks) as open_risks,
        sum(unquantified_open_risks) as unquantified_open_risks,
        sum(exposure) as exposure,
        max(max_risk_exposure) as max_risk_exposure,
        sum(bac) as bac
    from projects
    group by
        coalesce(portfolio, 'unassigned'),
        period,
        status_date,
        currency

)

select
    portfolio,
    period,
    status_date,
    currency,
    cast(project_count as {{ dbt.type_int() }}) as project_count,
    cast(open_risks as {{ dbt.type_int() }}) as open_risks,
    cast(unquantified_open_risks as {{ dbt.type_int() }}) as unquantified_open_risks,
    {{ to_money('case when exposure_rows = project_count then exposure end') }} as exposure,
    {{ to_money('case when exposure_rows = project_count then max_risk_exposure end') }} as max_risk_exposure,
    {{ to_money('case when bac_rows = project_count then bac end') }} as bac,
    case when exposure_rows = project_count and bac_rows = project_count
            then {{ safe_divide('exposure', 'bac') }} * 100
    end as exposure_pct_of_bac
from summed
