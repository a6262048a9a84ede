"""Fingerprint every published mart: one sha256 per table over its rows in a total order.

Refactors and optimisations must leave every mart of the default demo identical.  Run this on the
serving file before and after a change and compare::

    python bench/mart_hashes.py .pmo/serving.duckdb > before.json
    ... change, rebuild ...
    python bench/mart_hashes.py .pmo/serving.duckdb | diff before.json -

Columns that record *when* something was loaded or run (they differ between two otherwise identical
runs) are left out of the fingerprint and listed under ``"ignored_columns"``.
"""
from __future__ import annotations

import hashlib
import json
import sys

import duckdb

#: Columns whose value is a wall-clock time or a run id: they differ between identical runs.
VOLATILE = ("loaded_at", "_loaded_at", "ingested_at", "published_at", "generated_at", "run_id", "built_at",
            "reported_run_id", "reported_at", "closed_at")


def fingerprints(path: str, schemas: tuple[str, ...] = ("marts",)) -> dict:
    con = duckdb.connect(path, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2", list(schemas)).fetchall()
        out: dict[str, dict] = {}
        ignored: dict[str, list[str]] = {}
        for schema, table in tables:
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall()]
            kept = [c for c in cols if c.lower() not in VOLATILE]
            if len(kept) < len(cols):
                ignored[f"{schema}.{table}"] = [c for c in cols if c not in kept]
            select = ", ".join(f'"{c}"' for c in kept)
            digest = hashlib.sha256()
            rows = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()
            for row in rows:
                digest.update(repr(row).encode())
                digest.update(b"\n")
            out[f"{schema}.{table}"] = {"rows": len(rows), "sha256": digest.hexdigest()}
        return {"tables": out, "ignored_columns": ignored}
    finally:
        con.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python bench/mart_hashes.py SERVING.duckdb [schema ...]")
    print(json.dumps(fingerprints(sys.argv[1], tuple(sys.argv[2:]) or ("marts",)), indent=1, sort_keys=True))
