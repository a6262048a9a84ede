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
        cast(created_date as date) as created_date,
        lower(trim(severity)) as severity,
        priority,
        lower(trim(found_in)) as found_in,
        {{ lineage_columns() }}
    from source

)

select * from renamed
