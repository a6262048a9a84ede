"""Snapshot what every reader makes of every test fixture and sample file, to prove a refactor of the
readers changes no output.

Usage (from the repository root, with the project's virtualenv)::

    PYTHONPATH=. python bench/reader_outputs.py /tmp/readers_before.json      # on the unchanged code
    ... refactor ...
    PYTHONPATH=. python bench/reader_outputs.py /tmp/readers_after.json
    PYTHONPATH=. python bench/reader_outputs.py --compare /tmp/readers_before.json /tmp/readers_after.json

``--compare`` says how many results the two snapshots hold and lists the (file, reader, options) whose
results differ; its exit status is 0 only when they are identical.

Extra roots may follow the output file (``... out.json DIR [DIR ...]``); the default roots are
``tests/fixtures/`` and ``/work/shared/samples/`` (the latter only when it exists).  ``--probes DIR``
first writes a set of small synthetic exports to DIR (headings with punctuation and case variants, dates
in every written form, repeated columns, a blank header) and adds DIR to the roots: they reach the
corners (header matching, day/month order, date formats) that the fixtures touch only lightly.

For every file (recursively, sorted) and every reader in the registry
(:mod:`orchestration.sources.registry`: ``canonical-csv``, every vendor format, every register) it
records ``detect(path, head)`` (``head`` = the file's first ``HEAD_BYTES``) and reads the file with that
reader -- whether or not it was detected (files up to ``READ_ALL_MAX``; larger ones only with the readers
that detect them), so a reader's handling of foreign files is compared too -- once
per option variant (no options; ``day_first`` True/False and ``date_format='%d/%m/%Y'``; and
``mapping_file=`` for each ``*.yaml`` in the file's folder).  A variant the reader does not accept is
recorded as its ``TypeError``, like any other exception (type and message).  Vendor readers are called
directly (``formats[name][1]``), not through ``registry.read_source``, so its range check does not hide a
reader's own output; ``canonical-csv`` goes through ``read_source`` with the file's folder.

Each result is serialised deterministically: format, sha256, errors and warnings, and per entity its rows
(every column's value ``repr``'d, keys sorted), quarantine records (row, column, value, reason, record)
and extra columns.  The script prints how many results it wrote.  Paths are written relative to their
root, so snapshots taken in two worktrees compare equal.
"""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from orchestration.sources import registry

HEAD_BYTES = registry.HEAD_BYTES
DEFAULT_ROOTS = [Path("tests/fixtures"), Path("/work/shared/samples")]
#: Files up to this size are read with every reader; larger ones (the samples) only with the readers that
#: detect them (reading a 3 MB XER as a timesheet only quarantines every line, at great length).
READ_ALL_MAX = 256 * 1024
DATE_VARIANTS = [{"day_first": True}, {"day_first": False}, {"date_format": "%d/%m/%Y"}]


def _jsonable(value):
    return repr(value)


def serialise(result) -> dict:
    out = {
        "format": result.format,
        "sha256": result.sha256,
        "errors": list(result.errors),
        "warnings": list(result.warnings),
        "entities": {},
    }
    for name in sorted(result.entities):
        ent = result.entities[name]
        out["entities"][name] = {
            "entity": ent.entity,
            "warnings": list(ent.warnings),
            "extra_columns": list(ent.extra_columns),
            "source_name": ent.source_name,
            "rows": [{k: _jsonable(v) for k, v in sorted(row.items())} for row in ent.rows],
            "quarantine": [
                {"row": q.source_row, "column": q.column, "value": q.value, "reason": q.reason,
                 "record": {k: _jsonable(v) for k, v in sorted(q.record.items())}}
                for q in ent.quarantine
            ],
        }
    return out


def _exception(exc: BaseException) -> dict:
    return {"exception": type(exc).__name__, "message": str(exc)}


def _variants(name: str, path: Path) -> list[dict]:
    variants: list[dict] = [{}]
    if name != registry.CANONICAL:
        variants += DATE_VARIANTS
        variants += [{"mapping_file": str(p)} for p in sorted(path.parent.glob("*.yaml"))]
    return variants


