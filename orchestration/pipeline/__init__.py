"""The pipeline steps, with no Dagster in them: landing (find and claim files), ingest (read them into
``raw``), row rules and quality (gate raw and marts), dbt plans (which models a run rebuilds), publish (the
serving snapshot), reported figures and backfill bookkeeping.  ``orchestration.defs`` wraps each in an
asset; tests and the CLI can call them directly."""
