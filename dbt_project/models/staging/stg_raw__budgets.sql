with source as (

    select * from {{ source('raw', 'budgets') }}

),

renamed as (

    select
        project_code,
        task_code,
        budget_version,
        cast(amount as {{ type_source_money() }}) as amount,
        upper(trim(currency)) as currency,
        cast(approved_date as date) as approved_date,
        {{ lineage_columns() }}
    from source

)

select * from renamed
