with source as (

    select * from {{ source('raw', 'quality_reviews') }}

),

renamed as (

    select
        review_id,
        project_code,
        deliverable,
        lower(trim(review_type)) as review_type,
        cast(review_date as date) as review_date,
        lower(trim(outcome)) as outcome,
        cast(findings_critical as {{ type_index() }}) as findings_critical,
        cast(findings_major as {{ type_index() }}) as findings_major,
        cast(findings_minor as {{ type_index() }}) as findings_minor,
        cast(open_nonconformances as {{ type_index() }}) as open_nonconformances,
        cast(rework_hours as {{ type_index() }}) as rework_hours,
        cast(rework_cost as {{ type_source_money() }}) as rework_cost,
        {{ lineage_columns() }}
    from source

)

select * from renamed
