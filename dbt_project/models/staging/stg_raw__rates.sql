with source as (

    select * from {{ source('raw', 'rates') }}

),

renamed as (

    select
        person_id,
        role,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast(hourly_cost as {{ type_source_money() }}) as hourly_cost,
        upper(trim(currency)) as currency,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
