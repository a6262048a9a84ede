{#-
    Cumulative actual cost and approved hours of each task at the end of every reported period of its
    project: the cost lines that count in AC and name the task (timesheet task_code, ledger task_code),
    from the first one booked to the period end. ac is in the reporting currency (each line at the
    rate of the month it was worked or posted) and is NULL when a line it should include could not be
    priced or converted; ac_hours sums the approved timesheet hours booked to the task. Lines without a
    task code count in the project's AC only.
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}
    where is_reported_period

),

costs as (

    select * from {{ ref('int_actual_costs_converted') }}
    where counts_in_ac
        and task_code is not null

),

per_period as (

    select
        project_code,
        task_code,
        cost_period,
        sum(amount_reporting) as amount,
        sum(case when amount_reporting is null then 1 else 0 end) as unpriced_lines,
        sum(case when cost_source = 'timesheet' then hours end) as hours
    from costs
    group by
        project_code,
        task_code,
        cost_period

),

booked_tasks as (

    select distinct
        project_code,
        task_code
    from per_period

),

accumulated as (

    select
        booked_tasks.project_code,
        booked_tasks.task_code,
        periods.period,
        coalesce(sum(per_period.amount), 0) as amount,
        coalesce(sum(per_period.unpriced_lines), 0) as unpriced_lines,
        coalesce(sum(per_period.hours), 0) as hours
    from booked_tasks
    inner join periods
        on periods.project_code = booked_tasks.project_code
    left join per_period
        on per_period.project_code = booked_tasks.project_code
        and per_period.task_code = booked_tasks.task_code
        and per_period.cost_period <= periods.period
    group by
        booked_tasks.project_code,
        booked_tasks.task_code,
        periods.period

)

select
    project_code,
    task_code,
    period,
    {{ to_money('case when unpriced_lines = 0 then amount end') }} as ac,
    cast(hours as {{ type_index() }}) as ac_hours,
    unpriced_lines as unpriced_ac_lines
from accumulated
