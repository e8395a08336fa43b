"""How fast this machine scored and trained, read from the work its store holds (torch-free).

Two rates, the two the launch form's time estimate is made of (`app/work_estimate.py`):
- prompts scored a second: the test scorings of single-model LLM strategies (the period results'
  `n` over `eval_seconds`; an ensemble's served scoring also scores its parts, so it would read
  twice as fast as it is);
- samples trained a second: the LoRA adapters trained (their metrics' `samples_trained` over
  `seconds`), the validations during training included, so an estimate that also counts those
  validations' prompts stays an upper bound.

Only work of the same backbone on the same kind of device as now ("cpu", or "cuda" for any GPU)
is read, and only
the newest (`NEWEST_SCORINGS`, `NEWEST_TRAININGS`), so the rates follow this machine's present
speed rather than a store's whole history.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsat_core.store.models import Artifact, ArtifactStatus, PeriodResult, Run, Segment

NEWEST_SCORINGS = 200
NEWEST_TRAININGS = 50
MIN_SECONDS = 0.5
"""Scorings and trainings shorter than this are left out: their timing is mostly overhead."""


@dataclass(frozen=True)
class MeasuredRates:
    device: str
    """The device kind the rates were measured on: "cpu" or "cuda"."""
    prompts_per_second: float
    samples_trained_per_second: float
    scorings: int
    """Test scorings the prompt rate is measured from."""
    trainings: int
    """LoRA trainings the training rate is measured from."""


def device_kind(device: str | None) -> str | None:
    """ "cuda:0 NVIDIA H200" -> "cuda", "cpu" -> "cpu"."""
    if not device:
        return None
    return "cuda" if device.startswith("cuda") else device.split(":", 1)[0].split(" ", 1)[0]


def _scoring_rate(
    session: Session, strategies: Collection[str], backbone: str, device: str
) -> tuple[float, int] | None:
    statement = (
        select(PeriodResult.n, PeriodResult.eval_seconds, PeriodResult.device)
        .join(Run, Run.id == PeriodResult.run_id)
        .where(
            Run.strategy.in_(list(strategies)),
            Run.backbone == backbone,
            PeriodResult.role == "model",
            PeriodResult.segment == Segment.ALL,
            PeriodResult.eval_seconds >= MIN_SECONDS,
        )
        .order_by(PeriodResult.id.desc())
        .limit(NEWEST_SCORINGS * 4)
    )
    rows = [
        (n, float(s or 0.0)) for n, s, d in session.execute(statement) if device_kind(d) == device
    ][:NEWEST_SCORINGS]
    if not rows:
        return None
    return sum(n for n, _ in rows) / sum(s for _, s in rows), len(rows)


def _training_rate(
    session: Session, kind: str, backbone: str, device: str
) -> tuple[float, int] | None:
    statement = (
        select(Artifact.config, Artifact.metrics)
        .where(Artifact.kind == kind, Artifact.status == ArtifactStatus.READY)
        .order_by(Artifact.id.desc())
        .limit(NEWEST_TRAININGS * 4)
    )
    rows = []
    for config, metrics in session.execute(statement):
        metrics = metrics or {}
        samples, seconds = metrics.get("samples_trained"), metrics.get("seconds")
        if (config or {}).get("backbone") != backbone:
            continue
        if device_kind(metrics.get("device")) != device or not samples or not seconds:
            continue
        if seconds >= MIN_SECONDS:
            rows.append((float(samples), float(seconds)))
    rows = rows[:NEWEST_TRAININGS]
    if not rows:
        return None
    return sum(n for n, _ in rows) / sum(s for _, s in rows), len(rows)


def measured_rates(
    session: Session,
    *,
    backbone: str,
    device: str,
    single_model_llm_strategies: Collection[str],
    lora_kind: str = "lora",
) -> MeasuredRates | None:
    """The rates of `backbone` (its name or path, as runs store it) measured on `device` ("cpu"
    or "cuda"), or None until the store holds both a test scoring of one of
    `single_model_llm_strategies` and a trained LoRA of `lora_kind` made there with it."""
    scoring = _scoring_rate(session, single_model_llm_strategies, backbone, device)
    training = _training_rate(session, lora_kind, backbone, device)
    if scoring is None or training is None:
        return None
    return MeasuredRates(device, scoring[0], training[0], scoring[1], training[1])
