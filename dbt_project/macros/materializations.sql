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

  {#- not run again when its inputs are those of its last build (macros/unchanged_inputs.sql) -#}
  {%- set record = pmo_node_record(model, kind ~ "\n" ~ compiled_code) -%}
  {%- if pmo_unchanged(record) and existing_relation is not none and existing_relation.type == kind
        and not pre_hooks and not post_hooks -%}
    {% do store_raw_result("main", message="UNCHANGED", code="UNCHANGED", rows_affected=-1) %}
    {{ return({"relations": [target_relation]}) }}
  {%- endif -%}

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

  {%- if kind == "table" %}
    {{ pmo_record_version(record, model.unique_id, pmo_table_version_sql(target_relation)) }}
  {%- else %}
    {{ pmo_record_version(record, model.unique_id,
                          "select '" ~ (record.inputs or ("unknown " ~ invocation_id)) ~ "'") }}
  {%- endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({"relations": [target_relation]}) }}
{% endmacro %}


{#-
    table_by_source_file (DuckDB): a table whose rows each come from one row of a parent keyed by landed file
    (config file_parent, the parent's name, and file_column, the file's sha256 in both), rebuilt only for the
    files that changed since its last build. A night's timesheet file then prices its own rows instead of the
    3.8 M lines of a 2,000-project organisation (issue #9; docs/architecture.md §7).

    Beside the table, in schema pmo_build (where the orchestrator also keeps its build state,
    orchestration/defs/dbt_keep.py): <model>__files (each file's fingerprint: its rows' count and an
    order-free hash of the parent's columns, without file_fingerprint_exclude) and <model>__inputs (a signature
    of everything else the rows depend on: this model's compiled SQL, the code of its parent models, and the
    contents of every parent but file_parent, also without the columns file_fingerprint_exclude names, such as
    the load time). Both are written in the transaction that writes the table.

    A build replaces the whole table (as `table` does) when the table, the two companions or the file column
    are missing, or the signature changed (a new rate, another reporting period, a code change). Otherwise it
    deletes the rows of every file whose fingerprint changed or that is gone, and inserts the rows of every
    changed or new file, computed by the model's own SQL with the file filter pushed down to the parent. The
    result has the rows a full build gives; only their physical order differs.
-#}
{% materialization table_by_source_file, adapter="duckdb", supported_languages=["sql"] %}
  {%- set file_parent = config.require("file_parent") -%}
  {%- set file_column = config.require("file_column") -%}
  {%- set excluded = config.get("file_fingerprint_exclude", []) -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type="table") -%}
  {%- set files_table = "pmo_build." ~ adapter.quote(this.identifier ~ "__files") -%}
  {%- set inputs_table = "pmo_build." ~ adapter.quote(this.identifier ~ "__inputs") -%}

  {#- not run at all when its inputs are those of its last build (macros/unchanged_inputs.sql) -#}
  {%- set record = pmo_node_record(model, ["table_by_source_file", compiled_code, file_parent, file_column,
                                           excluded | join(",")] | join("\n")) -%}
  {%- if pmo_unchanged(record) and existing_relation is not none and existing_relation.type == "table"
        and not pre_hooks and not post_hooks -%}
    {% do store_raw_result("main", message="UNCHANGED", code="UNCHANGED", rows_affected=-1) %}
    {{ return({"relations": [target_relation]}) }}
  {%- endif -%}

  {#- the parents, from the graph: the keyed one and the others -#}
  {%- set ns = namespace(file_relation=none, others=[], code=[compiled_code], values=[]) -%}
  {%- for uid in model.depends_on.nodes -%}
    {%- set node = graph.nodes.get(uid) -%}
    {%- if node is not none and node.resource_type in ("model", "seed", "snapshot") -%}
      {%- set relation = adapter.get_relation(database=this.database, schema=node.schema,
                                              identifier=node.alias or node.name) -%}
      {%- do ns.code.append(uid ~ ":" ~ (node.raw_code or "")) -%}
      {%- if node.name == file_parent -%}
        {%- set ns.file_relation = relation -%}
      {%- elif relation is not none -%}
        {%- do ns.others.append(relation) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if ns.file_relation is none -%}
    {{ exceptions.raise_compiler_error("table_by_source_file: " ~ this ~ " has no built parent named " ~ file_parent) }}
  {%- endif -%}

  {#- a signature of the other inputs: the code, and each other parent's contents -#}
  {%- set parts = ["select '" ~ local_md5(ns.code | join("\n")) ~ "'"] -%}
  {%- for relation in ns.others -%}
    {%- set cols = adapter.get_columns_in_relation(relation) | map(attribute="name") | reject("in", excluded) | list -%}
    {%- do parts.append("select count(*) || ':' || coalesce(bit_xor(hash(" ~ pmo_quoted_columns(cols) ~ ")), 0) from " ~ relation) -%}
  {%- endfor -%}
  {%- set ns.values = [] -%}
  {%- for part in parts -%}
    {%- do ns.values.append(run_query(part).columns[0].values()[0] | string) -%}
  {%- endfor -%}
  {%- set signature = local_md5(ns.values | join("|")) -%}

  {#- each file's fingerprint now -#}
  {%- set file_cols = adapter.get_columns_in_relation(ns.file_relation) | map(attribute="name")
                      | reject("in", excluded) | list -%}
  {%- set now_sql = "select " ~ adapter.quote(file_column) ~ " as file, count(*) || ':' || bit_xor(hash("
                    ~ pmo_quoted_columns(file_cols) ~ ")) as fingerprint from " ~ ns.file_relation ~ " group by 1" -%}

  {%- set mode = "full" -%}
  {%- if existing_relation is not none and existing_relation.type == "table" -%}
    {%- set has_column = adapter.get_columns_in_relation(existing_relation) | selectattr("name", "equalto", file_column) | list -%}
    {%- if has_column and pmo_table_exists("pmo_build", this.identifier ~ "__files")
          and pmo_table_exists("pmo_build", this.identifier ~ "__inputs") -%}
      {%- set stored = run_query("select signature from " ~ inputs_table).columns[0].values() -%}
      {%- if stored | length == 1 and stored[0] == signature -%}
        {%- set mode = "files" -%}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% call statement("pmo_files_now") -%}
    create or replace temporary table pmo_files_now as {{ now_sql }};
  {%- endcall %}

  {%- if mode == "files" %}
    {% call statement("pmo_changed_files") -%}
      create or replace temporary table pmo_changed_files as
      select coalesce(n.file, o.file) as file
      from pmo_files_now n full outer join {{ files_table }} o on n.file = o.file
      where n.fingerprint is distinct from o.fingerprint;
    {%- endcall %}
    {% call statement("pmo_delete_changed") -%}
      delete from {{ target_relation }} where {{ adapter.quote(file_column) }} in (select file from pmo_changed_files);
    {%- endcall %}
    {#- the changed files as literals, so that the filter reaches the parent's scan -#}
    {%- set changed = run_query("select file from pmo_changed_files order by 1").columns[0].values() -%}
    {%- if changed | length > 0 %}
      {% call statement("main") -%}
        insert into {{ target_relation }}
        select * from (
          {{ compiled_code }}
        ) as pmo_delta
        where {{ adapter.quote(file_column) }} in ({% for f in changed %}'{{ f | replace("'", "''") }}'{{ "," if not loop.last }}{% endfor %});
      {%- endcall %}
    {%- else %}
      {% call statement("main") -%}
        select 0 as rows_changed;
      {%- endcall %}
    {%- endif %}
  {%- else %}
    {%- if existing_relation is not none and existing_relation.type != "table" %}
      {{ adapter.drop_relation(existing_relation) }}
    {%- endif %}
    {% call statement("main") -%}
      create or replace table {{ target_relation }} as (
        {{ compiled_code }}
      );
    {%- endcall %}
  {%- endif %}

  {% call statement("pmo_files_schema") -%}
    create schema if not exists pmo_build
  {%- endcall %}
  {% call statement("pmo_files_state") -%}
    create or replace table {{ files_table }} as select * from pmo_files_now
  {%- endcall %}
  {% call statement("pmo_inputs_state") -%}
    create or replace table {{ inputs_table }} as select '{{ signature }}' as signature
  {%- endcall %}
  {#- the table's version (macros/unchanged_inputs.sql): of its rows after a whole build; after a build of the
      changed files, the version before it and each changed file's new fingerprint (a file's rows are a function
      of the file and the signature, which is unchanged) -#}
  {%- if not record.recording -%}
    {%- set version_sql = "select null" -%}
  {%- elif mode == "files" -%}
    {%- set before = "coalesce((select version from pmo_build.node_versions where node_id = '" ~ model.unique_id
                     ~ "'), 'unknown " ~ invocation_id ~ "')" -%}
    {%- if changed | length > 0 -%}
      {%- set before = "md5(" ~ before ~ " || '|' || (select string_agg(c.file || '=' || coalesce(n.fingerprint, "
          ~ "'removed'), ',' order by c.file) from pmo_changed_files c left join pmo_files_now n on n.file = c.file))" -%}
    {%- endif -%}
    {%- set version_sql = "select '" ~ run_query("select " ~ before).columns[0].values()[0] ~ "'" -%}
  {%- else -%}
    {%- set version_sql = pmo_table_version_sql(target_relation) -%}
  {%- endif -%}
  {{ pmo_record_version(record, model.unique_id, version_sql) }}
  {% call statement("pmo_files_now_dropped") -%}
    drop table pmo_files_now
  {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ log("table_by_source_file " ~ this ~ ": " ~ ("rebuilt for changed files only" if mode == "files" else "rebuilt whole"), info=true) }}

  {{ return({"relations": [target_relation]}) }}
{% endmaterialization %}


{% macro pmo_quoted_columns(columns) -%}
  {%- for c in columns %}{{ adapter.quote(c) }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}


{% macro pmo_table_exists(schema, table) -%}
  {%- set found = run_query("select count(*) from duckdb_tables() where schema_name = '" ~ schema
                            ~ "' and table_name = '" ~ table ~ "'") -%}
  {{- return(found.columns[0].values()[0] > 0) -}}
{%- endmacro %}
