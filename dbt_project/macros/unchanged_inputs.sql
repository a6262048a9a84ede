{#-
    Nodes whose inputs did not change are not run again (DuckDB only; issue #9, docs/architecture.md §8).

    The orchestrator already leaves out of a build the nodes that no changed source reaches
    (orchestration/defs/dbt_keep.py). Among those it does build, many get the same inputs as last time: a night's
    timesheet file of the next month changes the priced lines, but the monthly actual costs computed from them, and
    everything after, come out identical. Each table, view and data test of this project therefore records, in
    pmo_build.node_versions, what it was last built from, and is not run again when that is unchanged. The
    orchestrator makes that table before it starts dbt (orchestration/defs/dbt_keep.py, NODE_VERSIONS_DDL), as
    dbt's threads would conflict making it; where it is missing (a warehouse dbt builds by hand, a test's),
    nothing is recorded or skipped. A row holds:

    * inputs: an md5 of the node's compiled SQL (with its kind, dbt's version and this format's number) and of the
      version of each parent. A source's version is a fingerprint computed here (its columns and types, its row
      count and two order-free sums of a hash of every column but _loaded_at, as the orchestrator's); a seed's,
      its file's checksum; a model's, what it recorded. A parent without a recorded version makes the inputs unknown, and the
      node is built, as is a node with no parent at all (it reads a table dbt does not know of). So a model or
      test must read every table through ref() or source(), as dbt's lineage already asks.
    * version (models): for a table, an md5 of its column names and types, row count and two order-free sums of a
      hash of its rows, computed in the transaction that wrote it. So a table rebuilt from new inputs into the same
      rows keeps its version, and its children are not run again. For a view, its inputs (a view holds no rows).
    * failures, should_warn, should_error (data tests): the test's result, replayed when its inputs are unchanged.
      A test that stores its failing rows is run again if that table is gone.

    A node is run as usual with --full-refresh, with PMO_DBT_KEEP=off, when it has hooks, or when its relation is
    missing or of another kind. A node that fails records nothing (its transaction is rolled back with its
    relation). Whatever writes a model's relation outside dbt must delete the node's row (the Spark engine's import
    deletes them all). Other adapters (Spark) neither record nor skip.
-#}

{#- This format's number: a change to what `inputs` covers must change it, so that no node is skipped on inputs
    recorded the old way. -#}
{% macro pmo_node_versions_format() %}1{% endmacro %}


{% macro pmo_node_versions_ready() -%}
  {#- Whether pmo_build.node_versions is there: the orchestrator says so in PMO_NODE_VERSIONS=ready when it made
      the table before starting dbt (no query a node); otherwise it is looked up. -#}
  {%- if env_var("PMO_NODE_VERSIONS", "") == "ready" -%}
    {{ return(true) }}
  {%- endif -%}
  {{ return(pmo_table_exists("pmo_build", "node_versions")) }}
{%- endmacro %}


{% macro pmo_skips_unchanged() -%}
  {#- Whether this run may skip a node whose inputs are unchanged. -#}
  {%- set keep = env_var("PMO_DBT_KEEP", "on") | lower | trim -%}
  {{- return(not flags.FULL_REFRESH and keep not in ("off", "0", "false", "no")) -}}
{%- endmacro %}


{% macro pmo_source_fingerprint(source_node) -%}
  {#- A source table's rows as a string ('missing' when the table is not there). -#}
  {%- set relation = api.Relation.create(database=source_node.database, schema=source_node.schema,
                                         identifier=source_node.identifier) -%}
  {%- set columns = adapter.get_columns_in_relation(relation) | rejectattr("name", "equalto", "_loaded_at") | list -%}
  {%- if columns | length == 0 -%}
    {{ return("missing") }}
  {%- endif -%}
  {%- set shape = [] -%}
  {%- for c in columns -%}{%- do shape.append(c.name ~ " " ~ c.data_type) -%}{%- endfor -%}
  {%- set sql = "select count(*) || ':' || coalesce(bit_xor(h), 0) || ':' || coalesce(sum(h::hugeint), 0) from "
                ~ "(select hash(" ~ pmo_quoted_columns(columns | map(attribute="name") | list) ~ ") as h from "
                ~ relation ~ ")" -%}
  {{ return(shape | join(", ") ~ "|" ~ run_query(sql).columns[0].values()[0] | string) }}
{%- endmacro %}


{% macro pmo_node_record(node, code) -%}
  {#- What this node's inputs are now, and what it recorded last: a dict with `inputs` (None when a parent's
      version is unknown), `stored` (its row of pmo_build.node_versions as a dict, or None) and `recording`
      (whether the table is there: without it, nothing is computed, recorded or skipped). -#}
  {%- if not pmo_node_versions_ready() -%}
    {{ return({"inputs": none, "stored": none, "recording": false}) }}
  {%- endif -%}
  {%- set ns = namespace(parts=[], unknown=false, asked=[node.unique_id], found={}) -%}
  {%- set parents = node.depends_on.nodes | unique | sort -%}
  {%- for uid in parents -%}
    {%- if uid.startswith("source.") and uid in graph.sources -%}
      {%- do ns.parts.append(uid ~ "=" ~ pmo_source_fingerprint(graph.sources[uid])) -%}
    {%- elif uid.startswith("seed.") and uid in graph.nodes -%}
      {%- do ns.parts.append(uid ~ "=" ~ graph.nodes[uid].checksum.checksum) -%}
    {%- else -%}
      {%- do ns.asked.append(uid) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set rows = run_query("select node_id, inputs, version, failures, should_warn, should_error "
                           ~ "from pmo_build.node_versions where node_id in ('"
                           ~ (ns.asked | join("', '")) ~ "')") -%}
  {%- set stored = namespace(row=none) -%}
  {%- for row in rows.rows -%}
    {%- if row[0] == node.unique_id -%}
      {%- set stored.row = {"inputs": row[1], "version": row[2], "failures": row[3],
                            "should_warn": row[4], "should_error": row[5]} -%}
    {%- elif row[2] is not none -%}
      {%- do ns.found.update({row[0]: row[2]}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for uid in ns.asked[1:] -%}
    {%- if uid in ns.found -%}
      {%- do ns.parts.append(uid ~ "=" ~ ns.found[uid]) -%}
    {%- else -%}
      {%- set ns.unknown = true -%}
    {%- endif -%}
  {%- endfor -%}
  {#- a node that reads no ref() or source() reads something dbt does not know of: always run -#}
  {%- set inputs = none if ns.unknown or parents | length == 0 else local_md5(
        pmo_node_versions_format() ~ "\n" ~ dbt_version ~ "\n" ~ code ~ "\n" ~ (ns.parts | join("\n"))) -%}
  {{ return({"inputs": inputs, "stored": stored.row, "recording": true}) }}
{%- endmacro %}


{% macro pmo_unchanged(record) -%}
  {#- Whether a node may be skipped: its inputs are known and the same as those it recorded. -#}
  {{- return(pmo_skips_unchanged() and record.inputs is not none and record.stored is not none
             and record.stored.inputs == record.inputs) -}}
{%- endmacro %}


{% macro pmo_record_version(record, node_id, version_sql) -%}
  {#- Replace the node's row, in the caller's transaction; version_sql is a query of one value. -#}
  {%- if not record.recording -%}{{ return("") }}{%- endif -%}
  {%- set inputs = record.inputs -%}
  {% call statement("pmo_node_version") -%}
    delete from pmo_build.node_versions where node_id = '{{ node_id }}';
    insert into pmo_build.node_versions (node_id, inputs, version, recorded_by)
    select '{{ node_id }}', {{ "'" ~ inputs ~ "'" if inputs is not none else "null" }}, ({{ version_sql }}),
           '{{ invocation_id }}';
  {%- endcall %}
{%- endmacro %}


{% macro pmo_table_version_sql(relation) -%}
  {#- A query of the table's version: its columns and types, and its rows (hashed as one struct each), order-free.
      One statement, so that a node records its version without another round trip. -#}
  select md5(coalesce((select string_agg(column_name || ' ' || data_type, ', ' order by column_index)
                       from duckdb_columns() where database_name = '{{ relation.database }}'
                       and schema_name = '{{ relation.schema }}' and table_name = '{{ relation.identifier }}'), '')
             || '|' || count(*) || ':' || coalesce(bit_xor(h), 0) || ':' || coalesce(sum(h::hugeint), 0))
  from (select hash(pmo_row) as h from {{ relation }} as pmo_row)
{%- endmacro %}


{#-
    Data tests (DuckDB): dbt's own test materialization (global_project, tests/test.sql), which runs the test's
    query and stores its failing rows when configured to, with its result replayed instead when the test's inputs
    and configuration are those of its last run.
-#}
{%- materialization test, adapter="duckdb" -%}
  {% set relations = [] %}
  {% set limit = config.get('limit') %}
  {% set fail_calc = config.get('fail_calc') %}
  {% set warn_if = config.get('warn_if') %}
  {% set error_if = config.get('error_if') %}
  {% set stores = should_store_failures() %}
  {% set store_failures_as = config.get('store_failures_as') %}
  {% if store_failures_as == none %}{% set store_failures_as = 'table' %}{% endif %}
  {% set sql_header = config.get('sql_header') if flags.REQUIRE_SQL_HEADER_IN_TEST_CONFIGS else none %}

  {%- set record = pmo_node_record(model, ["test", sql, limit, fail_calc, warn_if, error_if, stores,
                                           store_failures_as, sql_header] | join("\n")) -%}
  {%- set identifier = model['alias'] -%}
  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) if stores else none -%}
  {%- if pmo_unchanged(record) and record.stored.failures is not none and (old_relation is not none or not stores) -%}
    {% call statement('main', fetch_result=True) -%}
      select {{ record.stored.failures }}::bigint as failures, {{ record.stored.should_warn }} as should_warn,
             {{ record.stored.should_error }} as should_error
    {%- endcall %}
    {% do store_raw_result("main", message="UNCHANGED", code="UNCHANGED", rows_affected=-1,
                           agate_table=load_result("main").table) %}
    {{ return({'relations': [old_relation] if old_relation is not none else []}) }}
  {%- endif -%}

  {% set sql_with_limit %}
    {{ get_limit_subquery_sql(sql, limit) }}
  {% endset %}

  {% if stores %}
    {% if store_failures_as not in ['table', 'view'] %}
        {{ exceptions.raise_compiler_error(
            "'" ~ store_failures_as ~ "' is not a valid value for `store_failures_as`. "
            "Accepted values are: ['ephemeral', 'table', 'view']"
        ) }}
    {% endif %}
    {% set target_relation = api.Relation.create(
        identifier=identifier, schema=schema, database=database, type=store_failures_as) -%}
    {% if old_relation %}
        {% do adapter.drop_relation(old_relation) %}
    {% endif %}
    {% call statement(auto_begin=True) %}
        {% if sql_header %}{{ sql_header }}{% endif %}
        {{ get_create_sql(target_relation, sql_with_limit) }}
    {% endcall %}
    {% do relations.append(target_relation) %}
    {% set main_sql %}
        select *
        from {{ target_relation }}
    {% endset %}
    {{ adapter.commit() }}
  {% else %}
      {% set main_sql = sql_with_limit %}
  {% endif %}

  {% call statement('main', fetch_result=True) -%}
    {% if sql_header %}{{ sql_header }}{% endif %}
    {{ get_test_sql(main_sql, fail_calc, warn_if, error_if, limit=none)}}
  {%- endcall %}

  {#- record the result for the next run -#}
  {%- if not record.recording -%}
    {{ return({'relations': relations}) }}
  {%- endif -%}
  {%- set result = load_result('main').table -%}
  {%- set values = dict(zip(result.column_names | map("lower"), result.rows[0])) -%}
  {% call statement("pmo_node_version", auto_begin=True) -%}
    delete from pmo_build.node_versions where node_id = '{{ model.unique_id }}';
    insert into pmo_build.node_versions (node_id, inputs, failures, should_warn, should_error, recorded_by)
    values ('{{ model.unique_id }}', {{ "'" ~ record.inputs ~ "'" if record.inputs is not none else "null" }},
            {{ values["failures"] | int }}, {{ values["should_warn"] | string | lower in ("true", "1") }},
            {{ values["should_error"] | string | lower in ("true", "1") }}, '{{ invocation_id }}');
  {%- endcall %}
  {{ adapter.commit() }}

  {{ return({'relations': relations}) }}
{%- endmaterialization -%}
