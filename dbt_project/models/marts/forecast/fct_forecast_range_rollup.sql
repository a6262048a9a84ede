{#-
    P10, P50 and P90 of the EAC of each programme, each portfolio and the whole organisation, for every
    period, from the joint outcome of their projects (docs/forecast-ranges.md), never by adding
    percentiles.

    Each project's EAC is lognormal under fct_forecast_range's method: ln EAC ~ N(ln EAC(CPI), SE), where
    SE is the standard error of ln CPI (0 for a project without a range: its point forecast is taken as
    certain). With the projects independent, the sum's mean and variance are the sums of the projects'
        mean_i = EAC_i x exp(SE_i^2 / 2)      var_i = (exp(SE_i^2) - 1) x EAC_i^2 x exp(SE_i^2)
    and the sum is approximated by the lognormal with that mean and variance (Fenton 1960):
        sigma^2 = ln(1 + var / mean^2)   mu = ln(mean) - sigma^2 / 2   EAC_q = exp(mu + z_q x sigma)
    A group with a project whose EAC(CPI) is undefined has no range. Finish dates are not rolled up: the
    finish of a group is the latest of its projects', whose distribution is left to a later version.
-#}
{%- set z = 1.2815515655446004 %}

with projects as (

    select
        project_code,
        period,
        status_date,
        currency,
        coalesce(programme, 'unassigned') as programme,
        coalesce(portfolio, 'unassigned') as portfolio,
        eac_point,
        cost_range_available,
        coalesce(ln_cpi_se, 0) as ln_eac_se
    from {{ ref('fct_forecast_range') }}

),

levels as (

    select 'programme' as rollup_level, programme as rollup_name, * from projects
    union all
    select 'portfolio' as rollup_level, portfolio as rollup_name, * from projects
    union all
    select 'organisation' as rollup_level, 'All portfolios' as rollup_name, * from projects

),

moments as (

    select
        rollup_level,
        rollup_name,
        period,
        max(status_date) as status_date,
        max(currency) as currency,
        count(*) as project_count,
        count(*) filter (where cost_range_available) as projects_with_range,
        count(*) filter (where eac_point is null or eac_point <= 0) as projects_without_eac,
        sum(eac_point) as eac_point_sum,
        -- floating-point sums in the projects' order: a parallel sum() adds them in whatever order its
        -- threads finish, and at 2,000 projects the last bit moved the money's sixth decimal between runs
        {{ ordered_float_sum(
            'cast(eac_point as ' ~ type_index() ~ ') * exp(ln_eac_se * ln_eac_se / 2)', 'project_code'
        ) }} as eac_mean,
        {{ ordered_float_sum(
            '(exp(ln_eac_se * ln_eac_se) - 1) * power(cast(eac_point as ' ~ type_index() ~ '), 2)'
            ~ ' * exp(ln_eac_se * ln_eac_se)', 'project_code'
        ) }} as eac_variance
    from levels
    group by rollup_level, rollup_name, period

),

fitted as (

    select
        *,
        ln(1 + eac_variance / power(eac_mean, 2)) as sigma_squared
    from moments
    where projects_without_eac = 0

)

select
    moments.rollup_level,
    moments.rollup_name,
    moments.period,
    moments.status_date,
    moments.currency,
    moments.project_count,
    moments.projects_with_range,
    moments.projects_without_eac = 0 as range_available,
    {{ to_money('moments.eac_point_sum') }} as eac_point_sum,
    {{ to_money('fitted.eac_mean') }} as eac_mean,
    {{ to_money('exp(ln(fitted.eac_mean) - fitted.sigma_squared / 2 - ' ~ z ~ ' * sqrt(fitted.sigma_squared))') }} as eac_p10,
    {{ to_money('exp(ln(fitted.eac_mean) - fitted.sigma_squared / 2)') }} as eac_p50,
    {{ to_money('exp(ln(fitted.eac_mean) - fitted.sigma_squared / 2 + ' ~ z ~ ' * sqrt(fitted.sigma_squared))') }} as eac_p90,
    'sum of independent lognormal project EACs, Fenton-Wilkinson approximation' as range_method
from moments
left join fitted
    on fitted.rollup_level = moments.rollup_level
    and fitted.rollup_name = moments.rollup_name
    and fitted.period = moments.period
