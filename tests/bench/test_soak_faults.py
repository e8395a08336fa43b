"""bench/soak_faults.py's bookkeeping on a pytest run of its own: one row per case, the
iterations that passed, the first error of each failure (the fault runs are tests/faults)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def soak_module():
    spec = importlib.util.spec_from_file_location(
        "soak_faults", REPO_ROOT / "bench" / "soak_faults.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak_faults"] = module
    spec.loader.exec_module(module)
    return module


CASES = """
import pytest

@pytest.fixture
def events(record_property):
    yield
    record_property("store_connection_events", ["w1: store: disconnect on 'SELECT 1'"])

@pytest.mark.parametrize("iteration", range(3))
def test_broker_crash(iteration, record_property, events):
    record_property("fault_moment", f"training + {iteration}.00 s")
    assert iteration != 1, "experiment ended FAILED"

@pytest.fixture
def broken():
    raise RuntimeError("the private Redis did not answer")

@pytest.mark.parametrize("iteration", range(1))
def test_database_crash(iteration, broken):
    pass
"""


def test_the_table_counts_iterations_and_names_each_failure(tmp_path: Path) -> None:
    soak = soak_module()
    (tmp_path / "test_cases.py").write_text(CASES)
    seen: list[int] = []
    recorder = soak.SoakRecorder(on_iteration=lambda done: seen.append(len(done)))
    pytest.main(["-q", "-p", "no:cacheprovider", str(tmp_path)], plugins=[recorder])
    # the soak's JSON is rewritten after every iteration, and again when its fixtures ended
    assert seen == [1, 1, 2, 2, 3, 3, 4, 4]
    by_case = {(i.case, i.iteration): i for i in recorder.iterations}
    assert sorted(by_case) == [
        ("broker_crash", 0),
        ("broker_crash", 1),
        ("broker_crash", 2),
        ("database_crash", 0),
    ]
    assert by_case[("broker_crash", 2)].properties == {
        "fault_moment": "training + 2.00 s",
        "store_connection_events": ["w1: store: disconnect on 'SELECT 1'"],
    }
    lines = soak.table(recorder.iterations).splitlines()
    assert lines[2] == (
        "| broker_crash | 3 | 2 | #1: call: AssertionError: experiment ended FAILED |"
    )
    assert lines[3] == (
        "| database_crash | 1 | 0 | #0: setup: RuntimeError: the private Redis did not answer |"
    )