def _label(options: dict, root: Path) -> str:
    shown = {}
    for k, v in options.items():
        if k == "mapping_file":
            v = str(Path(v).relative_to(root))
        shown[k] = v
    return json.dumps(shown, sort_keys=True)


def snapshot_file(path: Path, root: Path) -> dict:
    head = registry.read_head(path)
    formats = {registry.CANONICAL: (None, None), **registry.vendor_formats(), **registry.register_formats()}
    out: dict = {}
    folder = path.parent.name
    for name, (detect, read) in formats.items():
        entry: dict = {}
        if detect is None:
            entry["detect"] = registry.detect_format(path, folder, head)
        else:
            try:
                entry["detect"] = bool(detect(path, head))
            except Exception as exc:  # noqa: BLE001 - recorded, compared
                entry["detect"] = _exception(exc)
        reads = {}
        if entry["detect"] is not True and path.stat().st_size > READ_ALL_MAX:
            out[name] = entry
            continue
        for options in _variants(name, path):
            try:
                if name == registry.CANONICAL:
                    res = registry.read_source(path, name, folder=folder, **options)
                else:
                    res = read(path, **options)
                reads[_label(options, root)] = serialise(res)
            except Exception as exc:  # noqa: BLE001 - recorded, compared
                reads[_label(options, root)] = _exception(exc)
        entry["reads"] = reads
        out[name] = entry
    return out


# ---- synthetic probes -----------------------------------------------------------------------------

_DATES = ["2026-03-02", "2026-3-2 9:05", "2026-03-02T09:00:00", "2026-03-02 9:05 PM", "2026-03-02T09:00:00Z",
          "2026/03/02", "20260302", "02.03.2026", "2.3.26", "02-Mar-2026", "02-MAR-26", "2/Mär/26",
          "25/Feb/26", "2 mars 2026", "03/04/2026", "13/04/2026", "04/13/2026", "3-4-2026", "00000000",
          "31.02.2026", "2026-02-30", "not a date", "", "  2026-03-02  ", "02/03/26", "1/Foo/26"]


