{#-
    SQL that DuckDB and Spark write differently, one dispatched macro per construct (docs/spark.md).
    The duckdb__ implementation is the SQL the model held before the port, so the DuckDB marts are
    unchanged; the spark__ one gives the same value on Spark SQL 4.
-#}

{#- The sum of a floating-point expression over a group, added in a fixed order (order_expr), so the
    last bit does not depend on the order a parallel sum() meets the rows. NULLs are skipped; no
    non-NULL value gives NULL, as sum() does. -#}
{% macro ordered_float_sum(value_expr, order_expr) -%}
    {{ return(adapter.dispatch('ordered_float_sum', 'pmo_warehouse')(value_expr, order_expr)) }}
{%- endmacro %}

{% macro default__ordered_float_sum(value_expr, order_expr) -%}
    list_sum(list(
            {{ value_expr }} order by {{ order_expr }}
        ))
{%- endmacro %}

{% macro spark__ordered_float_sum(value_expr, order_expr) -%}
    aggregate(
            filter(
                transform(
                    array_sort(collect_list(named_struct('k', {{ order_expr }}, 'v', {{ value_expr }}))),
                    s -> s.v
                ),
                v -> v is not null
            ),
            cast(null as double),
            (acc, v) -> coalesce(acc, cast(0 as double)) + v
        )
{%- endmacro %}

{#- A DOUBLE expression (a product with an fx rate or hours) as money. DuckDB casts a double to
    DECIMAL(38,6) by scaling it by 10^6 in double arithmetic and rounding half away from zero; Spark
    rounds the double's exact binary value, so where the scaled double lands on .5 the two differ by a
    millionth. The Spark implementation scales and rounds the way DuckDB does. Use to_money() for
    DECIMAL expressions: they are exact on both engines. -#}
{% macro money_from_double(double_expr) -%}
    {{ return(adapter.dispatch('money_from_double', 'pmo_warehouse')(double_expr)) }}
{%- endmacro %}

{% macro default__money_from_double(double_expr) -%}
    {{ to_money(double_expr) }}
{%- endmacro %}

{% macro spark__money_from_double(double_expr) -%}
    {{ to_money('cast(round(cast(' ~ double_expr ~ ' as double) * 1000000.0D, 0) as decimal(38, 0)) / 1000000') }}
{%- endmacro %}
