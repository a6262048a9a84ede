with source as (

    select * from {{ source('raw', 'fx_rates') }}

),

renamed as (

    select
        period,
        upper(trim(from_currency)) as from_currency,
        upper(trim(to_currency)) as to_currency,
        cast(rate as {{ type_index() }}) as rate,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
