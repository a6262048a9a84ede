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
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
