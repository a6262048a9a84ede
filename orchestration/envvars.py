"""Whole-number, memory-size and one-of-a-list settings read from environment variables, with one message for a
bad value."""
from __future__ import annotations

import os
import re

#: A memory size as DuckDB's ``memory_limit`` takes it: a number and a unit (512MB, 1.5GB, 2GiB).
_MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


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


def memory_size(name: str, default: str) -> str:
    """``os.environ[name]`` as a DuckDB memory size (``512MB``, ``2GB``, ``1.5GiB``), or ``default`` when it is
    unset or blank.  Raises :class:`ValueError` naming the variable and its value when it is not one."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not _MEMORY_SIZE.fullmatch(raw):
        raise ValueError(f"{name}={raw!r} is not a memory size such as 512MB, 2GB or 1.5GiB")
    return raw


def one_of(name: str, default: str, choices: tuple[str, ...]) -> str:
    """``os.environ[name]`` in lower case when it is one of ``choices``, or ``default`` when it is unset or blank.
    Raises :class:`ValueError` naming the variable, its value and the choices when it is none of them."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if raw.lower() not in choices:
        raise ValueError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return raw.lower()
