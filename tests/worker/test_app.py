"""The workers' Celery app: how a failed task reaches the worker log."""

from __future__ import annotations

import logging

import pytest

from lsat_core.errors import ConfigError
from worker.app import app


def _fails_with(exc: Exception):
    def run() -> None:
        raise exc

    return app.task(name=f"tests.fails_with_{type(exc).__name__}", shared=False)(run)


def _task_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "celery.app.trace"]


def test_a_users_bad_input_is_one_line_in_the_worker_log(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))  # in case this configures the app first
    task = _fails_with(ConfigError("m = 0 must lie in 1..19", where="--m"))
    with caplog.at_level(logging.INFO, logger="celery.app.trace"):
        task.apply()

    (record,) = _task_log(caplog)
    assert (record.levelno, record.exc_info) == (logging.INFO, None)
    assert record.getMessage().endswith(
        "raised expected: ConfigError('--m: m = 0 must lie in 1..19')"
    )


def test_anything_else_is_an_error_with_its_traceback(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    task = _fails_with(RuntimeError("CUDA out of memory"))
    with caplog.at_level(logging.INFO, logger="celery.app.trace"):
        task.apply()

    (record,) = _task_log(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
