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
        {{ lineage_columns() }}
    from source

)

select * from renamed
