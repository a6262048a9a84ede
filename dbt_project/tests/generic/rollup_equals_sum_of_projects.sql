{#-
    Reconciliation (issue 5): every group's BAC, PV, EV and AC in a roll-up mart (fct_programme_earned_value
    fct_portfolio_earned_value or fct_organisation_earned_value, whose group is group_expression) equal the sums of its projects' rows in fct_earned_value for the period,
    to the cent. Returns the rows that disagree (a group missing on one side included).
-#}
{% test rollup_equals_sum_of_projects(model, group_column, group_expression=none) %}

with projects as (

    select
        coalesce({{ group_expression if group_expression else group_column }}, 'unassigned') as group_key,
        period,
        sum(bac) as bac, sum(pv) as pv, sum(ev) as ev, sum(ac) as ac
    from {{ ref('fct_earned_value') }}
    group by 1, 2

),

rolled as (

    select {{ group_column }} as group_key, period, bac, pv, ev, ac from {{ model }}

)

select
    coalesce(p.group_key, r.group_key) as {{ group_column }},
    coalesce(p.period, r.period) as period,
    p.bac as projects_bac, r.bac as rollup_bac,
    p.ac as projects_ac, r.ac as rollup_ac
from projects as p
full outer join rolled as r on r.group_key = p.group_key and r.period = p.period
where p.period is null or r.period is null
   or abs(coalesce(p.bac, 0) - coalesce(r.bac, 0)) >= 0.005 or (p.bac is null) <> (r.bac is null)
   or abs(coalesce(p.pv, 0) - coalesce(r.pv, 0)) >= 0.005 or (p.pv is null) <> (r.pv is null)
   or abs(coalesce(p.ev, 0) - coalesce(r.ev, 0)) >= 0.005 or (p.ev is null) <> (r.ev is null)
   or abs(coalesce(p.ac, 0) - coalesce(r.ac, 0)) >= 0.005 or (p.ac is null) <> (r.ac is null)

{% endtest %}
