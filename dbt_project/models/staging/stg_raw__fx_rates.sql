with source as (

    select * from {{ source('raw', 'fx_rates') }}

),

renamed as (

    select
        period,
        upper(trim(from_currency)) as from_currency,
        upper(trim(to_currency)) as to_currency,
        cast(rate as {{ type_index() }}) as rate,
        {{ lineage_columns() }}
    from source

)

select * from renamed
