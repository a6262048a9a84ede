{#-
    Fails on every combination of the given columns that occurs on more than one row (NULLs compare
    equal, as in GROUP BY). Returns the duplicated key and how many rows carry it.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns_csv = combination_of_columns | join(', ') %}

select
    {{ columns_csv }},
    count(*) as duplicate_rows
from {{ model }}
group by {{ columns_csv }}
having count(*) > 1

{% endtest %}
