with source as (

    select * from {{ source('raw', 'timesheets') }}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat([
            '_source_sha256', "':'", 'cast(_source_row as ' ~ dbt.type_string() ~ ')'
        ])) }} as timesheet_line_id,
        cast(work_date as date) as work_date,
        person_id,
        person_name,
        project_code,
        task_code,
        cast(hours as {{ type_index() }}) as hours,
        role,
        approval_status,
        entry_id,
        {{ lineage_columns() }}
    from source

)

select * from renamed
