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
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
