"""Where a deployment lives and how it is configured.

A *home* holds everything one deployment owns::

    <home>/settings.yaml        deployment settings (reporting currency, ...)
    <home>/sources.yaml         which reader and mapping each landing folder uses (optional)
    <home>/landing/<source>/    exports dropped by people or jobs
    <home>/archive/             every file taken, content-addressed (sha256), never altered
    <home>/warehouse/           the working DuckDB file that ingest and dbt write
    <home>/serving.duckdb       the published snapshot BI tools open read-only
    <home>/parquet/             the published marts as Parquet
    <home>/reports/<period>/    the rendered PDF packs
    <home>/reported/<period>/   the figures each period's pack showed, frozen once the period closes
    <home>/dagster/             the Dagster instance (run history, event logs)
    <home>/alerts.log           one line per failed run (orchestration/pipeline/alerts.py)

The home is ``--home``, else ``$PMO_HOME``, else ``./.pmo``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.warehouse import THREADS_ENV, duckdb_threads

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DAGSTER_YAML_TEMPLATE = REPO_ROOT / "dagster.yaml"
#: The instance configuration on Kubernetes (PMO_DAGSTER_RUN_LAUNCHER=k8s): docs/scaling-out.md.
K8S_DAGSTER_YAML_TEMPLATE = REPO_ROOT / "deploy" / "kubernetes" / "dagster.yaml"

DEFAULT_REPORTING_CURRENCY = "GBP"
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

DEFAULT_SETTINGS_YAML = """\
# pmo-warehouse settings for this home.
# The currency every mart and pack reports in. PMO_REPORTING_CURRENCY overrides it.
reporting_currency: GBP
# When a period's figures are frozen as reported: on_next_period (a run for a later period closes
# it) or manual (only `pmo close PERIOD` does).
close_periods: on_next_period
# How long a run waits for the warehouse writer slot held by another live run before it gives up
# (exit 1). A run whose process died is noticed at once and never waited for.
slot_wait_minutes: 60
# Where failed runs are announced besides alerts.log: a URL that receives a JSON POST (optional).
alert_webhook: null
# What builds the marts: duckdb (the default) or spark (dbt-spark, `make install-spark`, Java 17;
# docs/spark.md). PMO_ENGINE and `pmo run --engine` override it. The published files are the same.
engine: duckdb
# Unattended operation (`pmo serve`): the nightly run of the open period, and the sensor that runs
# the periods new or changed landing files touch.
schedule:
  nightly: true                # false: the schedule is defined but stopped
  time: "02:00"                # HH:MM, in the timezone below
  timezone: UTC                # an IANA name, e.g. Europe/London
  landing_sensor: true         # false: new files wait for the nightly run or `pmo run`
"""
CLOSE_POLICIES = ("on_next_period", "manual")
#: What builds the marts (orchestration/pipeline/spark_engine.py for spark).
ENGINES = ("duckdb", "spark")
ENGINE_ENV = "PMO_ENGINE"
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DEFAULT_SLOT_WAIT_MINUTES = 60.0


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and where."""


#: What a variable that switches a saving off may hold (any case, blanks around it ignored).
SWITCHED_OFF = frozenset({"off", "0", "false", "no"})


