{#-
    AgileEVM (Sulaiman, Barton and Blackburn 2006) of every release of each agile or hybrid project at
    every period from the project's first baseline period to the reporting period, in the reporting
    currency:

      PPC (planned % complete)  sprints elapsed / sprints planned, at most 1; 0 before the release's
                                first sprint has elapsed
      APC (actual % complete)   points done / planned release points (PRP)
      release BAC               the project's BAC (current baseline, fct_earned_value) x the release's
                                share of the project's planned points; the whole BAC for a project
                                with one release, so the releases' PV and EV add up to the project's
      PV = release BAC x PPC    EV = release BAC x APC    release SPI = EV / PV
      project AgileEVM          PV and EV summed over the project's releases; CPI = EV / AC with AC the
                                project's actual cost from fct_earned_value at that period; SPI = EV / PV

    Actual cost is booked per project, not per release, so CPI is stated for the project only (it is the
    same on every release row of a project and period; project_ac must not be summed over releases).
    The evm_* columns are the baseline-based indices of fct_earned_value for comparison with waterfall
    projects. A division by zero gives NULL.
-#}
with releases as (

    select * from {{ ref('int_agile_releases_measured') }}

),

apportioned as (

    select
        *,
        sum(planned_release_points) over project_period as project_planned_points,
        case
            when sprints_elapsed = 0 then cast(0 as {{ type_index() }})
            else {{ safe_divide('sprints_elapsed', 'sprints_planned') }}
        end as sprint_ratio,
        {{ safe_divide('points_done', 'planned_release_points') }} as actual_pct_complete,
        planned_release_points - lag(planned_release_points) over (
            partition by project_code, release
            order by period
        ) as prp_change
    from releases
    window project_period as (partition by project_code, period)

),

valued as (

    select
        *,
        case when sprint_ratio > 1 then cast(1 as {{ type_index() }}) else sprint_ratio end as planned_pct_complete,
        {{ to_money('project_bac * ' ~ safe_divide('planned_release_points', 'project_planned_points')) }} as release_bac
    from apportioned

),

earned as (

    select
        *,
        {{ to_money('release_bac * planned_pct_complete') }} as pv,
        {{ to_money('release_bac * actual_pct_complete') }} as ev
    from valued

),

project_totals as (

    select
        *,
        case when count(*) over project_period = count(pv) over project_period
                then sum(pv) over project_period
        end as project_agile_pv,
        case when count(*) over project_period = count(ev) over project_period
                then sum(ev) over project_period
        end as project_agile_ev
    from earned
    window project_period as (partition by project_code, period)

)

select
    project_code,
    release,
    period,
    status_date,
    currency,
    work_items_status_date,
    item_count,
    cast(items_done as {{ dbt.type_bigint() }}) as items_done,
    planned_release_points,
    points_done,
    planned_release_points - points_done as points_remaining,
    prp_change,
    sprints_planned,
    sprints_planned_source,
    sprints_elapsed,
    planned_pct_complete,
    actual_pct_complete,
    project_bac,
    release_bac,
    pv,
    ev,
    {{ evm_spi('ev', 'pv') }} as release_spi,
    {{ to_money('project_agile_pv') }} as project_agile_pv,
    {{ to_money('project_agile_ev') }} as project_agile_ev,
    project_ac,
    {{ evm_cpi('project_agile_ev', 'project_ac') }} as project_agile_cpi,
    {{ evm_spi('project_agile_ev', 'project_agile_pv') }} as project_agile_spi,
    evm_cpi,
    evm_spi,
    evm_spi_t
from project_totals
