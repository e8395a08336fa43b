from __future__ import annotations

import pytest
from sqlalchemy import Engine

from lsat_core.store import session_scope
from lsat_core.store.artifacts import claim_artifact, complete_artifact
from lsat_core.store.measured_rates import device_kind, measured_rates
from lsat_core.store.results import record_period_result
from lsat_core.store.runs import create_experiment, get_or_create_run


def _scored(
    session, strategy: str, n: int, seconds: float, device: str, backbone: str = "b"
) -> None:
    experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
    run_id = get_or_create_run(
        session,
        key=f"{strategy}-{n}-{device}-{backbone}",
        experiment_id=experiment_id,
        name=strategy,
        strategy=strategy,
        backbone=backbone,
        protocol="p",
        config={},
        seed=0,
    ).id
    record_period_result(
        session,
        run_id=run_id,
        train_period=1,
        eval_period=2,
        auc=0.6,
        n=n,
        positives=1,
        eval_seconds=seconds,
        device=device,
    )


def _trained(
    session, key: str, samples: int, seconds: float, device: str, kind="lora", backbone="b"
) -> None:
    claim_artifact(session, key, "owner", kind=kind, config={"backbone": backbone})
    metrics = {"samples_trained": samples, "seconds": seconds, "device": device}
    complete_artifact(session, key, "owner", path="p", sha256="s", metrics=metrics)


def test_rates_from_the_stores_scorings_and_trainings_on_this_kind_of_device(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        _scored(session, "short_term", 48, 40.0, "cpu")
        _scored(session, "fine_tune", 48, 56.0, "cpu")
        _scored(session, "short_term", 4800, 2.0, "cuda:0 NVIDIA H200")  # another device
        _scored(session, "lsat_en", 48, 10.0, "cpu")  # an ensemble: not a single model
        _trained(session, "a", 32, 70.0, "cpu")
        _trained(session, "b", 32, 90.0, "cpu")
        _trained(session, "c", 320, 1.0, "cuda:0 NVIDIA H200")
        _trained(session, "d", 3200, 10.0, "cpu", kind="mf")  # a classic model
        _scored(session, "short_term", 4800, 2.0, "cpu", backbone="tiny")  # another backbone
        _trained(session, "e", 3200, 1.0, "cpu", backbone="tiny")
    with session_scope(engine) as session:
        rates = measured_rates(
            session,
            backbone="b",
            device="cpu",
            single_model_llm_strategies=("short_term", "fine_tune"),
        )
    assert rates is not None
    assert rates.prompts_per_second == pytest.approx(96 / 96)
    assert rates.samples_trained_per_second == pytest.approx(64 / 160)
    assert (rates.scorings, rates.trainings) == (2, 2)


def test_no_rates_until_both_were_measured(engine: Engine) -> None:
    with session_scope(engine) as session:
        _scored(session, "short_term", 48, 40.0, "cpu")
        assert (
            measured_rates(
                session, backbone="b", device="cpu", single_model_llm_strategies=("short_term",)
            )
            is None
        )
        _trained(session, "a", 32, 70.0, "cpu")
        assert (
            measured_rates(
                session, backbone="b", device="cuda", single_model_llm_strategies=("short_term",)
            )
            is None
        )
        assert measured_rates(
            session, backbone="b", device="cpu", single_model_llm_strategies=("short_term",)
        )


def test_device_kinds() -> None:
    assert device_kind("cuda:0 NVIDIA H200") == "cuda"
    assert device_kind("cpu") == "cpu"
    assert device_kind(None) is None
