with source as (

    select * from {{ source('raw', 'lessons') }}

),

renamed as (

    select
        lesson_id,
        project_code,
        cast(raised_date as date) as raised_date,
        phase,
        lower(trim(category)) as category,
        what_happened,
        root_cause,
        recommendation,
        cast(cost_impact as {{ type_source_money() }}) as cost_impact,
        cast(schedule_impact_days as {{ type_index() }}) as schedule_impact_days,
        lower(trim(status)) as status,
        cast(actioned_date as date) as actioned_date,
        owner_role,
        risk_id,
        {{ lineage_columns() }}
    from source

)

select * from renamed
