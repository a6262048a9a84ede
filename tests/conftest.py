"""Fixtures shared by every test package."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def monkeypatch_module():
    """A MonkeyPatch for module-scoped fixtures (pytest's monkeypatch is function-scoped), undone after the module."""
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()
