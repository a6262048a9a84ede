{#-
    The table and view materializations of this project on DuckDB: the model's relation is replaced by one
    CREATE OR REPLACE inside the node's transaction.

    dbt-duckdb's own materializations build aside and swap: create <model>__dbt_tmp, look up foreign keys and
    indexes in the catalogue, rename the old relation to <model>__dbt_backup, rename the new one into place,
    commit, drop the backup: seven statements a node, each with its own macro calls and log events in dbt, for
    about 80 nodes a build. These send three: BEGIN, the CREATE OR REPLACE and COMMIT. DuckDB's DDL is
    transactional, so replacing the relation in the transaction keeps what the swap is for: a model that fails
    leaves the previous relation as it was, and a reader never sees it half-built. The project uses nothing
    else the swap handles (hooks are still run; no grants, indexes, foreign keys, contracts, persisted docs,
    DuckLake or Python models): docs/architecture.md §6 says what to do before adding one. Other adapters
    (Spark) keep their own.
-#}

{% materialization table, adapter="duckdb", supported_languages=["sql"] %}
  {{ return(pmo_replace_relation("table", compiled_code, pre_hooks, post_hooks)) }}
{% endmaterialization %}


{% materialization view, adapter="duckdb" %}
  {{ return(pmo_replace_relation("view", compiled_code, pre_hooks, post_hooks)) }}
{% endmaterialization %}


{% macro pmo_replace_relation(kind, compiled_code, pre_hooks, post_hooks) %}
  {#- The model's relation (this) as a new `kind` ('table' or 'view') of compiled_code, in one transaction. -#}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type=kind) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {#- a relation of the other kind (the model was a view and is now a table, or the reverse) is dropped in the
      same transaction -#}
  {%- if existing_relation is not none and existing_relation.type != kind %}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif %}

  {% call statement("main") -%}
    create or replace {{ kind }} {{ target_relation }} as (
      {{ compiled_code }}
    );
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({"relations": [target_relation]}) }}
{% endmacro %}
