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
        {{ lineage_columns() }}
    from source

)

select * from renamed
