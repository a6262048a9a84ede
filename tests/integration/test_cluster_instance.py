"""The Kubernetes configuration of docs/scaling-out.md, loaded with no cluster running.

With ``PMO_DAGSTER_RUN_LAUNCHER=k8s`` pmo writes deploy/kubernetes/dagster.yaml as the home's instance
configuration.  The test builds the project's definitions on a home so configured (Postgres from the
``pg_url`` fixture, tests/integration/conftest.py), then makes a Dagster instance of the file pmo wrote,
changing one thing only: the run launcher reads a kubeconfig written here, whose API server is a closed
loopback port, instead of a pod's service account.  It checks the launcher, the run queue, the pools and
the storage the instance really has, the definitions the code location really holds, that a run of the
monthly job can be created in the instance's Postgres run storage (it is not launched: there is no
cluster), the Kubernetes Job the launcher would create for that run, and that the manifests beside
dagster.yaml define every object it names.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import kubernetes
import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.instance.config import PoolGranularity
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._serdes import serialize_value
from dagster_k8s import K8sRunLauncher
from dagster_k8s.job import construct_dagster_k8s_job, get_job_name_from_run_id
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from orchestration.defs.definitions import MONTHLY_JOB, build_definitions
from orchestration.defs.partitions import DUCKDB_WRITER_POOL
from orchestration.settings import (DAGSTER_YAML_TEMPLATE, K8S_DAGSTER_YAML_TEMPLATE, K8S_IMAGE_ENV, PG_DRIVER_URL_ENV,
                                    PG_URL_ENV, RUN_LAUNCHER_ENV, SettingsError, instance_yaml_text, psycopg2_url)

KUBERNETES = K8S_DAGSTER_YAML_TEMPLATE.parent
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hand_project"
IMAGE = "registry.test/pmo-warehouse:cluster-test"
#: Environment variables activate() sets in os.environ itself: registered with monkeypatch so they are undone.
ACTIVATED = ("PMO_HOME", "DAGSTER_HOME", "PMO_WAREHOUSE_PATH", "PMO_DAGSTER_STORAGE", "PMO_DUCKDB_THREADS",
             PG_DRIVER_URL_ENV)


def _manifests() -> dict[tuple[str, str], dict]:
    """Every object of deploy/kubernetes/kustomization.yaml's resources, by (kind, name)."""
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    objects = {}
    for resource in kustomization["resources"]:
        for doc in yaml.safe_load_all((KUBERNETES / resource).read_text()):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def _kubeconfig(path: Path) -> str:
    """A kubeconfig at ``path`` whose API server is a closed loopback port; returns that server's URL."""
    server = f"https://127.0.0.1:{_closed_port()}"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "unreachable",
        "clusters": [{"name": "unreachable", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "pmo", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "unreachable", "context": {"cluster": "unreachable", "user": "pmo", "namespace": "pmo"}}],
    }))
    return server


def test_pmo_writes_the_kubernetes_instance_only_with_postgres_and_an_image(monkeypatch):
    monkeypatch.setenv(RUN_LAUNCHER_ENV, "k8s")
    monkeypatch.delenv(PG_URL_ENV, raising=False)
    monkeypatch.setenv(K8S_IMAGE_ENV, IMAGE)
    with pytest.raises(SettingsError, match=PG_URL_ENV):
        instance_yaml_text()
    monkeypatch.setenv(PG_URL_ENV, "postgresql://pmo@db:5432/pmo_dagster")
    with pytest.raises(SettingsError, match=r"postgresql\+psycopg2://"):  # the run pods cannot translate it
        instance_yaml_text()
    monkeypatch.setenv(PG_URL_ENV, "postgresql+psycopg2://pmo@db:5432/pmo_dagster")
    monkeypatch.delenv(K8S_IMAGE_ENV)
    with pytest.raises(SettingsError, match=K8S_IMAGE_ENV):
        instance_yaml_text()
    monkeypatch.setenv(RUN_LAUNCHER_ENV, "celery")
    with pytest.raises(SettingsError, match="local, k8s"):
        instance_yaml_text()


