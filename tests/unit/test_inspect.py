"""`pmo inspect --json` on the real sample exports in ../shared/samples (skipped when absent)."""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli.main import app

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
runner = CliRunner()

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared/samples is not beside the repository")


def inspect_json(*args):
    result = runner.invoke(app, ["inspect", "--json", *map(str, args)])
    return result.exit_code, json.loads(result.output)


def test_hs2_xer_totals():
    code, out = inspect_json(SAMPLES / "xer" / "SP10-COST-LOADED.xer.gz")
    assert code == 0
    assert out["format"] == "p6-xer" and out["compression"] == "gzip"
    tasks = out["entities"]["tasks"]
    assert (tasks["rows"], tasks["quarantined"]) == (3994, 0)
    assert tasks["totals"]["baseline_cost"] == pytest.approx(215_918_496.41, abs=0.005)
    assert tasks["totals"]["actual_cost"] == pytest.approx(16_001_858.60, abs=0.005)
    assert out["errors"] == []


def test_resource_rates_xer_totals():
    _, out = inspect_json(SAMPLES / "xer" / "resource-rates-test.xer")
    assert out["entities"]["tasks"]["totals"]["baseline_cost"] == pytest.approx(27_600)


def test_mspdi_assignment_fields_needs_a_status_date_and_costs_5052():
    code, out = inspect_json(SAMPLES / "mspdi" / "mspdiassignmentfields.xml")
    assert out["format"] == "mspdi"
    assert out["entities"]["tasks"]["quarantined"] == 1  # no status date in the file: quarantined, with a reason
    assert "no status date" in out["errors"][0]
    code, out = inspect_json(SAMPLES / "mspdi" / "mspdiassignmentfields.xml", "--status-date", "2011-07-19")
    assert code == 0
    assert out["entities"]["tasks"]["totals"]["baseline_cost"] == pytest.approx(5_052.00)


def test_unknown_file_is_reported_not_guessed(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("minutes of the steering committee\n")
    code, out = inspect_json(f)
    assert code == 1
    assert out["format"] is None and "no reader recognises" in out["errors"][0]


def test_every_sample_is_recognised():
    """Every real export in shared/samples is matched by a reader (MPP gets a clear 'save as XML' error)."""
    formats = {}
    for path in sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "SOURCES.md"):
        _, out = inspect_json(path)
        formats[path.relative_to(SAMPLES).as_posix()] = out["format"]
    assert None not in formats.values(), formats
    assert formats["p6xml/BaselineProjects.xml"] == "p6-xml"
    assert formats["mpp/Software-Development.mpp"] == "mpp"
    assert formats["tempo/tempo_worklogs.json"] == "tempo-worklog-json"
    assert formats["jira/issues_in_sprint.json"] == "jira-issues-json"


def test_p6_xml_baseline_totals():
    _, out = inspect_json(SAMPLES / "p6xml" / "BaselineProjects.xml")
    totals = out["entities"]["tasks"]["totals"]
    assert out["entities"]["tasks"]["rows"] == 2
    assert totals["baseline_cost"] == pytest.approx(7_503)
    assert totals["actual_cost"] == pytest.approx(698)


def test_mpp_gets_a_clear_error():
    code, out = inspect_json(SAMPLES / "mpp" / "mpp14timephased2.mpp")
    assert out["format"] == "mpp"
    assert "save it from Project as XML" in out["errors"][0]
