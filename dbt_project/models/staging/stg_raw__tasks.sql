with source as (

    select * from {{ source('raw', 'tasks') }}

),

renamed as (

    select
        project_code,
        cast(status_date as date) as status_date,
        task_code,
        parent_task_code,
        task_name,
        cast(is_milestone as boolean) as is_milestone,
        ev_method,
        cast(baseline_start as date) as baseline_start,
        cast(baseline_finish as date) as baseline_finish,
        cast(baseline_cost as {{ type_source_money() }}) as baseline_cost,
        cast(percent_complete as {{ type_index() }}) as percent_complete,
        cast(actual_start as date) as actual_start,
        cast(actual_finish as date) as actual_finish,
        cast(forecast_finish as date) as forecast_finish,
        baseline_version,
        cast(actual_cost as {{ type_source_money() }}) as actual_cost,
        cast(remaining_cost as {{ type_source_money() }}) as remaining_cost,
        {{ lineage_columns() }}
    from source

)

select * from renamed
