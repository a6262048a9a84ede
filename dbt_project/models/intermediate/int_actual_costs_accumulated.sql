{#-
    Cumulative actual cost (AC) of each project at the end of every reported period, in the reporting
    currency: labour (priced timesheet hours) plus non-labour (ledger lines other than labour), from
    the first cost ever booked to the period end. A figure is NULL when a line it should include could
    not be priced or converted, so a gap never shows as a smaller number. ledger_labour is the ledger's
    own labour cost, for reconciliation with the timesheets only.
-#}
with periods as (

    select * from {{ ref('int_project_periods_spined') }}
    where is_reported_period

),

costs as (

    select * from {{ ref('int_actual_costs_monthly') }}

),

per_period as (

    select
        project_code,
        cost_period,
        sum(case when counts_in_ac and cost_source = 'timesheet' then amount_reporting end) as labour,
        sum(case when counts_in_ac and cost_source = 'ledger' then amount_reporting end) as non_labour,
        sum(case when not counts_in_ac then amount_reporting end) as ledger_labour,
        sum(case when counts_in_ac and cost_source = 'timesheet' then unpriced_lines else 0 end)
            as unpriced_labour_lines,
        sum(case when counts_in_ac and cost_source = 'ledger' then unpriced_lines else 0 end)
            as unpriced_non_labour_lines,
        sum(case when not counts_in_ac then unpriced_lines else 0 end)
            as unpriced_ledger_labour_lines
    from costs
    group by
        project_code,
        cost_period

),

accumulated as (

    select
        periods.project_code,
        periods.period,
        coalesce(sum(per_period.labour), 0) as labour,
        coalesce(sum(per_period.non_labour), 0) as non_labour,
        coalesce(sum(per_period.ledger_labour), 0) as ledger_labour,
        coalesce(sum(per_period.unpriced_labour_lines), 0) as unpriced_labour_lines,
        coalesce(sum(per_period.unpriced_non_labour_lines), 0) as unpriced_non_labour_lines,
        coalesce(sum(per_period.unpriced_ledger_labour_lines), 0) as unpriced_ledger_labour_lines
    from periods
    left join per_period
        on per_period.project_code = periods.project_code
        and per_period.cost_period <= periods.period
    group by
        periods.project_code,
        periods.period

)

select
    project_code,
    period,
    {{ to_money('case when unpriced_labour_lines = 0 then labour end') }} as ac_labour,
    {{ to_money('case when unpriced_non_labour_lines = 0 then non_labour end') }} as ac_non_labour,
    {{ to_money('case when unpriced_labour_lines + unpriced_non_labour_lines = 0 then labour + non_labour end') }} as ac,
    {{ to_money('case when unpriced_ledger_labour_lines = 0 then ledger_labour end') }} as ledger_labour,
    unpriced_labour_lines + unpriced_non_labour_lines as unpriced_ac_lines
from accumulated
