with source as (

    select * from {{ source('raw', 'baseline_phasing') }}

),

renamed as (

    select
        project_code,
        task_code,
        baseline_version,
        cast(phase_start as date) as phase_start,
        cast(phase_finish as date) as phase_finish,
        cast(planned_cost as {{ type_source_money() }}) as planned_cost,
        {{ lineage_columns() }}
    from source

)

select * from renamed
