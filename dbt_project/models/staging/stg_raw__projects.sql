with source as (

    select * from {{ source('raw', 'projects') }}

),

renamed as (

    select
        project_code,
        project_name,
        programme,
        portfolio,
        sponsor,
        manager,
        methodology,
        upper(trim(currency)) as currency,
        cast(start_date as date) as start_date,
        cast(planned_finish_date as date) as planned_finish_date,
        status,
        {{ lineage_columns() }}
    from source

)

select * from renamed
