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
    <home>/dagster/             the Dagster instance (run history, event logs)

The home is ``--home``, else ``$PMO_HOME``, else ``./.pmo``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DAGSTER_YAML_TEMPLATE = REPO_ROOT / "dagster.yaml"

DEFAULT_REPORTING_CURRENCY = "GBP"
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

DEFAULT_SETTINGS_YAML = """\
# pmo-warehouse settings for this home.
# The currency every mart and pack reports in. PMO_REPORTING_CURRENCY overrides it.
reporting_currency: GBP
"""


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and where."""


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """The deployment home: the argument, else $PMO_HOME, else ./.pmo (made absolute)."""
    chosen = home or os.environ.get("PMO_HOME") or ".pmo"
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    home: Path
    reporting_currency: str

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
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"


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
    return Settings(home=root, reporting_currency=currency)


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
    instance_yaml = settings.dagster_home / "dagster.yaml"
    template = DAGSTER_YAML_TEMPLATE.read_text(encoding="utf-8")
    if not instance_yaml.exists() or instance_yaml.read_text(encoding="utf-8") != template:
        instance_yaml.write_text(template, encoding="utf-8")


def check_period(value: str) -> str:
    """Validate a 'YYYY-MM' period string."""
    if not PERIOD_RE.match(value or ""):
        raise SettingsError(f"{value!r} is not a period: use YYYY-MM, e.g. 2026-03")
    return value
