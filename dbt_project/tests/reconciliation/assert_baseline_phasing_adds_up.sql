{{ config(store_failures=true, meta={'dagster': {'ref': {'name': 'fct_task_earned_value'}}}) }}
{#-
    Reconciliation: a task of the current baseline whose export carries its own time-phased cost must
    have phases that add up to its baseline cost, to the cent. Otherwise the time-phased PV would not
    reach BAC at the task's finish (or would pass it), and every index built on PV would be off.
    Returns the tasks that disagree, with both totals.
-#}
with baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

),

phases as (

    select
        baseline_tasks.project_code,
        baseline_tasks.task_code,
        baseline_tasks.baseline_version,
        baseline_tasks.baseline_cost,
        sum(phasing.planned_cost) as phased_cost,
        count(*) as phase_count
    from baseline_tasks
    inner join {{ ref('stg_raw__baseline_phasing') }} as phasing
        on phasing.project_code = baseline_tasks.project_code
        and phasing.task_code = baseline_tasks.task_code
        and phasing.baseline_version is not distinct from baseline_tasks.baseline_version
    group by 1, 2, 3, 4

)

select
    project_code,
    task_code,
    baseline_version,
    baseline_cost,
    phased_cost,
    phase_count,
    phased_cost - baseline_cost as difference
from phases
where abs(phased_cost - baseline_cost) >= 0.005
