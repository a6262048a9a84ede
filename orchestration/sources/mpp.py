"""Microsoft Project binary files (``.mpp``): recognised, never read.

An MPP file is an OLE2 compound document (signature ``D0 CF 11 E0 A1 B1 1A E1``, the container of old
Office files) holding MS Project's own undocumented streams.  The only open reader is MPXJ, which needs a
Java runtime; this project ships no Java (docs/input-formats.md §0, §6).  So instead of guessing, the file is
recognised and refused with the way out: MS Project (and ProjectLibre) save the same schedule as MSPDI
XML, which :mod:`orchestration.sources.mspdi` reads.

Recognition (:func:`detect`): the OLE2 signature, and either the ``.mpp`` / ``.mpt`` extension or MS
Project's ProgID (``MSProject.MPP14``, ``MSProject.Project.9`` ...) in the ``CompObj`` stream, which sits
in the first few KB of the real files (``shared/samples/mpp``).  Any other OLE2 file (an ``.xls``, a
``.msg``) is not taken for MPP; an ``.mpp`` that is not OLE2 (an XML file renamed, say) is left to the
readers whose signature it carries.

Public API: :func:`detect`, :func:`read`.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration.sources.base import SourceResult
from orchestration.sources.toolkit import ReaderError

FORMAT = "mpp"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSIONS = (".mpp", ".mpt")
#: MS Project's ProgID / stream marker, as the CompObj stream stores it (ASCII) and as an OLE directory
#: entry name would (UTF-16LE).
_MARKERS = (b"MSProject", "MSProject".encode("utf-16-le"))


def detect(path: Path, head: bytes) -> bool:
    """True for an OLE2 compound file that is a Microsoft Project file (by extension or ProgID)."""
    if not head.startswith(OLE2_SIGNATURE):
        return False
    if Path(path).suffix.lower() in EXTENSIONS:
        return True
    return any(m in head for m in _MARKERS)


def message(path: Path | str) -> str:
    """The error every MPP file gets."""
    return (f"{Path(path).name}: Microsoft Project binary (.mpp) cannot be read here; save it from Project as "
            "XML (File > Save As > XML Format, MSPDI) and drop the .xml instead")


def read(path: Path | str, **options) -> SourceResult:
    """A result with format ``'mpp'``, no rows and one error saying how to get a readable file.

    Options are accepted and ignored (whatever a landing folder sets for schedules).  Only a missing file
    raises (``ReaderError``).  A file that is not OLE2 at all gets a different error naming what it is not.
    """
    path = Path(path)
    if not path.is_file():
        raise ReaderError(f"{path}: no such file")
    data = path.read_bytes()
    result = SourceResult(FORMAT, path, hashlib.sha256(data).hexdigest())
    if not data.startswith(OLE2_SIGNATURE):
        result.errors.append(f"{path.name}: not a Microsoft Project binary file (no OLE2 compound-file "
                             "signature D0 CF 11 E0 A1 B1 1A E1 at byte 0); nothing was read")
        return result
    result.errors.append(message(path))
    return result
