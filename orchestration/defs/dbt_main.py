"""``pmo-dbt``: dbt's own command line, without formatting the log lines no logger will write.

Every dbt event goes to each of dbt's loggers (the console's, read by dagster-dbt as JSON, and the file
log). dbt-common's ``_Logger.write_line`` builds the whole line first (the event as a protobuf message
turned into a dict and then JSON, and every environment variable scanned for secrets to scrub) and only
then hands it to a Python logger that drops it when the event is below the logger's level. A build logs
about 4,500 debug events against about 380 at info, so at the run's levels (info on both) nearly all of
that work was thrown away: about a tenth of dbt's own CPU in a demo-sized build (bench/RESULTS.md,
2026-12-07).

:func:`main` asks the Python logger first and only formats what it will write; the lines written are the
same, byte for byte. Everything else is ``dbt.cli.main.cli``, the function the ``dbt`` command runs.

The hook is dbt-common's private API (``_Logger.write_line``, ``_python_logger``, ``_is_print_event``);
tests/unit/test_dbt_main.py fails if an upgrade renames them. Should they be gone, ``pmo-dbt`` still runs
dbt, unpatched, and logs why.
"""

from __future__ import annotations

import logging
import sys

#: dbt's event levels as the Python logging levels dbt-common sends them at (``send_to_logger``).
_LEVELS = {"test": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "error": logging.ERROR}


def skip_unwritten_lines() -> bool:
    """Make dbt-common's loggers skip, before formatting it, an event their Python logger would drop.
    Returns whether the hook is in place."""
    try:
        from dbt_common.events import logger as dbt_logger

        original = dbt_logger._Logger.write_line
        is_print_event = dbt_logger._is_print_event
    except (ImportError, AttributeError) as exc:
        logging.getLogger(__name__).info("pmo-dbt: dbt's log lines are formatted as dbt does (%s)", exc)
        return False
    if getattr(original, "_pmo_skips_unwritten", False):
        return True

    def write_line(self, msg) -> None:
        log = getattr(self, "_python_logger", None)
        # A print event is always written (at error level, so that --quiet keeps it): left to dbt.
        if log is not None and not is_print_event(msg) \
                and not log.isEnabledFor(_LEVELS.get(msg.info.level, logging.ERROR)):
            return
        original(self, msg)

    write_line._pmo_skips_unwritten = True  # type: ignore[attr-defined]
    dbt_logger._Logger.write_line = write_line  # type: ignore[method-assign]
    return True


def main() -> None:
    """The ``pmo-dbt`` command: ``dbt`` with :func:`skip_unwritten_lines`, run by the run's warm dbt process
    when there is one (orchestration/defs/dbt_warm.py)."""
    import os

    from orchestration.defs.dbt_warm import WARM_ENV, hand_over

    warm = os.environ.get(WARM_ENV)
    if warm:
        code = hand_over(warm, sys.argv)
        if code is not None:
            sys.exit(code)
    from orchestration.heap import one_process_command, settle

    one_process_command()
    skip_unwritten_lines()
    from dbt.cli.main import cli

    settle()  # dbt's modules and its adapter's live until the command ends (orchestration/heap.py)
    sys.exit(cli())


if __name__ == "__main__":
    main()
