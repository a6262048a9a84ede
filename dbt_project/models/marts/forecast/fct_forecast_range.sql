{#-
    How sure the point forecasts of fct_earned_value are (docs/forecast-ranges.md): P10, P50 and P90 of
    EAC and of the finish date for each project and period, from the project's own history.

    Method (statistical confidence limits on the logarithms of the period indices; Lipke, Zwikael,
    Henderson and Anbari 2009): over the periods up to this one in which the project progressed
    (EV and AC both grew for CPI; ES grew for SPI(t)), take s = the sample standard deviation of
    ln(period index) and n = the number of such periods. The standard error of the cumulative index's
    logarithm is SE = s / sqrt(n) x sqrt((N - n) / (N - 1)), where N is the project's expected number of
    periods (the greater of PD and IEAC(t)): the finite population correction makes the range narrow as
    the project nears its end. The cumulative index I then lies between I x exp(-z SE) and I x exp(z SE)
    with z = 1.2816 (the 10th and 90th percentiles), and
        EAC_q = BAC / CPI_q            IEAC(t)_q = PD / SPI(t)_q, finish_q = baseline start + IEAC(t)_q
    A higher index means a lower EAC and an earlier finish, so P10 comes from the upper limit.
    P50 is the point forecast (eac_cpi, forecast_finish_date). Fewer than 3 periods with progress give
    no range (NULL P10/P90, range_available false) rather than a made-up one; a complete project's range
    is its outcome.
-#}
{%- set z = 1.2815515655446004 %}
{%- set min_history = 3 %}

with earned_value as (

    select
        project_code,
        period,
        status_date,
        currency,
        programme,
        portfolio,
        bac,
        eac_cpi,
        cpi,
        spi_t,
        ieac_t,
        forecast_finish_date,
        es,
        {{ adapter.quote("at") }} as actual_time,
        planned_duration_periods,
        ev_period,
        ac_period,
        is_complete
    from {{ ref('fct_earned_value') }}

),

baselines as (

    select
        project_code,
        baseline_start_date,
        baseline_finish_date
    from {{ ref('int_project_baselines_summarised') }}

),

periodic as (

    select
        *,
        -- the ratio of two DECIMALs as a double on every engine (Spark would keep it DECIMAL, rounded to 6 places)
        case
            when ev_period > 0 and ac_period > 0
                then ln(cast(ev_period as {{ type_index() }}) / cast(ac_period as {{ type_index() }}))
        end as ln_cpi_period,
        es - coalesce(lag(es) over (partition by project_code order by period), 0) as es_gain,
        actual_time - coalesce(lag(actual_time) over (partition by project_code order by period), 0) as at_gain
    from earned_value

),

logged as (

    select
        *,
        case when es_gain > 0 and at_gain > 0 then ln(es_gain / at_gain) end as ln_spi_t_period
    from periodic

),

history as (

    select
        *,
        count(ln_cpi_period) over to_date as cpi_history_periods,
        stddev_samp(ln_cpi_period) over to_date as ln_cpi_period_sd,
        count(ln_spi_t_period) over to_date as spi_t_history_periods,
        stddev_samp(ln_spi_t_period) over to_date as ln_spi_t_period_sd
    from logged
    window to_date as (partition by project_code order by period rows between unbounded preceding and current row)

),

errors as (

    select
        history.*,
        baselines.baseline_start_date,
        baselines.baseline_finish_date,
        greatest(history.planned_duration_periods, coalesce(history.ieac_t, history.planned_duration_periods)) as expected_periods,
        history.cpi_history_periods >= {{ min_history }} and history.cpi > 0 and history.bac is not null as cost_range_available,
        history.spi_t_history_periods >= {{ min_history }} and history.spi_t > 0 and history.planned_duration_periods is not null
        and baselines.baseline_start_date is not null as schedule_range_available
    from history
    left join baselines on baselines.project_code = history.project_code

),

standard_errors as (

    select
        *,
        case
            when not cost_range_available then null
            when is_complete then 0
            else coalesce(ln_cpi_period_sd, 0) / sqrt(cpi_history_periods)
                * sqrt(greatest(expected_periods - cpi_history_periods, 0) / greatest(expected_periods - 1, 1))
        end as ln_cpi_se,
        case
            when not schedule_range_available then null
            when is_complete then 0
            else coalesce(ln_spi_t_period_sd, 0) / sqrt(spi_t_history_periods)
                * sqrt(greatest(expected_periods - spi_t_history_periods, 0) / greatest(expected_periods - 1, 1))
        end as ln_spi_t_se
    from errors

),

ranged as (

    select
        *,
        planned_duration_periods / (spi_t * exp({{ z }} * ln_spi_t_se)) as ieac_t_p10,
        planned_duration_periods / (spi_t * exp(-{{ z }} * ln_spi_t_se)) as ieac_t_p90
    from standard_errors

)

select
    project_code,
    period,
    status_date,
    currency,
    programme,
    portfolio,
    bac,
    cpi_history_periods,
    spi_t_history_periods,
    cost_range_available,
    schedule_range_available,
    cast(ln_cpi_se as {{ type_index() }}) as ln_cpi_se,
    cast(ln_spi_t_se as {{ type_index() }}) as ln_spi_t_se,
    case when cost_range_available then {{ to_money('bac / (cpi * exp(' ~ z ~ ' * ln_cpi_se))') }} end as eac_p10,
    case when cost_range_available then eac_cpi end as eac_p50,
    case when cost_range_available then {{ to_money('bac / (cpi * exp(-' ~ z ~ ' * ln_cpi_se))') }} end as eac_p90,
    eac_cpi as eac_point,
    case when schedule_range_available then {{ add_periods('baseline_start_date', 'ieac_t_p10') }} end as finish_p10,
    case when schedule_range_available then forecast_finish_date end as finish_p50,
    case when schedule_range_available then {{ add_periods('baseline_start_date', 'ieac_t_p90') }} end as finish_p90,
    forecast_finish_date as finish_point,
    baseline_finish_date,
    case
        when schedule_range_available then {{ add_periods('baseline_start_date', 'ieac_t_p90') }} > baseline_finish_date
    end as finish_p90_after_baseline,
    'lognormal confidence limits on period CPI and SPI(t), Lipke et al. 2009' as range_method
from ranged
