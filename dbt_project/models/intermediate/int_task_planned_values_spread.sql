{#-
    Cumulative planned value (PV) of each task of the current baseline at the end of every period of
    its project's grid, in the project currency.

    * Time-phased (pv_method 'time_phased'): where the baseline export carries the task's own phasing
      for its baseline version (stg_raw__baseline_phasing), PV at a period end E is the sum over the
      phases of the phase's cost x (days of the phase up to E, both included) / (all its days): each
      phase is spread linearly over its own days, so monthly phases reproduce the tool's monthly
      figures exactly and a front-loaded baseline stays front-loaded.
    * Linear (pv_method 'linear', every other task): the task's baseline cost is spread linearly over
      the calendar days from its baseline start to its baseline finish, both included. A task whose
      finish precedes its start counts as one day long.

    is_due says whether the task's baseline finish falls on or before the period end (the denominator
    of BEI).
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}

),

baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

),

phasing as (

    select * from {{ ref('stg_raw__baseline_phasing') }}

),

phases_of_baseline as (

    select
        baseline_tasks.project_code,
        baseline_tasks.task_code,
        phasing.phase_start,
        phasing.phase_finish,
        phasing.planned_cost
    from baseline_tasks
    inner join phasing
        on phasing.project_code = baseline_tasks.project_code
        and phasing.task_code = baseline_tasks.task_code
        and phasing.baseline_version is not distinct from baseline_tasks.baseline_version

),

time_phased as (

    select
        periods.project_code,
        phases_of_baseline.task_code,
        periods.period,
        sum({{ evm_linear_planned_value(
            'phases_of_baseline.planned_cost', 'phases_of_baseline.phase_start',
            'phases_of_baseline.phase_finish', 'periods.period_end'
        ) }}) as planned_value
    from periods
    inner join phases_of_baseline
        on phases_of_baseline.project_code = periods.project_code
    group by
        periods.project_code,
        phases_of_baseline.task_code,
        periods.period

)

select
    periods.project_code,
    baseline_tasks.task_code,
    periods.period,
    periods.period_start,
    periods.period_end,
    periods.period_index,
    periods.is_planned_period,
    periods.is_reported_period,
    baseline_tasks.ev_method_applied,
    baseline_tasks.baseline_start,
    baseline_tasks.baseline_finish,
    baseline_tasks.baseline_cost,
    baseline_tasks.baseline_finish <= periods.period_end as is_due,
    case when time_phased.task_code is not null then 'time_phased' else 'linear' end as pv_method,
    {{ to_money('coalesce(time_phased.planned_value, ' ~ evm_linear_planned_value(
        'baseline_tasks.baseline_cost', 'baseline_tasks.baseline_start',
        'baseline_tasks.baseline_finish', 'periods.period_end'
    ) ~ ')') }} as planned_value_native
from periods
inner join baseline_tasks
    on baseline_tasks.project_code = periods.project_code
left join time_phased
    on time_phased.project_code = periods.project_code
    and time_phased.task_code = baseline_tasks.task_code
    and time_phased.period = periods.period
