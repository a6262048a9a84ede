"""Microsoft Project binary (.mpp): recognised and refused with the way out (save as MSPDI XML).

The real MPP files are read from ``../shared/samples/mpp`` (or ``$PMO_SAMPLES_DIR``) and never copied into
the repository; their tests skip when they are absent.  Non-MPP OLE2 files are made here from a few bytes.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.sources import mpp, mspdi, pmxml, xer
from orchestration.sources.toolkit import ReaderError

SAMPLES = Path(os.environ.get("PMO_SAMPLES_DIR")
               or Path(__file__).resolve().parents[3].parent / "shared" / "samples")
REAL = ("Software-Development.mpp", "mpp14timephased2.mpp")
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


def expected(name: str) -> str:
    return (f"{name}: Microsoft Project binary (.mpp) cannot be read here; save it from Project as XML "
            "(File > Save As > XML Format, MSPDI) and drop the .xml instead")


def ole_file(tmp_path: Path, name: str, payload: bytes = b"") -> Path:
    """A minimal OLE2 header (512 bytes) plus ``payload``: not a valid compound file, just its signature."""
    header = OLE2 + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(512 - 32)
    path = tmp_path / name
    path.write_bytes(header + payload)
    return path


@pytest.fixture(params=REAL)
def real(request) -> Path:
    p = SAMPLES / "mpp" / request.param
    if not p.is_file():
        pytest.skip(f"real sample {p} not available")
    return p


def test_real_mpp_detected(real):
    head = real.read_bytes()[:64 * 1024]
    assert mpp.detect(real, head)
    # Also without the extension: MS Project's ProgID is in the CompObj stream, in the first KB.
    assert mpp.detect(real.with_suffix(".bin"), head)
    assert not (mspdi.detect(real, head) or pmxml.detect(real, head) or xer.detect(real, head))


def test_real_mpp_read_is_one_clear_error(real):
    res = mpp.read(real)
    assert res.format == "mpp"
    assert res.errors == [expected(real.name)]
    assert res.warnings == []
    assert all(not e.rows and not e.quarantine for e in res.entities.values())
    assert len(res.sha256) == 64


def test_non_mpp_ole_file_is_not_mpp_unless_its_extension_says_so(tmp_path):
    xls = ole_file(tmp_path, "budget.xls", b"Workbook".decode().encode("utf-16-le"))
    assert not mpp.detect(xls, xls.read_bytes())
    msg = ole_file(tmp_path, "mail.msg")
    assert not mpp.detect(msg, msg.read_bytes())
    named = ole_file(tmp_path, "Plan.MPP")
    assert mpp.detect(named, named.read_bytes())
    template = ole_file(tmp_path, "template.mpt")
    assert mpp.detect(template, template.read_bytes())
    progid = ole_file(tmp_path, "export.bin", b"\x00Microsoft.Project 14.0\x00MSProject.MPP14\x00")
    assert mpp.detect(progid, progid.read_bytes())
    stream = ole_file(tmp_path, "export2.bin", "MSProject".encode("utf-16-le"))
    assert mpp.detect(stream, stream.read_bytes())


def test_mpp_extension_without_ole_signature_is_not_mpp(tmp_path):
    xml = tmp_path / "renamed.mpp"
    xml.write_text('<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project"/>')
    assert not mpp.detect(xml, xml.read_bytes())
    assert mspdi.detect(xml, xml.read_bytes())          # left to the reader whose signature it carries
    res = mpp.read(xml)
    (err,) = res.errors
    assert "renamed.mpp: not a Microsoft Project binary file" in err
    assert not mpp.detect(tmp_path / "x.mpp", b"")


def test_read_minimal_ole_mpp_and_options_are_ignored(tmp_path):
    path = ole_file(tmp_path, "Schedule v2.mpp")
    res = mpp.read(path, status_date="2024-01-31", baseline_slot=1)
    assert res.format == "mpp"
    assert res.errors == [expected("Schedule v2.mpp")]
    assert res.entities == {}


def test_missing_file_raises(tmp_path):
    with pytest.raises(ReaderError):
        mpp.read(tmp_path / "gone.mpp")
