"""Whole-number settings read from environment variables, with one message for a bad value."""
from __future__ import annotations

import os


def whole_number(name: str, default: int, *, minimum: int, unit: str, too_small: str) -> int:
    """``int(os.environ[name])``, or ``default`` when it is unset or blank.

    Raises :class:`ValueError` naming the variable and its value when it is not a whole number (``unit``
    says of what: 'threads', 'reports') or is below ``minimum`` (``too_small`` says why that cannot be).
    """
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number of {unit}") from None
    if value < minimum:
        raise ValueError(f"{name}={raw!r}: {too_small}")
    return value
