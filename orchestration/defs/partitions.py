"""Monthly partitions: one partition per reporting period, keyed 'YYYY-MM'."""
from dagster import MonthlyPartitionsDefinition

#: The reporting periods. ``end_offset=1`` makes the current (open) month a partition, so the
#: nightly run can refresh it before the month closes.
monthly_periods = MonthlyPartitionsDefinition(start_date="2015-01", fmt="%Y-%m", end_offset=1)

#: Every op that writes the warehouse DuckDB file runs in this pool (limit 1 in dagster.yaml):
#: DuckDB allows one writer process per file.
DUCKDB_WRITER_POOL = "duckdb_writer"
