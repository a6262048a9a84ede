{#-
    As reported vs restated, project x closed period. The reported_* columns are the figures the
    period's pack showed when the period was closed (frozen: stg_reported__earned_value, over the
    source reported.earned_value); the
    restated_* columns are the same measures as computed today from today's source data
    (fct_earned_value); <measure>_restatement is restated - reported (for the forecast finish, in
    days). A project that appears only on one side (a project added or removed since) has NULLs on
    the other side and is_restated true. Amounts compare exactly (a cent restates); indices and
    durations compare at 9 decimals, far below what a pack prints and above floating-point noise.

    Every row of a project is measured against its current baseline, so a re-baseline since the period
    was reported moves BAC and PV (and what derives from them) without any source row of that period
    changing. restatement_cause tells the two apart: 'rebaseline' when the baseline version changed and
    AC did not, 'source_correction' when the baseline is the same, 'rebaseline_and_source_correction'
    when the baseline changed and AC moved too (AC never depends on the baseline).
-#}
{%- set money = ['bac', 'pv', 'ev', 'ac', 'cv', 'sv', 'eac_cpi', 'etc', 'vac'] -%}
{%- set ratios = ['cpi', 'spi', 'es', 'spi_t', 'ieac_t'] -%}
{%- set measures = money + ratios -%}

with reported as (

    select * from {{ ref('stg_reported__earned_value') }}

),

closed_periods as (

    select distinct period, reported_run_id, reported_at, closed_at from reported

),

current_figures as (

    select f.*
    from {{ ref('fct_earned_value') }} as f
    inner join closed_periods as c on c.period = f.period

),

compared as (

    select
        coalesce(r.project_code, f.project_code) as project_code,
        coalesce(r.period, f.period) as period,
        coalesce(r.currency, f.currency) as currency,
        c.reported_run_id,
        c.reported_at,
        c.closed_at,
        r.project_code is not null as was_reported,
        f.project_code is not null as is_in_current_data,
        {% for m in measures %}
        r.{{ m }} as reported_{{ m }},
        f.{{ m }} as restated_{{ m }},
        f.{{ m }} - r.{{ m }} as {{ m }}_restatement,
        {% endfor %}
        r.baseline_version as reported_baseline_version,
        f.baseline_version as restated_baseline_version,
        r.forecast_finish_date as reported_forecast_finish_date,
        f.forecast_finish_date as restated_forecast_finish_date,
        {{ days_between('r.forecast_finish_date', 'f.forecast_finish_date') }} as forecast_finish_date_restatement_days
    from reported as r
    full outer join current_figures as f
        on f.project_code = r.project_code and f.period = r.period
    inner join closed_periods as c
        on c.period = coalesce(r.period, f.period)

),

flagged as (

    select
        *,
        (not was_reported) or (not is_in_current_data)
    {% for m in measures %}
        or ({{ restated_differs(m, m in ratios) }})
    {% endfor %}
        or (reported_forecast_finish_date is distinct from restated_forecast_finish_date)
        as is_restated,
        was_reported and is_in_current_data
        and reported_baseline_version is distinct from restated_baseline_version as baseline_changed,
        concat_ws(', '
    {% for m in measures %}
        , case when {{ restated_differs(m, m in ratios) }} then '{{ m }}' end
    {% endfor %}
        , case when reported_forecast_finish_date is distinct from restated_forecast_finish_date
               then 'forecast_finish_date' end
    ) as restated_measures
    from compared

)

select
    project_code,
    period,
    currency,
    reported_run_id,
    reported_at,
    closed_at,
    was_reported,
    is_in_current_data,
    is_restated,
    restated_measures,
    reported_baseline_version,
    restated_baseline_version,
    baseline_changed,
    case
        when not is_restated then null
        when baseline_changed and {{ restated_differs('ac', false) }} then 'rebaseline_and_source_correction'
        when baseline_changed then 'rebaseline'
        else 'source_correction'
    end as restatement_cause,
    {% for m in measures %}
    reported_{{ m }},
    restated_{{ m }},
    {{ m }}_restatement,
    {% endfor %}
    reported_forecast_finish_date,
    restated_forecast_finish_date,
    forecast_finish_date_restatement_days
from flagged
