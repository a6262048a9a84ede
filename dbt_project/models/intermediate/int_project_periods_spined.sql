{#-
    The monthly period grid of each project, numbered from 1 at its first baseline period. It runs to
    the later of the last baseline period (so the whole PV curve exists for earned schedule) and the
    reporting period (so a late project keeps being reported after its planned finish). Projects whose
    baseline starts after the reporting period have no rows. The grid is capped at 1,200 periods.
-#}
with baselines as (

    select * from {{ ref('int_project_baselines_summarised') }}

),

parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

period_numbers as (

    {{ dbt.generate_series(1200) }}

),

grid as (

    select
        baselines.project_code,
        period_numbers.generated_number as period_index,
        {{ add_months('baselines.first_baseline_period_start', 'period_numbers.generated_number - 1') }} as period_start,
        baselines.planned_duration_periods,
        parameters.reporting_period_start
    from baselines
    cross join parameters
    inner join period_numbers
        on period_numbers.generated_number <= baselines.planned_duration_periods
        or period_numbers.generated_number
        <= {{ months_between('baselines.first_baseline_period_start', 'parameters.reporting_period_start') }} + 1
    where baselines.first_baseline_period_start <= parameters.reporting_period_start

)

select
    project_code,
    {{ period_label('period_start') }} as period,
    period_start,
    {{ month_end('period_start') }} as period_end,
    period_index,
    period_index <= planned_duration_periods as is_planned_period,
    period_start <= reporting_period_start as is_reported_period
from grid
