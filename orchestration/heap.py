"""Python's cycle collector in the two short-lived processes of a run: ``pmo`` and ``pmo-dbt``.

CPython's collector examines every tracked object in each full (generation 2) collection, and once more
while the interpreter shuts down.  Both commands load a large graph of objects that lives until the
process ends: ``pmo`` the Dagster definitions, the dbt manifest and the libraries' modules (about 260,000
objects), ``pmo-dbt`` dbt and its adapter (about 130,000).  At 2,000 projects a night's ``pmo run`` spent
about 1 s in collections that found nothing in that graph and 0.8 s more in the collections of the
shutdown; ``pmo-dbt`` 0.7 s (bench/RESULTS.md, 2026-12-07).

:func:`gc.freeze` moves every object tracked so far to a permanent generation that no collection examines.
Here it is called where the long-lived graph is complete (the definitions loaded; dbt imported) and again
when the process exits, after every ``atexit`` handler (:func:`one_process_command` registers it first, and
handlers run last-registered first).  Reference counting still frees what is not in a cycle, and
collections still free the cycles made after a freeze; what a freeze at start-up keeps is the garbage
already in a cycle at that moment, held until the process ends.  At exit it only skips the last
collections, as ``os._exit`` would skip them and more: every file the code opens is closed by a ``with``
block before then.

Only a process that runs one command and ends does this.  The same functions called in a long-lived
process (the test suite, which runs the CLI in-process, or the Dagster code server) leave the collector as
it is: :func:`settle` does nothing there, since a freeze would keep each run's garbage until that process
ends.
"""
from __future__ import annotations

import atexit
import gc

_one_process_command = False
_settled = False


def one_process_command() -> None:
    """Say that this process runs one command and then ends: :func:`settle` freezes from now on, and the
    objects left at exit are frozen before the interpreter's shutdown collections."""
    global _one_process_command
    if not _one_process_command:
        _one_process_command = True
        atexit.register(gc.freeze)


def settle() -> bool:
    """The objects allocated so far live until the process ends: freeze them, in a one-command process
    (:func:`one_process_command`), the first time only (``pmo demo`` runs three periods in one process, and
    a second freeze would keep the first run's garbage).  Returns whether it froze."""
    global _settled
    if not _one_process_command or _settled:
        return False
    _settled = True
    gc.freeze()
    return True
