{#-
    Earned value of the whole organisation (every portfolio together) for every period, in the reporting
    currency: the "All portfolios" line of the portfolio pack. The same roll-up as fct_portfolio_earned_value
    over all projects: BAC, PV, EV and AC are sums (NULL if any project's figure is NULL), and every index
    and forecast is recomputed from those sums (EAC = BAC / CPI of the organisation, not a sum of
    portfolio EACs).
-#}
{{ earned_value_rollup('organisation', group_expression="'All portfolios'") }}
