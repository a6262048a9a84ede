"""The demo organisation: a generator of projects, schedules, timesheets, ledgers and registers, one module
per kind of data (``organisation``, ``schedules``, ``progress``, ``timesheets``, ``ledger``, ``registers``,
``work_items``, on the shared ``model`` and ``core``; ``generator`` runs a generation and holds
``generate_demo``), the vendor-format exports it writes (``exports``, ``formats``) and the scripted
restatement of a closed period (``restatement``)."""
