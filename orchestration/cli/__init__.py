"""The ``pmo`` command line (``orchestration.cli.main:app``) and the runner that launches the Dagster job
in-process for ``pmo run``, ``pmo backfill`` and ``pmo demo``."""
