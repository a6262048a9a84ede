"""Benchmark: what storing a run's events costs in Dagster's SQLite event log, against the pooled one the
instance uses (orchestration/defs/instance_storage.py; issue #9).

It reads every event of one run of a home (the latest, or ``--run RUN_ID``) and stores them again, one by
one as a run does, into an empty scratch folder with each storage in turn (``--repeat`` times each,
alternating), printing seconds and milliseconds an event.  The home is only read.

    python bench/bench_event_log.py HOME [--run RUN_ID] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path, help="a pmo home with at least one run")
    parser.add_argument("--run", help="the run whose events are stored (default: the latest)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from dagster import DagsterInstance
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from orchestration.defs.instance_storage import PooledSqliteEventLogStorage
    from orchestration.settings import activate, load_settings

    activate(load_settings(args.home))
    with DagsterInstance.get() as instance:
        run_id = args.run or instance.get_runs(limit=1)[0].run_id
        events = instance.all_logs(run_id)
    print(f"run {run_id}: {len(events)} events")
    for _ in range(args.repeat):
        for storage_class in (SqliteEventLogStorage, PooledSqliteEventLogStorage):
            scratch = tempfile.mkdtemp(prefix="pmo-event-log-")
            try:
                storage = storage_class(scratch)
                started = time.perf_counter()
                for event in events:
                    storage.store_event(event)
                seconds = time.perf_counter() - started
                storage.dispose()
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            print(f"{storage_class.__name__:30} {seconds:6.2f} s  {seconds / len(events) * 1000:5.2f} ms an event")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
