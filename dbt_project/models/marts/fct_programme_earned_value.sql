{#-
    Earned value of each programme for every period, in the reporting currency: BAC, PV, EV and AC are
    the sums over the programme's projects that have a row in fct_earned_value that period, and every
    index and forecast is recomputed from those sums with the same formulas (a ratio of sums, never an
    average of project ratios). Projects without a programme are grouped under 'unassigned'. Earned
    schedule (ES, SPI(t), TSPI, IEAC(t)) is a per-project measure and is left out. Period values, the
    bottom-up ETC and BEI's task counts are sums over the projects too (BEI = sum of finished / sum of
    due), and the 3-period moving indices are ratios of the sums over the period and the two before it.
-#}
{{ earned_value_rollup('programme') }}
