{{ config(materialized='view') }}
{#-
    Every actual cost line in its own currency: priced timesheet hours (labour) and general-ledger
    lines. counts_in_ac says whether the line adds to AC: timesheet labour does; ledger lines do unless
    their cost_type is 'labour' (a NULL cost_type counts as non-labour). Ledger labour lines are kept
    for reconciliation with the timesheets, not added again. Ledger amounts are signed (cost positive),
    so a reversal line carries the negative of the line it reverses and nets out when summed.
    task_code is the task the hours or the line were booked to (NULL when none); hours are the
    timesheet line's approved hours (NULL on ledger lines).

    Materialised as a view: a projection of int_timesheets_costed and the ledger, so writing its
    million-row copy cost more than its readers (int_actual_costs_converted, int_fx_rates_resolved) spend
    reading through it.
-#}
with labour as (

    select
        project_code,
        task_code,
        'timesheet' as cost_source,
        timesheet_line_id as source_line_id,
        work_date as cost_date,
        work_period as cost_period,
        'labour' as cost_type,
        true as counts_in_ac,
        labour_cost as amount,
        cost_currency as currency,
        hours
    from {{ ref('int_timesheets_costed') }}

),

ledger as (

    select
        project_code,
        task_code,
        'ledger' as cost_source,
        {{ dbt.concat(['document_id', "':'", "coalesce(line_id, '')"]) }} as source_line_id,
        posting_date as cost_date,
        {{ period_label('posting_date') }} as cost_period,
        cost_type,
        (cost_type is null or cost_type <> 'labour') as counts_in_ac,
        {{ to_money('amount') }} as amount,
        currency,
        cast(null as {{ type_index() }}) as hours
    from {{ ref('stg_raw__ledger') }}

)

select * from labour
union all
select * from ledger
