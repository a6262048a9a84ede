with source as (

    select * from {{ source('raw', 'benefits') }}

),

renamed as (

    select
        benefit_id,
        project_code,
        benefit_name,
        category,
        cast(monetary as boolean) as is_monetary,
        owner,
        measure,
        unit,
        cast(baseline_value as {{ type_index() }}) as baseline_value,
        cast(target_value as {{ type_index() }}) as target_value,
        period,
        cast(planned_value as {{ type_index() }}) as planned_value,
        cast(realised_value as {{ type_index() }}) as realised_value,
        cast(is_disbenefit as boolean) as is_disbenefit,
        {{ lineage_columns() }}
    from source

)

select * from renamed
