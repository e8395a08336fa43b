"""docker-compose.yml cannot run here; check what it declares: services, health checks, the GPU
request, one configuration for every process, and what lets `--scale worker=N` work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lsat_core.settings import Settings
from lsat_core.store.engine import parse_database_url
from worker.config import celery_config

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def _defaults(value: str) -> str:
    """Compose's ${NAME:-default} with the default taken."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_four_services_each_with_a_health_check(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"redis", "postgres", "worker", "dashboard"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    for dependent in ("worker", "dashboard"):
        assert services[dependent]["depends_on"] == {
            "redis": {"condition": "service_healthy"},
            "postgres": {"condition": "service_healthy"},
        }


def test_postgres_keeps_its_data_in_a_named_volume(compose: dict) -> None:
    postgres = compose["services"]["postgres"]
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert "postgres-data" in compose["volumes"]


def test_workers_reserve_a_gpu_and_can_be_scaled(compose: dict) -> None:
    worker = compose["services"]["worker"]
    [device] = worker["deploy"]["resources"]["reservations"]["devices"]
    assert device == {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}
    # Replicas need no fixed name or host port; one task at a time per GPU.
    assert "container_name" not in worker and "ports" not in worker
    assert worker["command"][:2] == ["lsat", "worker"]
    assert worker["command"][worker["command"].index("--concurrency") + 1] == "1"
    assert "gpu" in worker["command"][worker["command"].index("--queues") + 1].split(",")


def test_every_process_reads_one_configuration_that_points_at_the_services(
    compose: dict,
) -> None:
    services = compose["services"]
    worker_env, dashboard_env = (
        services["worker"]["environment"],
        services["dashboard"]["environment"],
    )
    assert worker_env == dashboard_env
    assert set(worker_env) == {
        "LSAT_BROKER_URL",
        "LSAT_DATABASE_URL",
        "LSAT_DATA_DIR",
        "LSAT_DASHBOARD_PASSWORD",
    }
    settings = Settings.for_data_dir(
        Path(worker_env["LSAT_DATA_DIR"]),
        database_url=_defaults(worker_env["LSAT_DATABASE_URL"]),
        broker_url=worker_env["LSAT_BROKER_URL"],
    )
    database = parse_database_url(settings.database_url)
    postgres_env = services["postgres"]["environment"]
    assert (database.host, database.database) == ("postgres", postgres_env["POSTGRES_DB"])
    assert database.username == postgres_env["POSTGRES_USER"]
    assert database.password == _defaults(postgres_env["POSTGRES_PASSWORD"])
    assert celery_config(settings)["broker_url"].startswith("redis://redis:6379/")
    # Adapters one worker writes are read by the others and by nobody else's disk.
    data_mount = f"lsat-data:{worker_env['LSAT_DATA_DIR']}"
    assert data_mount in services["worker"]["volumes"]
    assert data_mount in services["dashboard"]["volumes"]


def test_the_dashboard_runs_the_streamlit_entry_on_a_migrated_store(compose: dict) -> None:
    dashboard = compose["services"]["dashboard"]
    script = dashboard["command"][-1]
    assert script.startswith("lsat db upgrade && exec streamlit run app/main.py")
    assert (REPO_ROOT / "app" / "main.py").is_file()
    assert "8501:8501" in dashboard["ports"]


def test_the_image_the_compose_file_builds_installs_every_package():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    for package in ("lsat_core", "worker", "app", "cli"):
        assert f"COPY {package} {package}" in dockerfile
    assert "pip install" in dockerfile and "WORKDIR" in dockerfile
