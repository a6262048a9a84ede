{#-
    Earned value can never exceed the budget at completion (percent complete is at most 100 %): a row
    with EV > BAC + tolerance is a data-quality failure (docs/evm.md §1.3) and gates the run. Returns the
    offending rows with the excess.
-#}
{% test ev_not_above_bac(model, ev_column='ev', bac_column='bac', tolerance=0.005) %}

select
    *,
    {{ ev_column }} - {{ bac_column }} as ev_above_bac
from {{ model }}
where {{ ev_column }} > {{ bac_column }} + {{ tolerance }}

{% endtest %}
