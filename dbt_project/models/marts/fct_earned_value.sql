{#-
    Earned value and earned schedule of each project for every period from its first baseline period
    to the reporting period, cumulative to the period's last day, in the reporting currency. Every
    formula comes from macros/evm.sql.
-#}
with measures as (

    select * from {{ ref('int_earned_value_measures_joined') }}

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
    {{ evm_flag_columns('bac', 'pv', 'ev', 'ac') }}
from measures
