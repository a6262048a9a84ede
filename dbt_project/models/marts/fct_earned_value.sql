{#-
    Earned value and earned schedule of each project for every period from its first baseline period
    to the reporting period, cumulative to the period's last day, in the reporting currency. Every
    formula comes from macros/evm.sql. The columns after the flags (baseline_version onwards) add the
    period values and their indices, the 3-period moving indices (ratios of the sums over the period
    and the two before it), the Gold Card percentages, the weighted and bottom-up EACs, BEI, TSPI and
    IEAC(t) with its three performance factors, and flags for every ratio a zero denominator leaves NULL.
-#}
{%- set eac_weight = var('eac_weight', 0.8) -%}
with measures as (

    select * from {{ ref('int_earned_value_measures_joined') }}

),

windowed as (

    select
        *,
        {{ moving_sum('pv_period', 'project_code', 'period') }} as pv_3p,
        {{ moving_sum('ev_period', 'project_code', 'period') }} as ev_3p,
        {{ moving_sum('ac_period', 'project_code', 'period') }} as ac_3p
    from measures

)

select
    project_code,
    period,
    status_date,
    currency,
    bac,
    pv,
    ev,
    ac,
    {{ evm_performance_columns('bac', 'pv', 'ev', 'ac') }},
    es,
    {{ adapter.quote("at") }},
    sv_t,
    spi_t,
    ieac_t,
    forecast_finish_date,
    programme,
    portfolio,
    project_currency,
    fx_rate,
    bac_native,
    pv_native,
    ev_native,
    ac_labour,
    ac_non_labour,
    ledger_labour,
    ev_status_date,
    baseline_status_date,
    planned_duration_periods,
    {{ evm_flag_columns('bac', 'pv', 'ev', 'ac') }},
    baseline_version,
    {{ evm_trend_columns('bac', 'pv', 'ev', 'ac', eac_weight) }},
    {{ evm_schedule_forecast_columns('planned_duration_periods', 'es', adapter.quote("at"), 'spi_t') }},
    {{ evm_trend_flag_columns('bac', 'pv', 'ev', 'ac', eac_weight) }},
    {{ evm_schedule_flag_columns('planned_duration_periods', 'es', adapter.quote("at"), 'spi_t', 'ieac_t') }}
from windowed