def test_the_definitions_load_on_the_kubernetes_instance(pg_url, tmp_path, monkeypatch):
    url, psql = pg_url
    for name in ACTIVATED:
        monkeypatch.setenv(name, "")
    secret_url = psycopg2_url(url)  # as the Secret pmo-postgres holds it
    monkeypatch.setenv(PG_URL_ENV, secret_url)
    monkeypatch.setenv(RUN_LAUNCHER_ENV, "k8s")
    monkeypatch.setenv(K8S_IMAGE_ENV, IMAGE)
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home / "landing", ignore=shutil.ignore_patterns("README.md"))
    monkeypatch.setenv("PMO_HOME", str(home))

    # The code location, as the daemon's code server and every run pod build it.
    defs = build_definitions()
    written = (home / "dagster" / "dagster.yaml").read_text()
    assert written.endswith(K8S_DAGSTER_YAML_TEMPLATE.read_text())
    assert secret_url not in written  # the URL stays in the Secret

    job = defs.resolve_job_def(MONTHLY_JOB)
    assert {s.name for s in defs.resolve_all_job_defs()} >= {MONTHLY_JOB}
    assert defs.resolve_schedule_def("nightly_open_period").job_name == MONTHLY_JOB
    assert {s.name for s in defs.sensors} == {"landing_files", "run_failure_alerts", "run_canceled_summaries"}
    pools = {node.name: node.definition.pool for node in job.nodes_in_topological_order}
    assert pools["ingest_landing"] == DUCKDB_WRITER_POOL and pools["dbt_models"] == DUCKDB_WRITER_POOL
    assert job.executor_def.name != "k8s"  # steps run in the run pod's process, one after another

    # The instance of the file pmo wrote, with the launcher pointed at a kubeconfig instead of the pod's
    # service account: nothing else changes.
    config = yaml.safe_load(written)
    launcher = config["run_launcher"]["config"]
    assert launcher.pop("load_incluster_config") is True
    server = _kubeconfig(tmp_path / "kubeconfig")
    launcher.update(load_incluster_config=False, kubeconfig_file=str(tmp_path / "kubeconfig"))
    instance_dir = tmp_path / "instance"
    instance_dir.mkdir()
    (instance_dir / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance = DagsterInstance.from_config(str(instance_dir))
    try:
        run_launcher = instance.run_launcher
        assert isinstance(run_launcher, K8sRunLauncher)
        assert kubernetes.client.Configuration.get_default_copy().host == server  # it read the test's kubeconfig
        assert run_launcher.job_namespace == "pmo"
        assert run_launcher.job_image == IMAGE
        assert run_launcher.service_account_name == "pmo-run"
        assert run_launcher.instance_config_map == "pmo-dagster-instance"
        assert run_launcher.env_config_maps == ["pmo-env"] and run_launcher.env_secrets == ["pmo-postgres"]
        assert run_launcher.volumes == [{"name": "pmo-home", "persistentVolumeClaim": {"claimName": "pmo-home"}}]
        assert run_launcher.volume_mounts == [{"name": "pmo-home", "mount_path": "/home/pmo/warehouse"}]
        assert run_launcher.resources["requests"] == {"cpu": "2", "memory": "4Gi"}

        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()
        # What the daemon's run queue reads: concurrency.runs over the coordinator's own default (10)
        assert concurrency.run_queue_config.max_concurrent_runs == 1
        assert concurrency.pool_config.default_pool_limit == 1
        assert concurrency.pool_config.pool_granularity == PoolGranularity.OP
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert instance.run_monitoring_enabled

        # What a run pod receives: the instance's reference, which names the URL's variable, not the URL,
        # and rebuilds the same launcher.
        ref = instance.get_ref()
        assert secret_url not in serialize_value(ref)
        assert isinstance(DagsterInstance.from_ref(ref).run_launcher, K8sRunLauncher)

        # A run of the monthly job, created (not launched) in the instance's Postgres run storage.
        run = instance.create_run_for_job(job_def=job, tags={"dagster/partition": "2026-03"})
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.NOT_STARTED

        # The Kubernetes Job the launcher would create for it, built as K8sRunLauncher.launch_run builds it
        # (the raw run_k8s_config becomes Kubernetes objects here, so a misspelt key fails); nothing is sent.
        context = run_launcher.get_container_context_for_run(run)
        assert context.namespace == "pmo"
        k8s_job = construct_dagster_k8s_job(
            job_config=context.get_k8s_job_config(job_image=None, run_launcher=run_launcher),
            args=["dagster", "api", "execute_run", "{}"], job_name=get_job_name_from_run_id(run.run_id),
            pod_name=get_job_name_from_run_id(run.run_id), component="run_worker",
            user_defined_k8s_config=context.run_k8s_config, labels={"dagster/run-id": run.run_id})
        assert k8s_job.spec.backoff_limit == 0
        pod = k8s_job.spec.template.spec
        container = pod.containers[0]
        assert (pod.service_account_name, container.image) == ("pmo-run", IMAGE)
        assert {(e.config_map_ref or e.secret_ref).name for e in container.env_from} >= {"pmo-env", "pmo-postgres"}
        assert ("pmo-home", "/home/pmo/warehouse") in {(m.name, m.mount_path) for m in container.volume_mounts}
        assert "pmo-home" in {v.persistent_volume_claim.claim_name for v in pod.volumes if v.persistent_volume_claim}
        assert container.resources.limits == {"memory": "8Gi"}
        assert pod.security_context.fs_group == 999
        term = pod.affinity.pod_affinity.required_during_scheduling_ignored_during_execution[0]
        assert term.topology_key == "kubernetes.io/hostname"
        assert term.label_selector.match_labels["app.kubernetes.io/component"] == "server"
    finally:
        instance.dispose()

    def query(sql: str) -> str:
        return subprocess.run(psql + [sql], check=True, capture_output=True, text=True).stdout.strip()

    assert query(f"select pipeline_name, status from runs where run_id = '{run.run_id}'") == f"{MONTHLY_JOB}|NOT_STARTED"
    assert query(f"select value from run_tags where run_id = '{run.run_id}' and key = 'dagster/partition'") == "2026-03"


def test_the_manifests_define_what_the_instance_names():
    config = yaml.safe_load(K8S_DAGSTER_YAML_TEMPLATE.read_text())
    launcher = config["run_launcher"]["config"]
    objects = _manifests()
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    generated = {m["name"]: m for m in kustomization["configMapGenerator"]}
    env = dict(line.split("=", 1) for line in (KUBERNETES / "pmo.env").read_text().splitlines() if line.strip())

    assert kustomization["namespace"] == launcher["job_namespace"] and ("Namespace", "pmo") in objects
    assert kustomization["generatorOptions"]["disableNameSuffixHash"] is True  # dagster.yaml names them as they are
    assert generated[launcher["instance_config_map"]]["files"] == ["dagster.yaml"]
    assert [generated[name]["envs"] for name in launcher["env_config_maps"]] == [["pmo.env"]]
    assert env[RUN_LAUNCHER_ENV] == "k8s" and env["PMO_HOME"] == launcher["volume_mounts"][0]["mount_path"]
    assert objects[("ServiceAccount", launcher["service_account_name"])]["automountServiceAccountToken"] is False
    claim = launcher["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert objects[("PersistentVolumeClaim", claim)]["spec"]["accessModes"] == ["ReadWriteOnce"]

    # The pmo pod: the same image, environment, Secret and home as the run pods, the service account the
    # launcher's Role is bound to, and the labels the run pods' affinity follows onto its node.
    pod = objects[("Deployment", "pmo")]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["image"] == env[K8S_IMAGE_ENV]
    assert [e.get("configMapRef", e.get("secretRef"))["name"] for e in container["envFrom"]] == \
        launcher["env_config_maps"] + launcher["env_secrets"]
    assert container["volumeMounts"] == [{"name": "pmo-home", "mountPath": env["PMO_HOME"]}]
    assert pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == claim
    binding = objects[("RoleBinding", "pmo-run-launcher")]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": pod["spec"]["serviceAccountName"]}]
    rules = objects[("Role", binding["roleRef"]["name"])]["rules"]
    assert {"create", "delete", "get"} <= set(next(r for r in rules if "jobs" in r["resources"])["verbs"])
    affinity = launcher["run_k8s_config"]["pod_spec_config"]["affinity"]["podAffinity"]
    term = affinity["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["labelSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert term["topologyKey"] == "kubernetes.io/hostname"
    group = launcher["run_k8s_config"]["pod_spec_config"]["security_context"]["fs_group"]
    assert group == pod["spec"]["securityContext"]["fsGroup"]  # the image's pmo group (deploy/Dockerfile)
    assert f"--gid {group} pmo" in (KUBERNETES.parent / "Dockerfile").read_text()

    # The pools, run queue and run monitoring are dagster.yaml's: the cluster keeps one writer at a time.
    local = yaml.safe_load(DAGSTER_YAML_TEMPLATE.read_text())
    for block in ("concurrency", "run_monitoring", "telemetry"):
        assert config[block] == local[block], block
