{#-
    A weighted prioritisation score for each project of the register:

      weighted_score = sum(weight x score) / sum(weight), over the criteria of the seed
                       prioritisation_weights that the project has a score for (raw.projects'
                       score_<criterion> columns, unpivoted by stg_raw__project_scores)

    so the score stays on the scale of the scores (the demo's 1-5). is_fully_scored says whether the
    project has a score for every weighted criterion; score columns without a weight are ignored.
    priority_rank orders the scored projects by weighted_score, highest first (ties share a rank); it is
    NULL for a project with no weighted score. It ranks the score rounded to 9 decimal places: the sum is
    of doubles, whose last bit depends on the order the engine adds the criteria (2.4000000000000004 on
    DuckDB, 2.4 on Spark for the same 0.4 x 3 + 0.6 x 2), and scores equal to the precision of their
    inputs must tie on every engine.
-#}
with projects as (

    select * from {{ ref('stg_raw__projects') }}

),

weights as (

    select
        lower(trim(criterion)) as criterion,
        cast(weight as {{ type_index() }}) as weight
    from {{ ref('prioritisation_weights') }}

),

scores as (

    select * from {{ ref('stg_raw__project_scores') }}

),

weighted as (

    select
        projects.project_code,
        count(weights.criterion) as criteria_weighted,
        count(scores.score) as criteria_scored,
        sum(weights.weight * scores.score) as weighted_sum,
        sum(case when scores.score is not null then weights.weight end) as weight_scored
    from projects
    cross join weights
    left join scores
        on scores.project_code = projects.project_code
        and scores.criterion = weights.criterion
    group by projects.project_code

),

scored as (

    select
        projects.project_code,
        projects.project_name,
        projects.programme,
        projects.portfolio,
        projects.status,
        coalesce(weighted.criteria_weighted, 0) as criteria_weighted,
        coalesce(weighted.criteria_scored, 0) as criteria_scored,
        {{ safe_divide('weighted.weighted_sum', 'weighted.weight_scored') }} as weighted_score
    from projects
    left join weighted
        on weighted.project_code = projects.project_code

)

select
    project_code,
    project_name,
    programme,
    portfolio,
    status,
    criteria_weighted,
    criteria_scored,
    criteria_weighted > 0 and criteria_scored = criteria_weighted as is_fully_scored,
    weighted_score,
    case when weighted_score is not null
            then cast(rank() over (
                    order by case when weighted_score is null then 1 else 0 end, round(weighted_score, 9) desc
                ) as {{ dbt.type_int() }})
    end as priority_rank
from scored
