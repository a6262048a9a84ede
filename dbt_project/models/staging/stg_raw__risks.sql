with source as (

    select * from {{ source('raw', 'risks') }}

),

renamed as (

    select
        cast(status_date as date) as status_date,
        risk_id,
        project_code,
        title,
        category,
        cast(probability as {{ type_index() }}) as probability,
        cast(impact_cost as {{ type_source_money() }}) as impact_cost,
        cast(impact_days as {{ type_index() }}) as impact_days,
        status,
        owner,
        cast(raised_date as date) as raised_date,
        cast(target_date as date) as target_date,
        mitigation,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
