{#-
    Actual cost lines summed per project, task, month, source, cost type and whether they count in AC,
    in the reporting currency: what the project and task AC accumulations and the ledger labour
    reconciliation read, so that the lines (3.8 M timesheet lines at 2,000 projects) are read and
    converted once rather than by each of them.
      line_count        the lines of the group
      unpriced_lines    those whose amount_reporting is NULL (no price or no fx rate)
      amount_reporting  the sum of the lines' converted amounts, each line converted and rounded on
                        its own (int_actual_costs_converted); NULL when no line of the group has one
      hours             the approved hours of the group's timesheet lines; NULL for ledger lines
-#}
with costs as (

    select * from {{ ref('int_actual_costs_converted') }}

)

select
    project_code,
    task_code,
    cost_period,
    cost_source,
    cost_type,
    counts_in_ac,
    count(*) as line_count,
    count(*) - count(amount_reporting) as unpriced_lines,
    sum(amount_reporting) as amount_reporting,
    sum(hours) as hours
from costs
group by
    project_code,
    task_code,
    cost_period,
    cost_source,
    cost_type,
    counts_in_ac
