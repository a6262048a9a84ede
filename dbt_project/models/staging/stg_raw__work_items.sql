with source as (

    select * from {{ source('raw', 'work_items') }}

),

renamed as (

    select
        cast(status_date as date) as status_date,
        project_code,
        item_key,
        item_type,
        cast(story_points as {{ type_index() }}) as story_points,
        status_category,
        cast(resolved_date as date) as resolved_date,
        sprint,
        epic,
        release,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