def write_probes(folder: Path) -> None:
    """Small synthetic exports reaching header matching and date parsing (see the module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["Issue Key,Hours,Work date,Username,Full name,Project Key"]
    lines += [f"PAY-{i},1,{d},u{i},User {i},PAY" for i, d in enumerate(_DATES)]
    (folder / "tempo-dates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    heads = ["issue key,HOURS,Work-Date,user name,Full_Name,project key",   # punctuation/case variants
             " Issue Key , Hours ,Work date, Username ,Full name,Project Key",
             "Issue Key,Hours,Work date,Username,Username,Project Key,Project Key",
             "Issue Key,Hours,Work date,User-name,Full name,Project Key"]
    for n, head in enumerate(heads):
        rows = [f"PAY-{i},2,2026-03-0{i + 1},u{i},User {i},PAY,extra" for i in range(3)]
        (folder / f"tempo-heads-{n}.csv").write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    lines = ["Date,Project,Project Code,Task,Hours,First Name,Last Name,Employee Id,Approved?"]
    lines += [f"{d},Web,WEB-1,Dev,1,A,B,E-{i},Yes" for i, d in enumerate(_DATES)]
    (folder / "harvest-dates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["Project,Client,Task,User,Email,Start Date,Duration (h),Duration (decimal)"]
    lines += [f"App,Acme,Build,Dana,d{i}@x.org,{d},01:00:00,1.00" for i, d in enumerate(_DATES)]
    (folder / "clockify-dates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["Issue key,Issue id,Issue Type,Status,Project key,Updated,Resolved,Sprint,Sprint,Fix Version/s,"
             "Fix versions,Custom field (Story Points)"]
    lines += [f"PAY-{i},{100 + i},Story,Done,PAY,{d},{d},S1,S2,1.0,1.1,3" for i, d in enumerate(_DATES)]
    (folder / "jira-dates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["COUNTER,PERNR,WORKDATE,CATSHOURS,UNIT,STATUS,RPROJ"]
    lines += [f"{i:012d},00001001,{d},8,H,30,P-1" for i, d in enumerate(_DATES)]
    (folder / "sap-cats-dates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["Company Code,Fiscal Year,Document Number,Line Item,G/L Account,Amount in Company Code Currency,"
             "Company Code Currency,Posting Date,WBS Element,Fiscal Period"]
    lines += [f"1000,2026,{4900000 + i},1,400000,10.00,EUR,{d},P-1,3" for i, d in enumerate(_DATES)]
    (folder / "sap-ledger-dates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "empty.csv").write_bytes(b"")
    (folder / "cp1252.csv").write_bytes("Issue Key,Hours,Work date,Username,Project Key\nPAY-1,1,2026-03-02,"
                                        "J\xfcrgen,PAY\n".encode("latin-1"))
    (folder / "utf16.txt").write_bytes("Issue Key\tHours\tWork date\tUsername\tProject Key\n"
                                       "PAY-1\t1\t2026-03-02\tu\tPAY\n".encode("utf-16"))
    big = "x" * 140_000  # over the csv module's default cell limit, under READ_ALL_MAX
    (folder / "big-header.csv").write_text(f"Issue Key,Hours,Work date,{big}\nPAY-1,1,2026-03-02,u\n"
                                           "PAY-2,1,2026-03-02,u\n", encoding="utf-8")
    (folder / "semicolon.csv").write_text("Issue Key;Hours;Work date;Username;Project Key\n"
                                          "PAY-1;1,5;02.03.2026;u;PAY\n", encoding="utf-8")
    (folder / "blank-first-line.csv").write_text("\nIssue Key,Hours,Work date,Username,Project Key\n"
                                                 "PAY-1,1,2026-03-02,u,PAY\n", encoding="utf-8")
    (folder / "short-rows.csv").write_text("Issue Key,Hours,Work date,Username,Project Key\r\nPAY-1,1\r\n"
                                           "PAY-2,1,2026-03-02,u,PAY,x,y\r\n\r\n,,,,\r\n", encoding="utf-8")
    (folder / "big-field.csv").write_text(f"Issue Key,Hours,Work date,Username,Project Key\nPAY-1,1,2026-03-02,"
                                          f"u,\"{big}\"\nPAY-2,1,2026-03-02,u,PAY\n", encoding="utf-8")


def _results(snapshot: dict):
    for file, readers in snapshot.items():
        for reader, entry in readers.items():
            if not isinstance(entry, dict):
                yield (file, reader, ""), entry
                continue
            yield (file, reader, "detect"), entry.get("detect")
            for options, value in entry.get("reads", {}).items():
                yield (file, reader, options), value


def compare(before_path: Path, after_path: Path) -> int:
    before = dict(_results(json.loads(before_path.read_text(encoding="utf-8"))))
    after = dict(_results(json.loads(after_path.read_text(encoding="utf-8"))))
    differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    for key in differ[:50]:
        print("differs:", " | ".join(key))
    print(f"{len(before)} results before, {len(after)} after, {len(differ)} differ")
    return 1 if differ else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--compare"] and len(argv) == 3:
        return compare(Path(argv[1]), Path(argv[2]))
    probes = None
    if "--probes" in argv:
        i = argv.index("--probes")
        probes = Path(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    if not argv:
        print(__doc__)
        return 2
    out_path = Path(argv[0])
    roots = [Path(a) for a in argv[1:]] or [r for r in DEFAULT_ROOTS if r.exists()]
    if probes is not None:
        write_probes(probes)
        roots.append(probes)
    snapshot: dict = {}
    count = 0
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            key = f"{root.name}/{path.relative_to(root)}"
            try:
                snapshot[key] = snapshot_file(path, root)
            except Exception:  # noqa: BLE001 - the harness itself must not stop
                snapshot[key] = {"harness_error": traceback.format_exc().splitlines()[-1]}
            count += sum(len(e.get("reads", {})) + 1 for e in snapshot[key].values() if isinstance(e, dict))
    out_path.write_text(json.dumps(snapshot, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(snapshot)} files, {count} results (detections and reads) written to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
