"""orchestration/heap.py: the collector is frozen only in a process that runs one command and ends."""
from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import pytest

from orchestration import heap


@pytest.fixture
def one_command(monkeypatch: pytest.MonkeyPatch):
    """heap's state as in a new process; what it registers with atexit is collected, and nothing stays frozen."""
    registered: list = []
    monkeypatch.setattr(heap, "_one_process_command", False)
    monkeypatch.setattr(heap, "_settled", False)
    monkeypatch.setattr(heap.atexit, "register", registered.append)
    yield registered
    gc.unfreeze()


def test_a_long_lived_process_is_left_as_it_is(one_command) -> None:
    frozen = gc.get_freeze_count()
    assert heap.settle() is False
    assert gc.get_freeze_count() == frozen
    assert one_command == []


def test_a_one_command_process_freezes_what_it_settled_and_what_is_left_at_exit(one_command) -> None:
    heap.one_process_command()
    heap.one_process_command()  # registered once
    assert one_command == [gc.freeze]
    kept = [object() for _ in range(3)], {"a": [1]}
    assert heap.settle() is True
    assert gc.get_freeze_count() > 0
    assert heap.settle() is False  # once: a later run's garbage is not kept
    assert not any(o is kept for o in gc.get_objects())  # frozen objects are out of every generation
    gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())


def test_the_console_commands_say_they_are_one_command(monkeypatch: pytest.MonkeyPatch, one_command) -> None:
    from orchestration.cli import main as cli

    ran: list[bool] = []
    monkeypatch.setattr(cli, "app", lambda: ran.append(heap._one_process_command))
    cli.main()
    assert ran == [True] and one_command == [gc.freeze]


def test_pmo_dbt_freezes_dbt_once_imported() -> None:
    """In its own process: pmo-dbt's main has frozen dbt's modules before dbt's command line runs."""
    code = textwrap.dedent("""
        import gc, sys
        import dbt.cli.main
        from orchestration.defs import dbt_main
        def cli():
            print(gc.get_freeze_count() > 50_000, any(m is dbt.cli.main for m in gc.get_objects()))
            return 0
        dbt.cli.main.cli = cli
        dbt_main.main()
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
