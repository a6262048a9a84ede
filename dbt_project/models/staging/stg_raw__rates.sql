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
        {{ lineage_columns() }}
    from source

)

select * from renamed
