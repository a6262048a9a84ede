{#-
    The figures of every closed period exactly as its pack showed them (source reported.earned_value,
    frozen when the period was closed: orchestration/pipeline/reported.py). Passed through unchanged: they must
    compare to the cent with what was issued, so nothing is recast or trimmed here.
-#}
with source as (

    select * from {{ source('reported', 'earned_value') }}

)

select * from source  -- noqa: AM04
