{#-
    Earned value of each task, one row per task per reported period of its project, in the reporting
    currency: the tasks of the current baseline and of every snapshot EV is read from, so that at every
    period the tasks' BAC, PV and EV add up to fct_earned_value's (AC too, for the lines booked to a
    task code the schedules carry). EV follows the task's technique (ev_method_applied); PV follows the
    baseline's own time-phased cost where the export has it, else spreads it linearly (pv_method); AC and approved hours are those booked to the task. Formulas from
    macros/evm.sql; a division by zero gives NULL, explained by the *_undefined flags.
-#}
with measures as (

    select * from {{ ref('int_task_earned_value_measures_joined') }}

)

select
    project_code,
    task_code,
    period,
    status_date,
    currency,
    task_name,
    parent_task_code,
    is_milestone,
    ev_method,
    ev_method_applied,
    pv_method,
    bac,
    pv,
    ev,
    ac,
    {{ evm_sv('ev', 'pv') }} as sv,
    {{ evm_cv('ev', 'ac') }} as cv,
    {{ evm_spi('ev', 'pv') }} as spi,
    {{ evm_cpi('ev', 'ac') }} as cpi,
    {{ evm_pct_of_bac('ev', 'bac') }} as pct_complete,
    pv_period,
    ev_period,
    ac_period,
    ac_hours,
    ac_hours_period,
    percent_complete,
    is_started,
    is_finished,
    actual_start,
    actual_finish,
    baseline_start,
    baseline_finish,
    baseline_version,
    is_in_current_baseline,
    is_in_ev_snapshot,
    ev_status_date,
    project_currency,
    fx_rate,
    bac_native,
    pv_native,
    ev_native,
    ({{ evm_spi('ev', 'pv') }} is null) as spi_undefined,
    ({{ evm_cpi('ev', 'ac') }} is null) as cpi_undefined,
    ({{ evm_pct_of_bac('ev', 'bac') }} is null) as pct_complete_undefined
from measures
