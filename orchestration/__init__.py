"""pmo-warehouse: the Dagster code location and the `pmo` command."""