def switched_off(variable: str) -> bool:
    """Whether the environment variable ``variable`` switches its feature off (``off``, ``0``, ``false``, ``no``):
    the switches of the savings that can be turned off (``PMO_DBT_KEEP``, ``PMO_GATE_MEMO``, ...)."""
    return os.environ.get(variable, "").strip().lower() in SWITCHED_OFF


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """The deployment home: the argument, else $PMO_HOME, else ./.pmo (made absolute)."""
    chosen = home or os.environ.get("PMO_HOME") or ".pmo"
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    home: Path
    reporting_currency: str
    close_periods: str = "on_next_period"
    nightly_enabled: bool = True
    nightly_time: str = "02:00"
    timezone: str = "UTC"
    landing_sensor_enabled: bool = True

    @property
    def nightly_cron(self) -> str:
        """The nightly schedule as a cron expression ('MM HH * * *')."""
        hour, minute = self.nightly_time.split(":")
        return f"{int(minute)} {int(hour)} * * *"
    #: How long a run waits for the duckdb_writer slot held by another live run (orchestration/defs/run_guard.py).
    slot_wait_minutes: float = DEFAULT_SLOT_WAIT_MINUTES
    #: A URL that receives every alert as a JSON POST (orchestration/pipeline/alerts.py); None: alerts.log only.
    alert_webhook: str | None = None
    #: What builds the marts: ``duckdb`` or ``spark`` (:data:`ENGINES`).
    engine: str = "duckdb"

    @property
    def settings_file(self) -> Path:
        return self.home / "settings.yaml"

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse" / "warehouse.duckdb"

    @property
    def serving_path(self) -> Path:
        return self.home / "serving.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self.home / "parquet"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def reported_dir(self) -> Path:
        """Frozen figures as reported: reported/<period>/ (orchestration/pipeline/reported.py)."""
        return self.home / "reported"

    @property
    def quality_dir(self) -> Path:
        """Run summaries: quality/<period>/<run_id>.json."""
        return self.home / "quality"

    @property
    def quality_file(self) -> Path:
        return self.home / "quality.yaml"

    @property
    def alerts_log(self) -> Path:
        """One line per failed run, written by orchestration/pipeline/alerts.py."""
        return self.home / "alerts.log"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def spark_sources_dir(self) -> Path:
        """engine spark: the dbt sources (raw, quarantine, reported) as Parquet, <schema>/<table>/."""
        return self.home / "spark" / "sources"

    @property
    def spark_warehouse_dir(self) -> Path:
        """engine spark: Spark's tables (Parquet, <schema>.db/<table>/) and its Derby metastore."""
        return self.home / "spark" / "warehouse"


