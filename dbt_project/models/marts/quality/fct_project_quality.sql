{#-
    The quality of what each project delivers, at every period of fct_earned_value (docs/quality-kpi.md):

    Defects: the work items whose item_type is Bug or Defect (any case), in the project's latest tracker
    snapshot on or before the period's status date (defects_status_date). A defect is open while its
    status_category is not done (an unknown status counts as open); it was found on created_date, else
    on the first snapshot it appears in; it was fixed on resolved_date, else on the first snapshot it is
    done in. A defect is reopened when it is open and was done in an earlier snapshot, or still carries a
    resolved_date. An escaped defect was found in production (found_in); the escape rate counts only
    defects whose found_in is known (ISTQB: the complement of the defect detection percentage).
    Defect counts are NULL for a project with no tracker snapshot at all (not measured, not zero).

    Reviews: every row of the quality review register held on or before the status date. The first
    attempt at a review is the earliest review of the same project, deliverable and review type; it
    passes first time when its outcome is passed or passed_with_actions. Open non-conformances and
    rework are the register's figures for the reviews held to date. Rework cost is in the project
    currency and is converted at the period's fx rate to be set against AC.

    Every rate is a ratio of the counts beside it, so roll-ups (fct_quality_rollup) add the
    counts, never the rates. has_quality_data: at least one defect found or one review held to date;
    without it the quality RAG (fct_project_status.rag_quality) is not rated.
-#}

with periods as (

    select
        project_code,
        period,
        status_date,
        {{ period_start_from_label('period') }} as period_start,
        programme,
        portfolio,
        ac,
        fx_rate
    from {{ ref('fct_earned_value') }}

),

work_items as (

    select * from {{ ref('stg_raw__work_items') }}

),

snapshots as (

    select distinct
        project_code,
        status_date
    from work_items

),

period_snapshots as (

    select
        periods.project_code,
        periods.period,
        max(snapshots.status_date) as defects_status_date
    from periods
    inner join snapshots
        on snapshots.project_code = periods.project_code
        and snapshots.status_date <= periods.status_date
    group by
        periods.project_code,
        periods.period

),

defect_snapshots as (

    select
        project_code,
        item_key,
        status_date,
        coalesce(status_category, 'todo') <> 'done' as is_open,
        severity,
        found_in,
        coalesce(
            created_date,
            min(status_date) over (partition by project_code, item_key)
        ) as found_date,
        coalesce(
            resolved_date,
            min(case when status_category = 'done' then status_date end)
                over (
                    partition by project_code, item_key order by status_date
                    rows between unbounded preceding and current row
                )
        ) as fixed_date,
        coalesce(status_category, 'todo') <> 'done'
        and (
            resolved_date is not null
            or coalesce(max(case when status_category = 'done' then 1 else 0 end)
                over (
                    partition by project_code, item_key order by status_date
                    rows between unbounded preceding and 1 preceding
                ), 0) = 1
        )
            as is_reopened
    from work_items
    where lower(trim(item_type)) in ('bug', 'defect')

),

defect_measures as (

    select
        periods.project_code,
        periods.period,
        sum(case when defects.is_open then 1 else 0 end) as open_defects,
        sum(case when defects.is_open and defects.severity = 'critical' then 1 else 0 end) as open_critical_defects,
        sum(case when defects.is_open and defects.severity = 'major' then 1 else 0 end) as open_major_defects,
        sum(case when defects.is_open and defects.severity = 'minor' then 1 else 0 end) as open_minor_defects,
        sum(case when defects.is_open and defects.severity = 'trivial' then 1 else 0 end) as open_trivial_defects,
        sum(case when defects.is_open and defects.severity is null then 1 else 0 end) as open_unclassified_defects,
        sum(case when defects.is_reopened then 1 else 0 end) as reopened_defects,
        sum(case when defects.found_date between periods.period_start and periods.status_date
                then 1
            else 0
        end) as defects_found,
        sum(case when defects.found_date between periods.period_start and periods.status_date
                and defects.found_in = 'production' then 1
            else 0
        end) as escaped_defects_found,
        sum(case when not defects.is_open
                and defects.fixed_date between periods.period_start and periods.status_date
                then 1
            else 0
        end) as defects_fixed,
        sum(case when defects.found_date <= periods.status_date then 1 else 0 end) as defects_found_to_date,
        sum(case when defects.found_date <= periods.status_date and defects.found_in is not null
                then 1
            else 0
        end) as defects_with_origin_to_date,
        sum(case when defects.found_date <= periods.status_date and defects.found_in = 'production'
                then 1
            else 0
        end) as escaped_defects_to_date,
        sum(case when defects.is_open and defects.severity = 'critical'
                then {{ days_between('defects.found_date', 'periods.status_date') }}
        end) as open_critical_age_days
    from periods
    inner join period_snapshots
        on period_snapshots.project_code = periods.project_code
        and period_snapshots.period = periods.period
    inner join defect_snapshots as defects
        on defects.project_code = period_snapshots.project_code
        and defects.status_date = period_snapshots.defects_status_date
    group by
        periods.project_code,
        periods.period

),

reviews as (

    select
        *,
        row_number() over (
            partition by project_code, coalesce(deliverable, ''), review_type
            order by review_date, review_id
        ) = 1 as is_first_attempt
    from {{ ref('stg_raw__quality_reviews') }}

),

review_measures as (

    select
        periods.project_code,
        periods.period,
        sum(case when reviews.review_date >= periods.period_start then 1 else 0 end) as reviews_held,
        sum(case when reviews.review_date >= periods.period_start and reviews.outcome = 'failed'
                then 1
            else 0
        end) as reviews_failed,
        count(*) as reviews_to_date,
        sum(case when reviews.is_first_attempt then 1 else 0 end) as first_attempts_to_date,
        sum(case when reviews.is_first_attempt and reviews.outcome in ('passed', 'passed_with_actions')
                then 1
            else 0
        end) as first_time_passes_to_date,
        coalesce(sum(reviews.open_nonconformances), 0) as open_nonconformances,
        sum(reviews.rework_hours) as rework_hours_to_date,
        sum(reviews.rework_cost) as rework_cost_native_to_date
    from periods
    inner join reviews
        on reviews.project_code = periods.project_code
        and reviews.review_date <= periods.status_date
    group by
        periods.project_code,
        periods.period

),

joined as (

    select
        periods.*,
        period_snapshots.defects_status_date,
        -- a tracker snapshot without a single defect is zero defects; no snapshot at all is not measured
        case when period_snapshots.defects_status_date is not null then 0 end as defects_zero,
        defect_measures.open_defects,
        defect_measures.open_critical_defects,
        defect_measures.open_major_defects,
        defect_measures.open_minor_defects,
        defect_measures.open_trivial_defects,
        defect_measures.open_unclassified_defects,
        defect_measures.reopened_defects,
        defect_measures.defects_found,
        defect_measures.escaped_defects_found,
        defect_measures.defects_fixed,
        defect_measures.defects_found_to_date,
        defect_measures.defects_with_origin_to_date,
        defect_measures.escaped_defects_to_date,
        defect_measures.open_critical_age_days,
        coalesce(review_measures.reviews_held, 0) as reviews_held,
        coalesce(review_measures.reviews_failed, 0) as reviews_failed,
        coalesce(review_measures.reviews_to_date, 0) as reviews_to_date,
        coalesce(review_measures.first_attempts_to_date, 0) as first_attempts_to_date,
        coalesce(review_measures.first_time_passes_to_date, 0) as first_time_passes_to_date,
        coalesce(review_measures.open_nonconformances, 0) as open_nonconformances,
        review_measures.rework_hours_to_date,
        review_measures.rework_cost_native_to_date
    from periods
    left join period_snapshots
        on period_snapshots.project_code = periods.project_code
        and period_snapshots.period = periods.period
    left join defect_measures
        on defect_measures.project_code = periods.project_code
        and defect_measures.period = periods.period
    left join review_measures
        on review_measures.project_code = periods.project_code
        and review_measures.period = periods.period

),

counted as (

    select
        project_code,
        period,
        status_date,
        programme,
        portfolio,
        defects_status_date,
        coalesce(open_defects, defects_zero) as open_defects,
        coalesce(open_critical_defects, defects_zero) as open_critical_defects,
        coalesce(open_major_defects, defects_zero) as open_major_defects,
        coalesce(open_minor_defects, defects_zero) as open_minor_defects,
        coalesce(open_trivial_defects, defects_zero) as open_trivial_defects,
        coalesce(open_unclassified_defects, defects_zero) as open_unclassified_defects,
        coalesce(reopened_defects, defects_zero) as reopened_defects,
        coalesce(defects_found, defects_zero) as defects_found,
        coalesce(escaped_defects_found, defects_zero) as escaped_defects_found,
        coalesce(defects_fixed, defects_zero) as defects_fixed,
        coalesce(defects_found_to_date, defects_zero) as defects_found_to_date,
        coalesce(defects_with_origin_to_date, defects_zero) as defects_with_origin_to_date,
        coalesce(escaped_defects_to_date, defects_zero) as escaped_defects_to_date,
        coalesce(open_critical_age_days, defects_zero) as open_critical_age_days,
        reviews_held,
        reviews_failed,
        reviews_to_date,
        first_attempts_to_date,
        first_time_passes_to_date,
        open_nonconformances,
        rework_hours_to_date,
        {{ to_money('rework_cost_native_to_date * fx_rate') }} as rework_cost_to_date,
        ac
    from joined

)

select
    project_code,
    period,
    status_date,
    programme,
    portfolio,
    defects_status_date,
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
    cast(open_critical_age_days as {{ dbt.type_int() }}) as open_critical_age_days,
    {{ safe_divide('open_critical_age_days', 'open_critical_defects') }} as mean_open_critical_age_days,
    cast(reviews_held as {{ dbt.type_int() }}) as reviews_held,
    cast(reviews_failed as {{ dbt.type_int() }}) as reviews_failed,
    cast(reviews_to_date as {{ dbt.type_int() }}) as reviews_to_date,
    cast(first_attempts_to_date as {{ dbt.type_int() }}) as first_attempts_to_date,
    cast(first_time_passes_to_date as {{ dbt.type_int() }}) as first_time_passes_to_date,
    {{ safe_divide('first_time_passes_to_date', 'first_attempts_to_date') }} * 100 as first_time_pass_rate_pct,
    cast(open_nonconformances as {{ dbt.type_int() }}) as open_nonconformances,
    rework_hours_to_date,
    rework_cost_to_date,
    ac,
    {{ safe_divide('rework_cost_to_date', 'ac') }} * 100 as rework_cost_pct_of_ac,
    coalesce(defects_found_to_date, 0) + reviews_to_date > 0 as has_quality_data
from counted
