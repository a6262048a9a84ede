"""The demo organisation: a generator of projects, schedules, timesheets, ledgers and registers
(``generator``), the vendor-format exports it writes (``exports``, ``formats``) and the scripted
restatement of a closed period (``restatement``)."""
