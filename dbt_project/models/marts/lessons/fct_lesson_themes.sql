{#-
    Lessons by category and reporting period (the periods of fct_earned_value), from the first period a lesson
    was raised to the reporting period:
    raised in the period and to date, and, as at the period's end, how many were open, actioned or
    embedded (a lesson counts as open until its actioned_date; the register keeps only the latest status,
    so an actioned lesson that was later embedded counts as embedded from its actioned_date), and the
    recurrences raised in the period (fct_lessons_learned.is_recurrence). A category has rows from the period
    its first lesson was raised.
-#}
with lessons as (

    select * from {{ ref('fct_lessons_learned') }}

),

parameters as (

    select reporting_period, reporting_period_end from {{ ref('int_reporting_parameters_resolved') }}

),

periods as (

    -- the reporting periods of the warehouse, from the month of the first lesson to the reporting period
    select distinct ev.period, ev.status_date as period_end
    from {{ ref('fct_earned_value') }} as ev
    cross join parameters
    where ev.period <= parameters.reporting_period
        and ev.period >= (select min(lessons.raised_period) from lessons)

),

spine as (

    select
        periods.period,
        periods.period_end,
        categories.category
    from periods
    -- the closed vocabulary (orchestration/contract.py LESSON_CATEGORIES): constants, so the spine does not
    -- grow with the register
    cross join (  -- noqa: ST05
        {%- for category in ['estimating', 'requirements', 'supplier', 'resourcing', 'technical', 'governance',
                             'stakeholder', 'quality', 'commercial'] %}
            select '{{ category }}' as category
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    ) as categories

)

select
    spine.category,
    spine.period,
    spine.period_end as status_date,
    cast(count(lessons.lesson_id) filter (where lessons.raised_period = spine.period) as {{ dbt.type_int() }})
        as raised,
    cast(count(lessons.lesson_id) as {{ dbt.type_int() }}) as raised_to_date,
    cast(count(lessons.lesson_id) filter (
        where lessons.status = 'open' or lessons.actioned_date is null or lessons.actioned_date > spine.period_end
    ) as {{ dbt.type_int() }}) as open_lessons,
    cast(count(lessons.lesson_id) filter (
        where lessons.status = 'actioned' and lessons.actioned_date <= spine.period_end
    ) as {{ dbt.type_int() }}) as actioned_lessons,
    cast(count(lessons.lesson_id) filter (
        where lessons.status = 'embedded' and lessons.actioned_date <= spine.period_end
    ) as {{ dbt.type_int() }}) as embedded_lessons,
    cast(count(lessons.lesson_id) filter (
        where lessons.raised_period = spine.period and lessons.is_recurrence
    ) as {{ dbt.type_int() }}) as recurrences
from spine
left join lessons
    on lessons.category = spine.category
    and lessons.raised_date <= spine.period_end
group by spine.category, spine.period, spine.period_end
-- a category appears from the period of its first lesson
having count(lessons.lesson_id) > 0
