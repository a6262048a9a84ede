"""A programme's scope of the marts (orchestration/reports/scope.py): the views a programme pack is rendered
from hold that programme's projects only, and its roll-up in place of the portfolio and organisation ones."""
from __future__ import annotations

import duckdb
import pytest

from orchestration.reports.scope import open_programme
from tests.unit.test_reports import PERIOD, _period_end, build_serving

# Network = P-GRN + P-NUL (P-OLD is closed, with no earned value): BAC 1,000,000 + 500,000, PV 510,000, EV 500,000,
# AC 490,000; CPI = 500,000 / 490,000, EAC = BAC / CPI = 1,470,000, VAC 30,000.
NETWORK = ("Network", PERIOD, _period_end(PERIOD), "GBP", 2, "1500000", "510000", "500000", "490000",
           500000 / 490000, 500000 / 510000, "1470000", "30000")


@pytest.fixture()
def serving(tmp_path):
    path = build_serving(tmp_path / "serving.duckdb")
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO marts.fct_programme_earned_value (programme, period, status_date, currency,"
                    " project_count, bac, pv, ev, ac, cpi, spi, eac_cpi, vac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " ?, ?, ?)", list(NETWORK))
        con.execute("INSERT INTO marts.fct_programme_earned_value (programme, period, currency, bac)"
                    " VALUES ('Customer', ?, 'GBP', 330000)", [PERIOD])
        con.execute("CREATE TABLE marts.fct_team_utilisation (group_type VARCHAR, period VARCHAR)")
    finally:
        con.close()
    return path


def test_a_programme_sees_its_projects_and_its_roll_up(serving):
    con = open_programme("Network", serving=serving)
    try:
        assert sorted(r[0] for r in con.execute("SELECT DISTINCT project_code FROM marts.fct_earned_value")
                      .fetchall()) == ["P-GRN", "P-NUL", "P-OLD"]
        assert sorted(r[0] for r in con.execute("SELECT project_code FROM marts.dim_project").fetchall()) == [
            "P-GRN", "P-NUL", "P-OLD"]
        assert con.execute("SELECT organisation, bac, ev, ac, eac_cpi, vac FROM marts.fct_organisation_earned_value"
                           ).fetchall() == [("Network", 1500000, 500000, 490000, 1470000, 30000)]
        assert con.execute("SELECT portfolio, bac FROM marts.fct_portfolio_earned_value").fetchall() == [
            ("Network", 1500000)]
        # an organisation-wide fact is left out rather than shown whole in a programme's pack
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE "
                                            "table_catalog = current_database() AND table_schema = 'marts'").fetchall()}
        assert "fct_team_utilisation" not in tables and "fct_project_status" in tables
    finally:
        con.close()


def test_an_unknown_programme_is_refused(serving):
    with pytest.raises(ValueError, match="programme 'Nope' has no project in dim_project"):
        open_programme("Nope", serving=serving)
