"""Fingerprint every published mart: one sha256 per table over its rows in a total order.

Refactors and optimisations must leave every mart of the default demo identical.  Run this on the
serving file before and after a change and compare::

    python bench/mart_hashes.py .pmo/serving.duckdb > before.json
    ... change, rebuild ...
    python bench/mart_hashes.py .pmo/serving.duckdb | diff before.json -

Columns that record *when* something was loaded or run (they differ between two otherwise identical
runs) are left out of the fingerprint and listed under ``"ignored_columns"``.

``--digits N`` fingerprints DOUBLE and REAL columns at N significant digits. A sum or average of
doubles depends on the order its rows arrive in, which any change of plan upstream can alter, so two
correct builds can differ in the last bit of such a column (money is DECIMAL and exact). Without
the flag every bit counts.
"""
from __future__ import annotations

import hashlib
import json
import sys

import duckdb

#: Columns whose value is a wall-clock time or a run id: they differ between identical runs.
VOLATILE = ("loaded_at", "_loaded_at", "ingested_at", "published_at", "generated_at", "run_id", "built_at",
            "reported_run_id", "reported_at", "closed_at")


FLOATING = ("DOUBLE", "FLOAT", "REAL", "FLOAT8", "FLOAT4")


def fingerprints(path: str, schemas: tuple[str, ...] = ("marts",), digits: int | None = None) -> dict:
    con = duckdb.connect(path, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2", list(schemas)).fetchall()
        out: dict[str, dict] = {}
        ignored: dict[str, list[str]] = {}
        for schema, table in tables:
            typed = con.execute(
                "select column_name, data_type from information_schema.columns where table_schema = ? "
                "and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            cols = [c for c, _ in typed]
            kept = [(c, t) for c, t in typed if c.lower() not in VOLATILE]
            if len(kept) < len(cols):
                ignored[f"{schema}.{table}"] = [c for c in cols if c not in dict(kept)]
            select = ", ".join(
                f"format('{{:.{digits}g}}', \"{c}\")" if digits and t.upper() in FLOATING else f'"{c}"'
                for c, t in kept)
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
    args = sys.argv[1:]
    digits = None
    if "--digits" in args:
        at = args.index("--digits")
        digits = int(args[at + 1])
        del args[at:at + 2]
    if not args:
        sys.exit("usage: python bench/mart_hashes.py SERVING.duckdb [schema ...] [--digits N]")
    print(json.dumps(fingerprints(args[0], tuple(args[1:]) or ("marts",), digits), indent=1, sort_keys=True))
