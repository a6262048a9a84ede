{#-
    RAG status of each project at every period of fct_earned_value, rated against the bands of the seed
    rag_rules for the version in the var rag_rule_version (default PMO-RAG-2; stored on every row):

      rag_cost       CPI                                 (FEMA MIP bands by default)
      rag_schedule   SPI(t), not SPI                     (FEMA MIP bands by default)
      rag_benefits   benefit realisation % to date       (house rule by default)
      rag_risk       open risk exposure as % of BAC      (house rule by default)
      rag_quality    the worst of the defect escape rate, the first-time pass rate of reviews and
                     the open critical defects that could be rated (docs/quality-kpi.md); NULL
                     (not rated, never green) for a project without quality data. A rule version
                     without quality bands (PMO-RAG-1) leaves it not rated.
      rag_overall    the worst of the five that could be rated; a measure that is NULL (not
                     measurable yet) is not rated and does not count
    overall_trend compares rag_overall with the project's previous period: improved, same or worse
    (NULL in its first period or when either is not rated).
-#}
{%- set rule_version = var('rag_rule_version', 'PMO-RAG-2') | string | trim -%}

with measures as (

    select * from {{ ref('int_project_status_measures_joined') }}

),

rules as (

    select * from {{ ref('rag_rules') }}
    where rule_version = '{{ rule_version | replace("'", "''") }}'

),

rated as (

    select
        measures.*,
        cost_rule.rag_rank as cost_rank,
        schedule_rule.rag_rank as schedule_rank,
        benefits_rule.rag_rank as benefits_rank,
        risk_rule.rag_rank as risk_rank,
        {{ rag_worst_rank(['escape_rule.rag_rank', 'pass_rule.rag_rank', 'critical_rule.rag_rank']) }} as quality_rank
    from measures
    left join rules as cost_rule
        on cost_rule.measure = 'cpi'
        and {{ rag_band_matches('measures.cpi', 'cost_rule') }}
    left join rules as schedule_rule
        on schedule_rule.measure = 'spi_t'
        and {{ rag_band_matches('measures.spi_t', 'schedule_rule') }}
    left join rules as benefits_rule
        on benefits_rule.measure = 'benefit_realisation_pct_to_date'
        and {{ rag_band_matches('measures.benefit_realisation_pct_to_date', 'benefits_rule') }}
    left join rules as risk_rule
        on risk_rule.measure = 'risk_exposure_pct_of_bac'
        and {{ rag_band_matches('measures.risk_exposure_pct_of_bac', 'risk_rule') }}
    left join rules as escape_rule
        on escape_rule.measure = 'defect_escape_rate_pct'
        and {{ rag_band_matches('measures.defect_escape_rate_pct', 'escape_rule') }}
    left join rules as pass_rule
        on pass_rule.measure = 'first_time_pass_rate_pct'
        and {{ rag_band_matches('measures.first_time_pass_rate_pct', 'pass_rule') }}
    left join rules as critical_rule
        on critical_rule.measure = 'open_critical_defects'
        and {{ rag_band_matches('measures.open_critical_defects', 'critical_rule') }}

),

overall as (

    select
        *,
        {{ rag_worst_rank(['cost_rank', 'schedule_rank', 'benefits_rank', 'risk_rank', 'quality_rank']) }} as overall_rank
    from rated

),

trended as (

    select
        *,
        lag(overall_rank) over (partition by project_code order by period) as previous_overall_rank
    from overall

)

select
    project_code,
    period,
    status_date,
    programme,
    portfolio,
    cast('{{ rule_version | replace("'", "''") }}' as {{ dbt.type_string() }}) as rule_version,
    cpi,
    spi_t,
    benefit_realisation_pct_to_date,
    risk_exposure_pct_of_bac,
    {{ rag_label('cost_rank') }} as rag_cost,
    {{ rag_label('schedule_rank') }} as rag_schedule,
    {{ rag_label('benefits_rank') }} as rag_benefits,
    {{ rag_label('risk_rank') }} as rag_risk,
    {{ rag_label('overall_rank') }} as rag_overall,
    cast(overall_rank as {{ dbt.type_int() }}) as rag_overall_rank,
    {{ rag_label('previous_overall_rank') }} as previous_rag_overall,
    {{ rag_trend('overall_rank', 'previous_overall_rank') }} as overall_trend,
    defect_escape_rate_pct,
    first_time_pass_rate_pct,
    open_critical_defects,
    {{ rag_label('quality_rank') }} as rag_quality
from trended
