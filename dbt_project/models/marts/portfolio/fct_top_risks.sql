{#-
    The portfolio's top open risks at the reporting period: the open risks of every project's latest
    register snapshot on or before the period's end, ranked by exposure (probability x impact cost, in
    the reporting currency) from the largest; ties and unquantified risks are ordered by probability,
    then impact in days, then project and risk id. The var top_risks_count (default 10) sets how many
    are kept. Risk owners (people's names) are not carried.
-#}
{%- set top_n = var('top_risks_count', 10) | string | trim -%}
{%- if not modules.re.fullmatch('[1-9][0-9]*', top_n) -%}
    {{ exceptions.raise_compiler_error("var top_risks_count must be a positive whole number; got '" ~ top_n ~ "'.") }}
{%- endif -%}

with risks as (

    -- the open risks of the reporting period, in the reporting currency
    select * from {{ ref('fct_open_risks') }}

),

ranked as (

    select
        *,
        row_number() over (
            order by
                case when exposure is null then 1 else 0 end,
                exposure desc,
                probability desc nulls last,
                impact_days desc nulls last,
                project_code,
                risk_id
        ) as exposure_rank
    from risks

)

select
    project_code,
    risk_id,
    period,
    cast(exposure_rank as {{ dbt.type_int() }}) as exposure_rank,
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
    raised_date,
    target_date,
    mitigation,
    is_quantified
from ranked
where exposure_rank <= {{ top_n }}
