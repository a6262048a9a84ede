{{ config(severity='warn', store_failures=true, meta={'dagster': {'ref': {'name': 'fct_earned_value'}}}) }}
{#-
    Reconciliation (issue 5), a warning: the general ledger's labour lines (cost_type 'labour', kept out
    of AC) agree, per project and period, with the labour cost of the approved timesheet hours (hours x
    the rate valid that day), both in the reporting currency at the month's rate, within the tolerance
    var labour_tolerance (a share of the timesheet labour; 0.05 by default, quality.yaml sets it).
    Only the project periods in which the ledger holds labour lines are compared: an organisation that
    does not allocate payroll in the ledger has nothing to reconcile. The project periods are those of
    fct_earned_value (up to the reporting period). Returns the project periods outside the tolerance, with the gap: ledger_labour,
    timesheet_labour, difference (ledger - timesheets), labour_tolerance and tolerance_amount.
-#}
with reported as (

    select project_code, period from {{ ref('fct_earned_value') }}

),

labour_lines as (

    select * from {{ ref('int_actual_costs_monthly') }}
    where cost_type = 'labour'

),

per_period as (

    select
        project_code,
        cost_period as period,
        sum(case when cost_source = 'ledger' then amount_reporting end) as ledger_labour,
        sum(case when cost_source = 'ledger' then line_count else 0 end) as ledger_labour_lines,
        coalesce(sum(case when cost_source = 'timesheet' then amount_reporting end), 0) as timesheet_labour
    from labour_lines
    group by
        project_code,
        cost_period

),

compared as (

    select
        per_period.project_code,
        per_period.period,
        {{ to_money('per_period.ledger_labour') }} as ledger_labour,
        {{ to_money('per_period.timesheet_labour') }} as timesheet_labour,
        {{ to_money('per_period.ledger_labour - per_period.timesheet_labour') }} as difference,
        cast({{ var('labour_tolerance', 0.05) }} as {{ type_index() }}) as labour_tolerance,
        {{ to_money('abs(per_period.timesheet_labour) * ' ~ var('labour_tolerance', 0.05)) }} as tolerance_amount
    from per_period
    inner join reported
        on reported.project_code = per_period.project_code
        and reported.period = per_period.period
    where per_period.ledger_labour_lines > 0

)

select * from compared
where abs(difference) > tolerance_amount
order by project_code, period
