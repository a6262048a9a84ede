{#-
    Every lesson of the register with its project's context: programme, portfolio, the project's start,
    and its CPI and SPI(t) of its latest period in fct_earned_value up to the reporting period (final
    when the project is complete). is_recurrence marks a lesson whose category had already been actioned
    or embedded, on another project, before this lesson's project started: the "same mistake twice" signal.
-#}
with lessons as (

    select * from {{ ref('stg_raw__lessons') }}

),

projects as (

    select project_code, project_name, programme, portfolio, start_date from {{ ref('dim_project') }}

),

parameters as (

    select reporting_period from {{ ref('int_reporting_parameters_resolved') }}

),

latest_figures as (

    select
        ev.project_code,
        ev.period,
        ev.cpi,
        ev.spi_t,
        ev.is_complete,
        row_number() over (partition by ev.project_code order by ev.period desc) as recency
    from {{ ref('fct_earned_value') }} as ev
    cross join parameters
    where ev.period <= parameters.reporting_period

),

actioned as (

    select lesson_id, project_code, category, actioned_date
    from lessons
    where status in ('actioned', 'embedded') and actioned_date is not null

),

recurrences as (

    select
        lessons.lesson_id,
        min(actioned.lesson_id) as repeats_lesson_id,
        count(*) as earlier_actioned_lessons
    from lessons
    inner join projects on projects.project_code = lessons.project_code
    inner join actioned
        on actioned.category = lessons.category
        and actioned.project_code <> lessons.project_code
        and actioned.actioned_date < projects.start_date
    group by lessons.lesson_id

)

select
    lessons.lesson_id,
    lessons.project_code,
    projects.project_name,
    projects.programme,
    projects.portfolio,
    projects.start_date as project_start_date,
    lessons.raised_date,
    {{ period_label('lessons.raised_date') }} as raised_period,
    lessons.phase,
    lessons.category,
    lessons.what_happened,
    lessons.root_cause,
    lessons.recommendation,
    lessons.cost_impact,
    lessons.schedule_impact_days,
    lessons.status,
    lessons.actioned_date,
    lessons.owner_role,
    lessons.risk_id,
    latest_figures.period as figures_period,
    latest_figures.cpi as project_cpi,
    latest_figures.spi_t as project_spi_t,
    coalesce(latest_figures.is_complete, false) as project_is_complete,
    recurrences.lesson_id is not null as is_recurrence,
    recurrences.repeats_lesson_id
from lessons
left join projects on projects.project_code = lessons.project_code
left join latest_figures on latest_figures.project_code = lessons.project_code and latest_figures.recency = 1
left join recurrences on recurrences.lesson_id = lessons.lesson_id
