with source as (

    select * from {{ source('raw', 'ledger') }}

),

renamed as (

    select
        cast(posting_date as date) as posting_date,
        document_id,
        line_id,
        project_code,
        task_code,
        account,
        cost_type,
        cast(amount as {{ type_source_money() }}) as amount,
        upper(trim(currency)) as currency,
        fiscal_period,
        cast(is_reversal as boolean) as is_reversal,
        reverses_document_id,
        description,
        {{ lineage_columns() }}
    from source

)

select * from renamed
