"""The ingest (canonical CSV in SQL, cross-file rules in SQL, parses kept between runs) gives the tables
the Python ingest gave: :func:`orchestration.pipeline.ingest.read_landing` over the readers' rows, written as the
ingest wrote them before it kept parses (this module's ``reference``).  The landing zone is the whole
bad-input corpus at once, plus vendor exports, a project described by the register and by schedules,
and duplicates across files."""
from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.contract import DUCKDB_TYPES, ENTITIES, LINEAGE_COLUMNS, NUMBER, raw_table_ddl
from orchestration.pipeline.ingest import (
    FILES_QUARANTINE_DDL,
    LOAD_LOG_DDL,
    QUARANTINE_COLUMNS,
    load_landing,
    read_landing,
)
from orchestration.sources.canonical import to_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bad_inputs"))
import test_bad_inputs as corpus  # noqa: E402

from test_ingest_incremental import tables  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LOADED_AT = datetime(2026, 3, 31, 23)


def reference(landing: Path, warehouse: Path, archive: Path) -> None:
    """raw.*, quarantine.* and the load log as the Python ingest wrote them."""
    results, files = read_landing(landing, archive)
    formats = {f.display: f.format for f in files}
    con = duckdb.connect(str(warehouse))
    con.execute(f"CREATE SCHEMA raw; CREATE SCHEMA quarantine; {LOAD_LOG_DDL}; {FILES_QUARANTINE_DDL}")
    for f in files:
        if f.status != "loaded" or f.message:
            con.execute("INSERT INTO quarantine.files VALUES (?, ?, ?, ?, ?, ?)",
                        [f.display, f.sha256, LOADED_AT, f.format, f.status, f.message])
    for entity, res_list in results.items():
        ent = ENTITIES[entity]
        extras = list(dict.fromkeys(c for res in res_list for c in res.extra_columns))
        con.execute(raw_table_ddl(ent) + "".join(f'; ALTER TABLE raw.{entity} ADD COLUMN "{c}" DOUBLE' for c in extras))
        con.execute(f"CREATE TABLE quarantine.{entity} ({', '.join(f'{k} {v}' for k, v in QUARANTINE_COLUMNS.items())})")
        columns = ent.column_names + extras
        types = {c.name: DUCKDB_TYPES[c.type] for c in ent.columns}
        rows, quarantined = [], []
        for res in res_list:
            for row in res.rows:
                rows.append([to_text(row.get(c)) for c in columns] + [res.source_name, res.sha256, row["_source_row"]])
            for q in res.quarantine:
                quarantined.append([res.source_name, res.sha256, q.source_row, q.column, q.value, q.reason,
                                    json.dumps(q.record, ensure_ascii=False, sort_keys=True)])
            con.execute("INSERT INTO raw.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [entity, res.source_name, res.sha256, LOADED_AT, formats.get(res.source_name), res.rows_in,
                         len(res.rows), len(res.quarantine), "\n".join(res.warnings) or None])
        if rows:
            frame = pd.DataFrame(rows, columns=[*columns, "f", "s", "r"], dtype=object)  # noqa: F841
            casts = ", ".join(f'CAST("{c}" AS {types.get(c, DUCKDB_TYPES[NUMBER])})' for c in columns)
            con.execute(f"INSERT INTO raw.{entity} ({', '.join(chr(34) + c + chr(34) for c in columns)}, "
                        f"{', '.join(LINEAGE_COLUMNS)}) SELECT {casts}, f, s, CAST(r AS INTEGER), ? FROM frame",
                        [LOADED_AT])
        if quarantined:
            frame = pd.DataFrame(quarantined, columns=["f", "s", "r", "c", "v", "why", "rec"], dtype=object)  # noqa: F841
            con.execute(f"INSERT INTO quarantine.{entity} SELECT f, s, CAST(r AS INTEGER), ?, c, v, why, rec FROM frame",
                        [LOADED_AT])
    con.close()


def test_the_ingest_gives_the_tables_of_the_python_ingest(tmp_path):
    landing = tmp_path / "landing"
    for rel, content in corpus.BASE.items():
        corpus.write(landing, rel, content)
    for case in corpus.CASES:
        for rel, content in case.extra.items():
            corpus.write(landing, rel, content)
        if case.make is not None:
            case.make(landing)
        else:
            corpus.write(landing, case.path, case.content)
    shutil.copytree(FIXTURES / "hand_project", landing / "hand", ignore=shutil.ignore_patterns("README.md"))
    # rows repeated across files (one sorting before, one after), a project in the register and a schedule
    corpus.write(landing, "timesheets/0-early.csv", corpus.TS + "2026-03-02,P1,A,T1,7,E1\n")
    corpus.write(landing, "timesheets/zz-late.csv", corpus.TS + "2026-03-02,P1,A,T1,7,E1\n2026-03-05,P2,A,T1,3,E7\n")
    shutil.copy(FIXTURES / "sources" / "xer" / "pair_update.xer", landing / "p6" / "second.xer")

    load_landing(landing, tmp_path / "wh.duckdb", archive_dir=tmp_path / "archive", loaded_at=LOADED_AT)
    reference(landing, tmp_path / "ref.duckdb", tmp_path / "ref-archive")
    got, expected = tables(tmp_path / "wh.duckdb"), tables(tmp_path / "ref.duckdb")
    assert got.keys() == expected.keys()
    for table in expected:
        assert got[table] == expected[table], table
    # the corpus exercises what it should: duplicates across files, the register, vendor readers, SQL and Python
    reasons = [r[5] for r in got["quarantine.timesheets"]]
    assert "exact duplicate of landing/timesheets/0-early.csv row 2" in reasons
    assert any("is in the project register" in r[5] or "later export" in r[5] for r in got["quarantine.projects"])
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    parsers = dict(con.execute("SELECT parser, count(*) FROM ingest_cache.files GROUP BY 1").fetchall())
    con.close()
    assert parsers["sql"] >= 30 and parsers["python"] >= 5, parsers  # canonical in SQL; vendor, odd CSV in Python
