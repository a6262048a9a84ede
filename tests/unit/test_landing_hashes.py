"""Landing files are hashed again only when their status changed (orchestration/pipeline/landing.py)."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

from orchestration.pipeline import landing as landing_module
from orchestration.pipeline.landing import LANDING_HASHES, Archive, iter_landing_files


@pytest.fixture
def hashed(monkeypatch):
    """Every file the landing look reads to hash it, by name; hashes trusted at once (no settling time)."""
    real, reads = landing_module._sha256, []

    def counting(path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(landing_module, "_sha256", counting)
    monkeypatch.setattr(landing_module, "SETTLED_NS", 0)
    monkeypatch.delenv(landing_module.HASH_CACHE_ENV, raising=False)
    return reads


def _land(tmp_path, files: dict[str, str]):
    landing = tmp_path / "landing"
    for name, text in files.items():
        (landing / "timesheets").mkdir(parents=True, exist_ok=True)
        (landing / "timesheets" / name).write_text(text, encoding="utf-8")
    return landing, Archive(tmp_path / "archive")


def _shas(items) -> dict[str, str]:
    return {item.path.name: item.sha256 for item in items}


def test_an_unchanged_file_is_not_read_again(tmp_path, hashed):
    landing, archive = _land(tmp_path, {"a.csv": "entry_id\n1\n", "b.csv": "entry_id\n2\n"})
    first = _shas(iter_landing_files(landing, archive))
    assert sorted(hashed) == ["a.csv", "b.csv"]
    assert first["a.csv"] == hashlib.sha256(b"entry_id\n1\n").hexdigest()

    hashed.clear()
    (landing / "timesheets" / "c.csv").write_text("entry_id\n3\n", encoding="utf-8")
    again = _shas(iter_landing_files(landing, archive))
    assert hashed == ["c.csv"]  # only the new night's file is read
    assert again == {**first, "c.csv": hashlib.sha256(b"entry_id\n3\n").hexdigest()}
    remembered = json.loads((tmp_path / "archive" / LANDING_HASHES).read_text(encoding="utf-8"))
    assert sorted(os.path.basename(k) for k in remembered) == ["a.csv", "b.csv", "c.csv"]


def test_a_file_rewritten_with_the_same_size_and_times_is_read_again(tmp_path, hashed):
    """Its change time moves with the write and cannot be set back: the new content's sha256 is taken."""
    landing, archive = _land(tmp_path, {"a.csv": "entry_id\n1\n"})
    path = landing / "timesheets" / "a.csv"
    iter_landing_files(landing, archive)
    st = path.stat()
    hashed.clear()
    path.write_text("entry_id\n9\n", encoding="utf-8")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # modification time set back
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    [item] = iter_landing_files(landing, archive)
    assert hashed == ["a.csv"]
    assert item.sha256 == hashlib.sha256(b"entry_id\n9\n").hexdigest()


def test_a_hash_taken_just_after_the_file_changed_is_taken_again(tmp_path, hashed, monkeypatch):
    """Within the settling time a write of the same size could keep the file's times: not trusted yet."""
    monkeypatch.setattr(landing_module, "SETTLED_NS", 3_600 * 10**9)
    landing, archive = _land(tmp_path, {"a.csv": "entry_id\n1\n"})
    iter_landing_files(landing, archive)
    iter_landing_files(landing, archive)
    assert hashed == ["a.csv", "a.csv"]


def test_a_file_gone_from_landing_is_forgotten_and_a_damaged_memory_is_ignored(tmp_path, hashed):
    landing, archive = _land(tmp_path, {"a.csv": "entry_id\n1\n", "b.csv": "entry_id\n2\n"})
    iter_landing_files(landing, archive)
    (landing / "timesheets" / "b.csv").unlink()
    iter_landing_files(landing, archive)
    memory = tmp_path / "archive" / LANDING_HASHES
    assert [os.path.basename(k) for k in json.loads(memory.read_text(encoding="utf-8"))] == ["a.csv"]

    hashed.clear()
    memory.write_text("{not json", encoding="utf-8")
    [item] = iter_landing_files(landing, archive)
    assert hashed == ["a.csv"] and item.sha256 == hashlib.sha256(b"entry_id\n1\n").hexdigest()
    assert json.loads(memory.read_text(encoding="utf-8"))  # written again whole


def test_the_switch_hashes_every_file_every_time(tmp_path, hashed, monkeypatch):
    monkeypatch.setenv(landing_module.HASH_CACHE_ENV, "off")
    landing, archive = _land(tmp_path, {"a.csv": "entry_id\n1\n"})
    iter_landing_files(landing, archive)
    iter_landing_files(landing, archive)
    assert hashed == ["a.csv", "a.csv"]
    assert not (tmp_path / "archive" / LANDING_HASHES).exists()


def test_a_memory_that_cannot_be_written_costs_only_the_next_runs_hashing(tmp_path, hashed, caplog):
    landing, archive = _land(tmp_path, {"a.csv": "entry_id\n1\n"})
    (tmp_path / "archive" / LANDING_HASHES).mkdir(parents=True)  # in the way: the rename fails
    [item] = iter_landing_files(landing, archive)
    assert item.sha256 == hashlib.sha256(b"entry_id\n1\n").hexdigest()
    assert "could not be kept" in caplog.text
    assert [p.name for p in (tmp_path / "archive").iterdir() if p.name.endswith(".tmp")] == []  # no temporary left
