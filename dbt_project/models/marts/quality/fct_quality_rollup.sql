{#-
    fct_project_quality rolled up to each programme, each portfolio and the whole organisation
    ('All portfolios'), for every period: the counts of the projects are added and every rate is worked
    out again from the sums (escape rate = escaped / defects with a known origin; first-time pass rate =
    first-time passes / first attempts; mean age of open critical defects = their total age / their
    number; rework share = rework cost / AC), never an average of the projects' rates. A project whose
    defects are not measured (no tracker snapshot) adds nothing to the defect counts;
    projects_with_quality_data says how many projects the figures come from.
-#}

with projects as (

    select
        *,
        coalesce(programme, 'unassigned') as programme_name,
        coalesce(portfolio, 'unassigned') as portfolio_name
    from {{ ref('fct_project_quality') }}

),

levels as (

    select 'programme' as rollup_level, programme_name as rollup_name, * from projects
    union all
    select 'portfolio' as rollup_level, portfolio_name as rollup_name, * from projects
    union all
    select 'organisation' as rollup_level, 'All portfolios' as rollup_name, * from projects

),

summed as (

    select
        rollup_level,
        rollup_name,
        period,
        max(status_date) as status_date,
        count(*) as projects,
        sum(case when has_quality_data then 1 else 0 end) as projects_with_quality_data,
        sum(open_defects) as open_defects,
        sum(open_critical_defects) as open_critical_defects,
        sum(open_major_defects) as open_major_defects,
        sum(open_minor_defects) as open_minor_defects,
        sum(open_trivial_defects) as open_trivial_defects,
        sum(open_unclassified_defects) as open_unclassified_defects,
        sum(reopened_defects) as reopened_defects,
        sum(defects_found) as defects_found,
        sum(escaped_defects_found) as escaped_defects_found,
        sum(defects_fixed) as defects_fixed,
        sum(defects_found_to_date) as defects_found_to_date,
        sum(defects_with_origin_to_date) as defects_with_origin_to_date,
        sum(escaped_defects_to_date) as escaped_defects_to_date,
        sum(open_critical_age_days) as open_critical_age_days,
        sum(reviews_held) as reviews_held,
        sum(reviews_failed) as reviews_failed,
        sum(reviews_to_date) as reviews_to_date,
        sum(first_attempts_to_date) as first_attempts_to_date,
        sum(first_time_passes_to_date) as first_time_passes_to_date,
        sum(open_nonconformances) as open_nonconformances,
        sum(rework_hours_to_date) as rework_hours_to_date,
        sum(rework_cost_to_date) as rework_cost_to_date,
        -- AC only of the projects whose rework is costed, so the share compares like with like
        sum(case when rework_cost_to_date is not null then ac end) as costed_ac
    from levels
    group by
        rollup_level,
        rollup_name,
        period

)

select
    rollup_level,
    rollup_name,
    period,
    status_date,
    cast(projects as {{ dbt.type_int() }}) as projects,
    cast(projects_with_quality_data as {{ dbt.type_int() }}) as projects_with_quality_data,
    cast(open_defects as {{ dbt.type_int() }}) as open_defects,
    cast(open_critical_defects as {{ dbt.type_int() }}) as open_critical_defects,
    cast(open_major_defects as {{ dbt.type_int() }}) as open_major_defects,
    cast(open_minor_defects as {{ dbt.type_int() }}) as open_minor_defects,
    cast(open_trivial_defects as {{ dbt.type_int() }}) as open_trivial_defects,
    cast(open_unclassified_defects as {{ dbt.type_int() }}) as open_unclassified_defects,
    cast(reopened_defects as {{ dbt.type_int() }}) as reopened_defects,
    cast(defects_found as {{ dbt.type_int() }}) as defects_found,
    cast(escaped_defects_found as {{ dbt.type_int() }}) as escaped_defects_found,
    cast(defects_fixed as {{ dbt.type_int() }}) as defects_fixed,
    cast(defects_found_to_date as {{ dbt.type_int() }}) as defects_found_to_date,
    cast(defects_with_origin_to_date as {{ dbt.type_int() }}) as defects_with_origin_to_date,
    cast(escaped_defects_to_date as {{ dbt.type_int() }}) as escaped_defects_to_date,
    {{ safe_divide('escaped_defects_to_date', 'defects_with_origin_to_date') }} * 100 as defect_escape_rate_pct,
    {{ safe_divide('open_critical_age_days', 'open_critical_defects') }} as mean_open_critical_age_days,
    cast(reviews_held as {{ dbt.type_int() }}) as reviews_held,
    cast(reviews_failed as {{ dbt.type_int() }}) as reviews_failed,
    cast(reviews_to_date as {{ dbt.type_int() }}) as reviews_to_date,
    cast(first_attempts_to_date as {{ dbt.type_int() }}) as first_attempts_to_date,
    cast(first_time_passes_to_date as {{ dbt.type_int() }}) as first_time_passes_to_date,
    {{ safe_divide('first_time_passes_to_date', 'first_attempts_to_date') }} * 100 as first_time_pass_rate_pct,
    cast(open_nonconformances as {{ dbt.type_int() }}) as open_nonconformances,
    rework_hours_to_date,
    {{ to_money('rework_cost_to_date') }} as rework_cost_to_date,
    {{ safe_divide('rework_cost_to_date', 'costed_ac') }} * 100 as rework_cost_pct_of_ac
from summed
