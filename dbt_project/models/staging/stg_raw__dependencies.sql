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
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
