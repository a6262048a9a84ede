{#-
    The run's parameters as one row, so every model that depends on the reporting window joins it
    (and unit tests can state it as an input).

    reporting_period    'YYYY-MM' from the var of that name, else from the environment variable
                        PMO_REPORTING_PERIOD; when neither is set, the month of the latest task
                        snapshot (max tasks.status_date).
    reporting_currency  ISO code from the var of that name (default GBP), upper-cased.

    The orchestrator passes the period in PMO_REPORTING_PERIOD rather than --vars: dbt cannot reuse
    its saved parse when the --vars differ from the last run's (every model and test is parsed again,
    about as long as the build itself at demo scale), whereas a changed environment variable only
    makes it re-parse the files that read it, i.e. this one.
-#}
{%- set reporting_period = var('reporting_period', none) or (env_var('PMO_REPORTING_PERIOD', '') | trim) or none -%}
{%- set reporting_currency = (var('reporting_currency', 'GBP') | string | trim | upper) -%}

{%- if reporting_period is not none and not modules.re.fullmatch('[0-9]{4}-(0[1-9]|1[0-2])', reporting_period | string | trim) -%}
    {{ exceptions.raise_compiler_error(
        "var reporting_period must be a month 'YYYY-MM' (for example 2024-03); got '" ~ reporting_period ~ "'."
        ~ " Pass it as --vars '{reporting_period: \"2024-03\"}' or in the environment variable PMO_REPORTING_PERIOD."
    ) }}
{%- endif -%}
{%- if not modules.re.fullmatch('[A-Z]{3}', reporting_currency) -%}
    {{ exceptions.raise_compiler_error(
        "var reporting_currency must be a three-letter ISO 4217 code (for example GBP); got '" ~ reporting_currency ~ "'."
    ) }}
{%- endif -%}

with latest_snapshot as (

    select max(status_date) as latest_status_date
    from {{ ref('stg_raw__tasks') }}

),

period_start as (

    select
        {%- if reporting_period is none %}
            {{ month_start('latest_status_date') }} as reporting_period_start,
        {%- else %}
            cast('{{ reporting_period | string | trim }}-01' as date) as reporting_period_start,
        {%- endif %}
        latest_status_date
    from latest_snapshot

)

select
    {{ period_label('reporting_period_start') }} as reporting_period,
    reporting_period_start,
    {{ month_end('reporting_period_start') }} as reporting_period_end,
    cast('{{ reporting_currency }}' as {{ dbt.type_string() }}) as reporting_currency,
    {{ 'true' if reporting_period is none else 'false' }} as is_period_defaulted,
    latest_status_date as latest_task_status_date
from period_start
