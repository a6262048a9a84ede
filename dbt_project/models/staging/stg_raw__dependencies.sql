with source as (

    select * from {{ source('raw', 'dependencies') }}

),

renamed as (

    select
        dependency_id,
        from_project_code,
        from_task_code,
        to_project_code,
        to_task_code,
        cast(needed_by_date as date) as needed_by_date,
        status,
        {{ lineage_columns() }}
    from source

)

select * from renamed
