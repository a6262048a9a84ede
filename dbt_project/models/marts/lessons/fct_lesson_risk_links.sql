{#-
    The lessons that apply to each open risk of an active project before it materialises: every open risk
    of the projects' latest risk-register snapshots in the reporting period, whose category maps
    (seed lesson_risk_categories) onto a lesson category, joined to the lessons of that category learned
    on other projects. One row per risk and lesson offered: the first var('lessons_per_risk') of them,
    embedded then actioned then open, oldest first (lesson_rank), and on every row how many apply in all
    (lessons_applying).

    Linear in the organisation's size: risks and lessons both grow with it, and their product must not be
    built (risks x lessons of their category was 2.2 million rows at 2,000 projects and about 200 million
    at 20,000, all through one window). A risk is offered the first lessons of its category once its own
    project's are left out, so its first N are among the category's first N + m, where m is the most
    lessons any one project has in that category: only those candidates meet the risks. How many apply is
    counted, not enumerated: the category's lessons less the risk's own project's.
-#}
with parameters as (

    select reporting_period from {{ ref('int_reporting_parameters_resolved') }}

),

risks as (

    select risks.*
    from {{ ref('int_risks_snapshotted') }} as risks
    inner join parameters on parameters.reporting_period = risks.period
    where risks.is_open

),

active as (

    select ev.project_code
    from {{ ref('fct_earned_value') }} as ev
    inner join parameters on parameters.reporting_period = ev.period
    where not coalesce(ev.is_complete, false)

),

mapping as (

    select lower(trim(risk_category)) as risk_category, lower(trim(lesson_category)) as lesson_category
    from {{ ref('lesson_risk_categories') }}

),

lessons as (

    select
        *,
        row_number() over (
            partition by category
            order by
                case status when 'embedded' then 0 when 'actioned' then 1 else 2 end,
                raised_date nulls last,
                lesson_id
        ) as category_rank
    from {{ ref('fct_lessons_learned') }}

),

project_lessons as (

    -- each project's lessons of each category: never offered to that project's own risks
    select category, project_code, count(*) as lessons
    from lessons
    group by category, project_code

),

category_lessons as (

    select category, sum(lessons) as lessons, max(lessons) as most_from_one_project
    from project_lessons
    group by category

),

candidates as (

    select lessons.*
    from lessons
    inner join category_lessons on category_lessons.category = lessons.category
    where lessons.category_rank <= {{ var('lessons_per_risk') }} + category_lessons.most_from_one_project

),

risks_mapped as (

    select
        risks.project_code,
        risks.risk_id,
        risks.title as risk_title,
        risks.category as risk_category,
        risks.period,
        mapping.lesson_category
    from risks
    inner join active on active.project_code = risks.project_code
    inner join mapping on mapping.risk_category = lower(trim(risks.category))

),

applying as (

    select
        risks_mapped.project_code,
        risks_mapped.risk_id,
        cast(sum(category_lessons.lessons - coalesce(own.lessons, 0)) as {{ dbt.type_bigint() }})
            as lessons_applying
    from risks_mapped
    inner join category_lessons on category_lessons.category = risks_mapped.lesson_category
    left join project_lessons as own
        on
        own.category = risks_mapped.lesson_category
        and own.project_code = risks_mapped.project_code
    group by risks_mapped.project_code, risks_mapped.risk_id

),

linked as (

    select
        risks_mapped.project_code,
        risks_mapped.risk_id,
        risks_mapped.risk_title,
        risks_mapped.risk_category,
        risks_mapped.period,
        candidates.category as lesson_category,
        candidates.lesson_id,
        candidates.project_code as lesson_project_code,
        candidates.raised_date as lesson_raised_date,
        candidates.status as lesson_status,
        candidates.recommendation,
        cast(row_number() over (
            partition by risks_mapped.project_code, risks_mapped.risk_id
            order by
                case candidates.status when 'embedded' then 0 when 'actioned' then 1 else 2 end,
                candidates.raised_date nulls last,
                candidates.lesson_id
        ) as {{ dbt.type_bigint() }}) as lesson_rank
    from risks_mapped
    inner join candidates
        on
        candidates.category = risks_mapped.lesson_category
        and candidates.project_code <> risks_mapped.project_code

)

select
    linked.project_code,
    linked.risk_id,
    linked.risk_title,
    linked.risk_category,
    linked.period,
    linked.lesson_category,
    linked.lesson_id,
    linked.lesson_project_code,
    linked.lesson_raised_date,
    linked.lesson_status,
    linked.recommendation,
    linked.lesson_rank,
    applying.lessons_applying
from linked
inner join applying
    on
    applying.project_code = linked.project_code
    and applying.risk_id = linked.risk_id
where linked.lesson_rank <= {{ var('lessons_per_risk') }}
