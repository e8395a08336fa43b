"""The Celery configuration from settings: the embedded filesystem broker, Redis, reliability."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsat_core.errors import ConfigError
from lsat_core.settings import Settings
from worker.config import DEFAULT_REDELIVERY_SECONDS, broker_transport, celery_config


def test_the_default_broker_is_a_folder_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    assert settings.broker_url == f"filesystem://{tmp_path / 'data' / 'broker'}"
    config = celery_config(settings)
    assert config["broker_url"] == "lsatfs://localhost/"
    options = config["broker_transport_options"]
    queue = tmp_path / "data" / "broker" / "queue"
    # Producers and consumers share one folder; broadcasts (revoke, inspect) need the control one.
    assert options["data_folder_in"] == options["data_folder_out"] == str(queue)
    assert options["control_folder"] == str(tmp_path / "data" / "broker" / "control")
    assert queue.is_dir() and Path(options["control_folder"]).is_dir()


@pytest.mark.parametrize("url", ["filesystem://", "filesystem://relative/broker"])
def test_a_filesystem_broker_needs_an_absolute_folder(url: str) -> None:
    with pytest.raises(ConfigError, match="LSAT_BROKER_URL: the filesystem broker needs"):
        broker_transport(url, DEFAULT_REDELIVERY_SECONDS)


def test_redis_redelivers_a_dead_workers_task_after_the_redelivery_time() -> None:
    url, options = broker_transport("redis://redis:6379/0", DEFAULT_REDELIVERY_SECONDS)
    assert url == "redis://redis:6379/0"
    assert options["visibility_timeout"] == 6 * 3600
    _, short = broker_transport("redis://redis:6379/0", 20)
    assert short["visibility_timeout"] == 20 and short["unacked_restore_interval"] == 5


def test_tasks_are_json_acknowledged_late_and_have_no_result_backend(tmp_path: Path) -> None:
    config = celery_config(Settings.for_data_dir(tmp_path, broker_url="redis://127.0.0.1:6379/0"))
    assert config["task_serializer"] == "json" and config["accept_content"] == ["json"]
    assert config["result_backend"] is None and config["task_ignore_result"]
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert [q.name for q in config["task_queues"]] == ["gpu", "cpu"]
    assert config["task_default_queue"] == "cpu"
