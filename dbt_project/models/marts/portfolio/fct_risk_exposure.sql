{#-
    Open-risk exposure of each project at every period from its first baseline period to the reporting
    period, in the reporting currency: exposure = the sum of probability x impact cost over the open,
    quantified risks of the latest register snapshot on or before the period's end (a risk with a NULL
    status counts as open), and that exposure as a percentage of BAC. 0 before the first snapshot; NULL
    when an open risk's impact could not be converted.
-#}
with risks as (

    select * from {{ ref('int_project_risks_summarised') }}

)

select
    project_code,
    period,
    status_date,
    currency,
    programme,
    portfolio,
    risk_status_date,
    cast(open_risks as {{ dbt.type_int() }}) as open_risks,
    cast(unquantified_open_risks as {{ dbt.type_int() }}) as unquantified_open_risks,
    exposure,
    max_risk_exposure,
    impact_cost,
    bac,
    {{ safe_divide('exposure', 'bac') }} * 100 as exposure_pct_of_bac,
    {{ safe_divide('max_risk_exposure', 'bac') }} * 100 as max_risk_exposure_pct_of_bac
from risks
