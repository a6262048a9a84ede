with source as (

    select * from {{ source('raw', 'capacity') }}

),

renamed as (

    select
        person_id,
        team,
        role,
        period,
        cast(available_hours as {{ type_index() }}) as available_hours,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
