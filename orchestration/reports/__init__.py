"""PDF packs rendered from the published warehouse (docs/design.md §1: reports/<period>/*.pdf).

``render_portfolio_pack(serving_path, period, out_dir)`` writes ``out_dir/portfolio-pack.pdf``;
``render_reported_pack(home, reported_period, out_dir)`` renders a closed period's pack again from
its frozen figures.
"""
from __future__ import annotations

from .render import (PACK_FILENAME, PackRenderError, RefusedURLError, make_url_fetcher, render_portfolio_pack,
                     render_reported_pack)

__all__ = [
    "PACK_FILENAME",
    "PackRenderError",
    "RefusedURLError",
    "make_url_fetcher",
    "render_portfolio_pack",
    "render_reported_pack",
]
