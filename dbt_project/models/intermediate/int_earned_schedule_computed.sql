{#-
    Earned schedule (Lipke; docs/evm.md §3) of each project at every reported period, on the project's
    native-currency PV curve PV_1..PV_PD with PV_0 = 0 (ES is scale invariant, so the currency does not
    change it):
      EV >= BAC                 ES = PD
      otherwise                 C = largest t in 0..PD with PV_t <= EV (plateaus resolve to the later
                                period), ES = C + (EV - PV_C) / (PV_{C+1} - PV_C)
      AT                        periods from the first baseline period to this one, both included,
                                stopping at the period in which EV first reached BAC: a finished
                                project's actual time is its actual duration, so its SPI(t) stays at
                                the value it finished with instead of decaying month after month
      SV(t) = ES - AT, SPI(t) = ES / AT, IEAC(t) = PD / SPI(t)
      forecast finish           baseline start date + IEAC(t) periods (see the add_periods macro)
-#}
with baselines as (

    select
        project_code,
        bac_native,
        planned_duration_periods,
        baseline_start_date
    from {{ ref('int_project_baselines_summarised') }}

),

earned_to_date as (

    select
        project_code,
        period,
        period_index,
        earned_value_native
    from {{ ref('int_earned_values_snapshotted') }}

),

completion as (

    select
        earned_to_date.project_code,
        min(earned_to_date.period_index) as completed_period_index
    from earned_to_date
    inner join baselines
        on baselines.project_code = earned_to_date.project_code
    where baselines.bac_native > 0
        and earned_to_date.earned_value_native >= baselines.bac_native
    group by earned_to_date.project_code

),

earned as (

    select
        earned_to_date.project_code,
        earned_to_date.period,
        least(
            earned_to_date.period_index,
            coalesce(completion.completed_period_index, earned_to_date.period_index)
        ) as actual_time,
        earned_to_date.earned_value_native
    from earned_to_date
    left join completion
        on completion.project_code = earned_to_date.project_code

),

pv_curve as (

    select
        planned.project_code,
        planned.period_index,
        planned.planned_value_native
    from {{ ref('int_planned_values_spread') }} as planned
    inner join baselines
        on baselines.project_code = planned.project_code
    where planned.period_index <= baselines.planned_duration_periods

    union all

    select
        project_code,
        0 as period_index,
        {{ to_money('0') }} as planned_value_native
    from baselines

),

whole_periods as (

    select
        earned.project_code,
        earned.period,
        max(pv_curve.period_index) as whole_periods_earned
    from earned
    inner join pv_curve
        on pv_curve.project_code = earned.project_code
        and pv_curve.planned_value_native <= earned.earned_value_native
    group by
        earned.project_code,
        earned.period

),

measured as (

    select
        earned.project_code,
        earned.period,
        earned.actual_time,
        earned.earned_value_native,
        baselines.bac_native,
        baselines.planned_duration_periods,
        baselines.baseline_start_date,
        whole_periods.whole_periods_earned,
        pv_at_c.planned_value_native as pv_at_whole_periods,
        pv_after_c.planned_value_native as pv_after_whole_periods
    from earned
    inner join baselines
        on baselines.project_code = earned.project_code
    left join whole_periods
        on whole_periods.project_code = earned.project_code
        and whole_periods.period = earned.period
    left join pv_curve as pv_at_c
        on pv_at_c.project_code = earned.project_code
        and pv_at_c.period_index = whole_periods.whole_periods_earned
    left join pv_curve as pv_after_c
        on pv_after_c.project_code = earned.project_code
        and pv_after_c.period_index = whole_periods.whole_periods_earned + 1

),

scheduled as (

    select
        *,
        {{ evm_earned_schedule(
            'earned_value_native', 'bac_native', 'planned_duration_periods',
            'whole_periods_earned', 'pv_at_whole_periods', 'pv_after_whole_periods'
        ) }} as es
    from measured

),

timed as (

    select
        *,
        {{ evm_spi_t('es', 'actual_time') }} as spi_t
    from scheduled

),

forecast as (

    select
        *,
        {{ evm_ieac_t('planned_duration_periods', 'spi_t') }} as ieac_t
    from timed

)

select
    project_code,
    period,
    es,
    cast(actual_time as {{ dbt.type_int() }}) as {{ adapter.quote("at") }},
    {{ evm_sv_t('es', 'actual_time') }} as sv_t,
    spi_t,
    ieac_t,
    {{ add_periods('baseline_start_date', 'ieac_t') }} as forecast_finish_date,
    whole_periods_earned,
    planned_duration_periods,
    earned_value_native,
    bac_native
from forecast
