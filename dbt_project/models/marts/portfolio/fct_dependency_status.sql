{#-
    Every cross-project dependency at the reporting period, with the state of its provider: the
    from_project_code delivers (from_task_code) to the receiver, to_project_code (to_task_code), which
    needs it by needed_by_date.

      provider_expected_finish  the provider task's actual, else forecast, else baseline finish in the
                                provider's current schedule snapshot
      is_delivered              the provider task has an actual finish, or the dependency's status is
                                met, met_late, delivered, done or closed
      is_delivery_late          delivered after needed_by_date; or not delivered and either expected
                                after needed_by_date or needed_by_date already past (on or before the
                                end of the reporting period)
      is_provider_late          the delivery is late, or the provider project's schedule RAG (SPI(t))
                                is red at the reporting period
      is_provider_red           the provider project's overall RAG is red at the reporting period
      is_at_risk                not delivered and the provider is late or red
-#}
with parameters as (

    select * from {{ ref('int_reporting_parameters_resolved') }}

),

dependencies as (

    select * from {{ ref('stg_raw__dependencies') }}

),

status as (

    select status.*
    from {{ ref('fct_project_status') }} as status
    inner join parameters
        on parameters.reporting_period = status.period

),

baseline_tasks as (

    select * from {{ ref('int_baseline_tasks_selected') }}

),

provider_tasks as (

    select
        tasks.project_code,
        tasks.task_code,
        tasks.actual_finish,
        coalesce(tasks.actual_finish, tasks.forecast_finish, tasks.baseline_finish) as expected_finish
    from {{ ref('stg_raw__tasks') }} as tasks
    inner join baseline_tasks
        on baseline_tasks.project_code = tasks.project_code
        and baseline_tasks.task_code = tasks.task_code
        and baseline_tasks.baseline_status_date = tasks.status_date

),

joined as (

    select
        dependencies.dependency_id,
        parameters.reporting_period as period,
        dependencies.from_project_code as provider_project_code,
        dependencies.from_task_code as provider_task_code,
        dependencies.to_project_code as receiver_project_code,
        dependencies.to_task_code as receiver_task_code,
        dependencies.needed_by_date,
        dependencies.status,
        provider_tasks.expected_finish as provider_expected_finish,
        provider_tasks.actual_finish as provider_actual_finish,
        (
            provider_tasks.actual_finish is not null
            or coalesce(lower(trim(dependencies.status)) in ('met', 'met_late', 'delivered', 'done', 'closed'), false))
            as is_delivered,
        case
            when dependencies.needed_by_date is null then null
            when provider_tasks.actual_finish is not null
                then provider_tasks.actual_finish > dependencies.needed_by_date
            else coalesce(provider_tasks.expected_finish > dependencies.needed_by_date, false)
                or dependencies.needed_by_date <= parameters.reporting_period_end
        end as is_delivery_late,
        status.rag_overall as provider_rag_overall,
        status.rag_schedule as provider_rag_schedule,
        status.spi_t as provider_spi_t
    from dependencies
    cross join parameters
    left join provider_tasks
        on provider_tasks.project_code = dependencies.from_project_code
        and provider_tasks.task_code = dependencies.from_task_code
    left join status
        on status.project_code = dependencies.from_project_code

)

select
    dependency_id,
    period,
    provider_project_code,
    provider_task_code,
    receiver_project_code,
    receiver_task_code,
    needed_by_date,
    status,
    provider_expected_finish,
    provider_actual_finish,
    cast({{ days_between('needed_by_date', 'provider_expected_finish') }} as {{ dbt.type_int() }}) as delivery_slip_days,
    is_delivered,
    is_delivery_late,
    provider_rag_overall,
    provider_rag_schedule,
    provider_spi_t,
    coalesce(is_delivery_late, false) or coalesce(provider_rag_schedule = 'red', false) as is_provider_late,
    coalesce(provider_rag_overall = 'red', false) as is_provider_red,
    not is_delivered
    and (
        coalesce(is_delivery_late, false) or coalesce(provider_rag_schedule = 'red', false)
        or coalesce(provider_rag_overall = 'red', false)
    ) as is_at_risk
from joined
