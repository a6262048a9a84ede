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
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _loaded_at as loaded_at
    from source

)

select * from renamed
