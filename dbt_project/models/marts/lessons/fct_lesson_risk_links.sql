{#-
    The lessons that apply to each open risk of an active project before it materialises: every open risk
    of the projects' latest risk-register snapshots in the reporting period, whose category maps
    (seed lesson_risk_categories) onto a lesson category, joined to the lessons of that category learned
    on other projects. One row per risk and lesson offered: the first var('lessons_per_risk') of them,
    embedded then actioned then open, oldest first (lesson_rank), and on every row how many apply in all
    (lessons_applying). The limit keeps the mart linear in the organisation's size: risks and lessons both
    grow with it, and their product did not.
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

    select * from {{ ref('fct_lessons_learned') }}

),

linked as (

    select
        risks.project_code,
        risks.risk_id,
        risks.title as risk_title,
        risks.category as risk_category,
        risks.period,
        lessons.category as lesson_category,
        lessons.lesson_id,
        lessons.project_code as lesson_project_code,
        lessons.raised_date as lesson_raised_date,
        lessons.status as lesson_status,
        lessons.recommendation,
        cast(row_number() over (
            partition by risks.project_code, risks.risk_id
            order by
                case lessons.status when 'embedded' then 0 when 'actioned' then 1 else 2 end,
                lessons.raised_date nulls last,
                lessons.lesson_id
        ) as {{ dbt.type_bigint() }}) as lesson_rank,
        count(*) over (partition by risks.project_code, risks.risk_id) as lessons_applying
    from risks
    inner join active on active.project_code = risks.project_code
    inner join mapping on mapping.risk_category = lower(trim(risks.category))
    inner join lessons
        on
        lessons.category = mapping.lesson_category
        and lessons.project_code <> risks.project_code

)

select
    project_code,
    risk_id,
    risk_title,
    risk_category,
    period,
    lesson_category,
    lesson_id,
    lesson_project_code,
    lesson_raised_date,
    lesson_status,
    recommendation,
    lesson_rank,
    lessons_applying
from linked
where lesson_rank <= {{ var('lessons_per_risk') }}