def load_settings(home: str | os.PathLike | None = None) -> Settings:
    """Read ``<home>/settings.yaml`` (absent is fine) and apply environment overrides."""
    root = resolve_home(home)
    data: dict = {}
    path = root / "settings.yaml"
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError(f"{path}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise SettingsError(f"{path}: expected a mapping of setting names to values")
    currency = os.environ.get("PMO_REPORTING_CURRENCY") or data.get("reporting_currency") or DEFAULT_REPORTING_CURRENCY
    currency = str(currency).strip().upper()
    if not CURRENCY_RE.match(currency):
        source = "PMO_REPORTING_CURRENCY" if os.environ.get("PMO_REPORTING_CURRENCY") else f"{path}: reporting_currency"
        raise SettingsError(f"{source}: {currency!r} is not a three-letter ISO 4217 currency code")
    close = str(data.get("close_periods") or CLOSE_POLICIES[0]).strip().lower()
    if close not in CLOSE_POLICIES:
        raise SettingsError(f"{path}: close_periods is {close!r}; use one of {', '.join(CLOSE_POLICIES)}")
    wait = data.get("slot_wait_minutes", DEFAULT_SLOT_WAIT_MINUTES)
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not wait > 0:
        raise SettingsError(f"{path}: slot_wait_minutes must be a number of minutes > 0, not {wait!r}")
    webhook = data.get("alert_webhook")
    if webhook is not None and (not isinstance(webhook, str) or not re.match(r"^https?://\S+$", webhook.strip())):
        raise SettingsError(f"{path}: alert_webhook must be an http:// or https:// URL (or null), not {webhook!r}")
    nightly, at, tz, sensor = _schedule_settings(path, data.get("schedule"))
    engine = str(os.environ.get(ENGINE_ENV) or data.get("engine") or ENGINES[0]).strip().lower()
    if engine not in ENGINES:
        source = ENGINE_ENV if os.environ.get(ENGINE_ENV) else f"{path}: engine"
        raise SettingsError(f"{source} is {engine!r}; use one of {', '.join(ENGINES)}")
    run_launcher()  # a bad PMO_DAGSTER_RUN_LAUNCHER (or k8s without Postgres) is a settings error, before any run
    return Settings(home=root, reporting_currency=currency, close_periods=close, slot_wait_minutes=float(wait),
                    alert_webhook=webhook.strip() if webhook else None, nightly_enabled=nightly,
                    nightly_time=at, timezone=tz, landing_sensor_enabled=sensor, engine=engine)


def _schedule_settings(path: Path, block) -> tuple[bool, str, str, bool]:
    """settings.yaml's ``schedule:`` block: (nightly on, HH:MM, timezone, landing sensor on)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    block = {} if block is None else block
    if not isinstance(block, dict):
        raise SettingsError(f"{path}: schedule must be a mapping (nightly, time, timezone, landing_sensor)")
    unknown = sorted(set(block) - {"nightly", "time", "timezone", "landing_sensor"})
    if unknown:
        raise SettingsError(f"{path}: unknown schedule setting(s) {', '.join(unknown)}; "
                            "known: landing_sensor, nightly, time, timezone")
    flags = {}
    for key in ("nightly", "landing_sensor"):
        value = block.get(key, True)
        if not isinstance(value, bool):
            raise SettingsError(f"{path}: schedule.{key} must be true or false, not {value!r}")
        flags[key] = value
    at = block.get("time", "02:00")
    if isinstance(at, int) and 0 <= at < 24 * 60:  # YAML 1.1 reads an unquoted 02:00 as 120 minutes
        at = f"{at // 60:02d}:{at % 60:02d}"
    if not isinstance(at, str) or not TIME_RE.match(at.strip()):
        raise SettingsError(f"{path}: schedule.time must be HH:MM (24-hour, quoted), not {at!r}")
    tz = str(block.get("timezone", "UTC")).strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{path}: schedule.timezone {tz!r} is not an IANA timezone (e.g. UTC, "
                            "Europe/London)") from None
    return flags["nightly"], at.strip(), tz, flags["landing_sensor"]


def init_home(settings: Settings) -> None:
    """Create the home's folders and a commented settings file if there is none."""
    for d in (settings.home, settings.landing_dir, settings.warehouse_path.parent, settings.reports_dir,
              settings.dagster_home):
        d.mkdir(parents=True, exist_ok=True)
    if not settings.settings_file.exists():
        settings.settings_file.write_text(DEFAULT_SETTINGS_YAML, encoding="utf-8")


def activate(settings: Settings) -> None:
    """Point the Dagster instance, dbt and the code location at this home (environment variables)."""
    init_home(settings)
    os.environ["PMO_HOME"] = str(settings.home)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["PMO_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["PMO_DAGSTER_STORAGE"] = str(settings.dagster_home / "storage")
    # dbt's DuckDB gets the same thread count as the product's own connections (profiles.yml reads it)
    os.environ.setdefault(THREADS_ENV, str(duckdb_threads()))
    if os.environ.get(PG_URL_ENV):
        os.environ[PG_DRIVER_URL_ENV] = psycopg2_url(os.environ[PG_URL_ENV])
    instance_yaml = settings.dagster_home / "dagster.yaml"
    template = instance_yaml_text()
    if not instance_yaml.exists() or instance_yaml.read_text(encoding="utf-8") != template:
        instance_yaml.write_text(template, encoding="utf-8")


#: When set, the Dagster instance keeps its runs, event logs and schedules in this Postgres database
#: (dagster-postgres) instead of SQLite files under <home>/dagster/storage.
PG_URL_ENV = "PMO_DAGSTER_PG_URL"
#: The same URL with the driver dagster-postgres installs (psycopg2) named; the instance reads this one.
PG_DRIVER_URL_ENV = "PMO_DAGSTER_PG_URL_PSYCOPG2"


def psycopg2_url(url: str) -> str:
    """``postgresql://…`` with the psycopg2 driver named: SQLAlchemy 2.1 reads a bare ``postgresql://``
    as psycopg 3, which dagster-postgres does not install.  A URL that names a driver is kept."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg2://{rest}"
    return url


#: Where the Dagster instance launches runs: ``local`` (unset: a process per run on this machine, Dagster's
#: default) or ``k8s`` (a Kubernetes Job per run, dagster-k8s's K8sRunLauncher: the instance configuration is
#: deploy/kubernetes/dagster.yaml, which needs Postgres storage and the image in ``$PMO_K8S_IMAGE``).
RUN_LAUNCHER_ENV = "PMO_DAGSTER_RUN_LAUNCHER"
RUN_LAUNCHERS = ("local", "k8s")
#: The image of the run pods (the same image as the pmo pod's), read by deploy/kubernetes/dagster.yaml.
K8S_IMAGE_ENV = "PMO_K8S_IMAGE"


def run_launcher() -> str:
    """``$PMO_DAGSTER_RUN_LAUNCHER`` checked: ``local`` or ``k8s``; k8s also needs ``$PMO_DAGSTER_PG_URL``
    (the run pods and the daemon share one instance, which SQLite files on a volume cannot be) and
    ``$PMO_K8S_IMAGE``."""
    value = (os.environ.get(RUN_LAUNCHER_ENV) or "local").strip().lower()
    if value not in RUN_LAUNCHERS:
        raise SettingsError(f"{RUN_LAUNCHER_ENV}={value!r}: use one of {', '.join(RUN_LAUNCHERS)}")
    if value == "k8s":
        missing = [name for name in (PG_URL_ENV, K8S_IMAGE_ENV) if not (os.environ.get(name) or "").strip()]
        if missing:
            raise SettingsError(f"{RUN_LAUNCHER_ENV}=k8s needs {' and '.join(missing)} set: the run pods share "
                                "the instance through Postgres and run the image named there (docs/scaling-out.md)")
        scheme = os.environ[PG_URL_ENV].strip().partition("://")[0]
        if scheme in ("postgres", "postgresql"):
            raise SettingsError(f"{RUN_LAUNCHER_ENV}=k8s: write {PG_URL_ENV} as postgresql+psycopg2://…: the run "
                                "pods read it before pmo could name the driver (docs/scaling-out.md)")
    return value


def instance_yaml_text() -> str:
    """The instance's dagster.yaml: the repository's template, with Postgres storage instead of
    SQLite when ``$PMO_DAGSTER_PG_URL`` is set (the URL itself stays in the environment, never in a
    file); with ``$PMO_DAGSTER_RUN_LAUNCHER=k8s``, deploy/kubernetes/dagster.yaml as it is (Postgres
    storage, a Kubernetes Job per run, the same pools and run queue)."""
    if run_launcher() == "k8s":
        return (f"# Written by pmo from deploy/kubernetes/dagster.yaml because {RUN_LAUNCHER_ENV}=k8s.\n"
                + K8S_DAGSTER_YAML_TEMPLATE.read_text(encoding="utf-8"))
    template = DAGSTER_YAML_TEMPLATE.read_text(encoding="utf-8")
    if not os.environ.get(PG_URL_ENV):
        return template
    data = yaml.safe_load(template)
    data["storage"] = {"postgres": {"postgres_url": {"env": PG_DRIVER_URL_ENV}}}
    return (f"# Written by pmo from {DAGSTER_YAML_TEMPLATE.name}: Postgres storage because {PG_URL_ENV} is set.\n"
            + yaml.safe_dump(data, sort_keys=False))


def check_period(value: str) -> str:
    """Validate a 'YYYY-MM' period string."""
    if not PERIOD_RE.match(value or ""):
        raise SettingsError(f"{value!r} is not a period: use YYYY-MM, e.g. 2026-03")
    return value


# --------------------------------------------------------------------------------------------
# Quality settings: <home>/quality.yaml (docs/quality.md documents every key)
# --------------------------------------------------------------------------------------------

QUALITY_FILE = "quality.yaml"
BLOCKING = "blocking"
WARNING = "warning"
OFF = "off"
#: A row rule of an additive fact (timesheets, ledger): the rows it rejects are moved to quarantine and the
#: run publishes with a warning naming them (orchestration/pipeline/row_rules.py).
QUARANTINE = "quarantine"
SEVERITIES = (BLOCKING, WARNING, OFF, QUARANTINE)
#: The suites whose row expectations may be set to quarantine.
QUARANTINE_SUITES = ("raw_timesheets", "raw_ledger")

DEFAULT_QUALITY_YAML = """\
# pmo-warehouse data-quality settings for this home (docs/quality.md explains every key).
# Every key is optional; the values below are the defaults.
max_daily_hours: 24          # most hours one person may book on one day, across all entries
future_grace_days: 0         # dates may run this many days past the horizon (period end, or today if later)
volume:
  min_ratio: 0.5             # a raw table may shrink to this share of the last published load
  max_ratio: null            # and grow to this multiple of it (null: no upper bound)
labour_tolerance: 0.05       # ledger labour lines vs timesheet labour cost, share of the latter (a warning)
extra_currencies: []         # currency codes accepted besides ISO 4217
severity: {}                 # <suite>.<expectation id> (or <suite>) -> blocking | warning | off | quarantine
#   raw_timesheets.daily_hours: blocking                      # quarantined row by row by default
#   raw_ledger.closed_project_posting: quarantine              # timesheet and ledger row rules only
#   raw_tasks.actual_finish_not_after_status_date: blocking   # a warning by default
#   raw_risks: warning
#   mart_fct_risk_exposure.volume: blocking                   # mart suites: mart_<mart>.<id>
"""


@dataclass(frozen=True)
class QualitySettings:
    max_daily_hours: float = 24.0
    future_grace_days: int = 0
    volume_min_ratio: float | None = 0.5
    volume_max_ratio: float | None = None
    labour_tolerance: float = 0.05
    extra_currencies: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # (suite or suite.expectation_id, severity)

    def severity_for(self, suite: str, expectation_id: str, default: str) -> str:
        overrides = dict(self.severity)
        return overrides.get(f"{suite}.{expectation_id}") or overrides.get(suite) or default


def _number(path: Path, key: str, value, *, minimum: float = 0.0, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise SettingsError(f"{path}: {key} must be a number >= {minimum:g}{' or null' if allow_none else ''}, "
                            f"not {value!r}")
    return float(value)


def load_quality_settings(home: str | os.PathLike | None = None) -> QualitySettings:
    """Read ``<home>/quality.yaml`` (absent is fine: the defaults of :class:`QualitySettings`)."""
    root = resolve_home(home)
    path = root / QUALITY_FILE
    if not path.exists():
        return QualitySettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of setting names to values")
    known = {"max_daily_hours", "future_grace_days", "volume", "labour_tolerance", "extra_currencies", "severity"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    defaults = QualitySettings()
    volume = data.get("volume") or {}
    if not isinstance(volume, dict):
        raise SettingsError(f"{path}: volume must be a mapping with min_ratio and/or max_ratio")
    severity = data.get("severity") or {}
    if not isinstance(severity, dict):
        raise SettingsError(f"{path}: severity must map <suite>.<expectation id> to one of {', '.join(SEVERITIES)}")
    pairs = []
    for key, value in severity.items():
        value = OFF if value is False else str(value).strip().lower()  # YAML reads a bare off as false
        if value not in SEVERITIES:
            raise SettingsError(f"{path}: severity.{key} is {value!r}; use one of {', '.join(SEVERITIES)}")
        if value == QUARANTINE and (str(key).split(".")[0] not in QUARANTINE_SUITES or "." not in str(key)):
            raise SettingsError(f"{path}: severity.{key} is quarantine, which applies to one expectation of "
                                f"{' or '.join(QUARANTINE_SUITES)} (e.g. raw_timesheets.daily_hours), whose rows "
                                "are additive facts")
        pairs.append((str(key), value))
    extra = data.get("extra_currencies") or []
    if not isinstance(extra, list) or not all(isinstance(c, str) and CURRENCY_RE.match(c.upper()) for c in extra):
        raise SettingsError(f"{path}: extra_currencies must be a list of three-letter codes")
    grace = data.get("future_grace_days", defaults.future_grace_days)
    if isinstance(grace, bool) or not isinstance(grace, int) or grace < 0:
        raise SettingsError(f"{path}: future_grace_days must be a whole number of days >= 0, not {grace!r}")
    return QualitySettings(
        max_daily_hours=_number(path, "max_daily_hours", data.get("max_daily_hours", defaults.max_daily_hours)),
        future_grace_days=grace,
        volume_min_ratio=_number(path, "volume.min_ratio", volume.get("min_ratio", defaults.volume_min_ratio),
                                 allow_none=True),
        volume_max_ratio=_number(path, "volume.max_ratio", volume.get("max_ratio", defaults.volume_max_ratio),
                                 allow_none=True),
        labour_tolerance=_number(path, "labour_tolerance", data.get("labour_tolerance", defaults.labour_tolerance)),
        extra_currencies=tuple(c.upper() for c in extra),
        severity=tuple(pairs),
    )
