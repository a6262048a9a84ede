"""PDF packs rendered from the published warehouse (docs/design.md §1: reports/<period>/*.pdf).

``render_portfolio_pack(serving_path, period, out_dir)`` writes ``out_dir/portfolio-pack.pdf``;
``render_reported_pack(home, reported_period, out_dir)`` renders a closed period's pack again from
its frozen figures.  ``render_period_reports(period, out_dir, ...)`` renders a period's whole folder:
the pack, the project reports ``projects/<code>.pdf`` (orchestration/reports/project.py) and
``manifest.json`` (orchestration/reports/manifest.py).
"""
from __future__ import annotations

from .period import PeriodReports, render_period_reports
from .project import ProjectReportError
from .render import (PACK_FILENAME, PackRenderError, RefusedURLError, make_url_fetcher, render_portfolio_pack,
                     render_reported_pack)

__all__ = [
    "PACK_FILENAME",
    "PackRenderError",
    "PeriodReports",
    "ProjectReportError",
    "RefusedURLError",
    "make_url_fetcher",
    "render_period_reports",
    "render_portfolio_pack",
    "render_reported_pack",
]
