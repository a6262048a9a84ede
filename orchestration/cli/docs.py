"""The dbt catalogue of the warehouse: every model, column description, test and lineage.

``pmo docs`` runs ``dbt docs generate --static`` on the working warehouse (the catalogue reads the
built tables' columns and types from it) into ``<home>/dbt/docs/`` and serves the single-file
``static_index.html`` on localhost. The page is self-contained: nothing is fetched from the network.
"""
from __future__ import annotations

import functools
import http.server
import os
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, Settings

STATIC_PAGE = "static_index.html"


class DocsError(RuntimeError):
    """The catalogue could not be built; the message says why and what to do."""


def docs_dir(settings: Settings) -> Path:
    return settings.home / "dbt" / "docs"


def generate_docs(settings: Settings) -> Path:
    """Build the catalogue from the working warehouse; returns the path of ``static_index.html``."""
    from dbt.cli.main import dbtRunner

    if not settings.warehouse_path.is_file():
        raise DocsError(f"{settings.warehouse_path} does not exist yet: run `pmo run` (or `pmo demo`) first, "
                        "so the catalogue can read the built tables")
    target = docs_dir(settings)
    target.mkdir(parents=True, exist_ok=True)
    settings.dbt_log_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PMO_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    result = dbtRunner().invoke([
        "docs", "generate", "--static", "--quiet",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target), "--log-path", str(settings.dbt_log_dir),
    ])
    page = target / STATIC_PAGE
    if not result.success or not page.is_file():
        cause = result.exception or f"see {settings.dbt_log_dir / 'dbt.log'}"
        if "lock" in str(cause).lower():
            cause = f"{settings.warehouse_path} is being written by a run; try again when it has finished ({cause})"
        raise DocsError(f"dbt docs generate failed: {cause}")
    return page


def serve(directory: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``directory`` (call ``serve_forever``); it serves files only, no listing of others."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return http.server.ThreadingHTTPServer((host, port), handler)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass
