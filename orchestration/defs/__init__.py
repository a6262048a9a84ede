"""Dagster definitions, kept thin: assets, checks, the monthly job, the schedule, sensors, resources and the
crash-safe executor.  Each asset calls one pipeline step (``orchestration.pipeline``), which knows nothing
of Dagster.  The code location is ``orchestration.defs.definitions``."""
