{#-
    Models land in the schema their folder names (staging, intermediate, marts) rather than in
    <target schema>_<custom schema>: BI tools and the publish step read `marts.<table>` on every target.
    Nodes without a custom schema (tests storing failures, ad-hoc operations) use the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
