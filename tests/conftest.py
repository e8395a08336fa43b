"""Fixtures shared by every test package: cache and service locations.

Real datasets and the real backbone are fetched once into a test cache (LSAT_TEST_CACHE_DIR,
default `.test-cache/` in the repository) so repeated runs reuse them.

A test is marked `slow` by what it uses, so none can forget it: a fixture of a real resource
(REAL_RESOURCE_FIXTURES, also when another fixture uses it) or a service marker
(SERVICE_MARKERS). `-m "not slow"` then runs offline, with no service and no download.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_RESOURCE_FIXTURES = frozenset({"test_cache_dir", "ml1m_cache", "postgres_url", "redis_url"})
"""The test cache holds the real datasets and the real backbone (ml1m_cache builds on it)."""
SERVICE_MARKERS = frozenset({"postgres", "redis", "browser", "faults", "gpu"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        markers = {marker.name for marker in item.iter_markers()}
        if fixtures & REAL_RESOURCE_FIXTURES or markers & SERVICE_MARKERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def test_cache_dir() -> Path:
    path = Path(os.environ.get("LSAT_TEST_CACHE_DIR") or REPO_ROOT / ".test-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return os.environ.get(
        "LSAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("LSAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight causal LM folder (see tests/support/tiny_llm.py)."""
    from tiny_llm import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def ml1m_cache(test_cache_dir: Path) -> Path:
    """The shared test cache with the real ML-1M stream built (fetched once per machine)."""
    from lsat_core.data.datasets import load_stream

    load_stream("ml-1m", test_cache_dir)
    return test_cache_dir
