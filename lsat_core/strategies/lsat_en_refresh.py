"""LSAT-EN whose long-term LoRA is refreshed (docs/method.md section 3): re-trained as full
retraining at t (D_1..D_t), every k periods after m (`lsat_en_every_k`), or only when it has gone
stale (`lsat_en_drift`): when its AUC on val_t falls more than a threshold below its AUC on the
validation set of the period it was trained at (its value at the last refresh). The short-term
LoRA and the choice of alpha on val_t are LSAT-EN's. Each refresh is logged on the run's events
with its reason, and so is each drift check that kept the long-term LoRA (`refresh_events`).

A drift refresh depends on scores, so the models an update needs are not all known before
training: the declared components are the long-term LoRA of period m and the short-term LoRA;
a refresh trains full retraining at t when the update reaches it (get-or-train by key, shared
with full_retrain and lsat_en_full), and its cost is the update's.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FULL, LORA, SHORT, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.errors import InputError
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.strategies.base import Strategy, UpdatedModel
from lsat_core.strategies.knobs import Knob
from lsat_core.strategies.long_term import long_term_spec
from lsat_core.strategies.lsat_en import ensemble
from lsat_core.strategies.refresh_events import record_refresh

_SECTION = "docs/method.md section 3, Refreshing the long-term LoRA"
REFRESH_EVERY = Knob(
    "merge_refresh",
    "refresh_every",
    "--refresh-every",
    "Refresh every k periods",
    "lsat_en_every_k: k, the long-term LoRA is retrained as full retraining at m + k, m + 2k, "
    f"...; 1 is every period (lsat_en_full); at least 1 ({_SECTION}).",
    kind=int,
    step=1,
)
DRIFT_THRESHOLD = Knob(
    "merge_refresh",
    "drift_threshold",
    "--drift-threshold",
    "Drift threshold (AUC)",
    "lsat_en_drift: the long-term LoRA is retrained as full retraining when its AUC on val_t is "
    "more than this below its AUC at its last refresh; in [0, 1], 1 never fires "
    f"({_SECTION}).",
    step=0.005,
)


class LsatEnEveryK(Strategy):
    name = "lsat_en_every_k"
    family = LORA
    summary = "LSAT-EN whose long-term LoRA is retrained every k periods after m"
    knobs = (REFRESH_EVERY,)
    test_scorings = 2
    validation_scorings = 2

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        every = config.merge_refresh.refresh_every
        return {"long": long_term_spec(t, config, every), "short": ModelSpec(LORA, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        parts = self.components(t, bench.config)
        updated = ensemble(t, bench, **parts)
        m, k = bench.config.long_term_period, bench.config.merge_refresh.refresh_every
        if t > m and parts["long"].period == t:
            record_refresh(
                bench,
                self.name,
                t,
                f"{self.name} at t={t}: long-term LoRA refreshed by full retraining at {t} "
                f"(every k={k} periods after m={m})",
            )
        return updated


@dataclass(frozen=True)
class DriftCheck:
    """The long-term LoRA trained at `trained_at`, judged at period `period`."""

    period: int
    trained_at: int
    reference_auc: float
    """Its AUC on val_{trained_at}: its value at the refresh that made it."""
    auc: float
    """Its AUC on val_{period}."""
    fired: bool


class LsatEnDrift(Strategy):
    name = "lsat_en_drift"
    family = LORA
    summary = "LSAT-EN whose long-term LoRA is retrained when its val_t AUC drifts down"
    knobs = (DRIFT_THRESHOLD,)
    test_scorings = 2
    validation_scorings = 2

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        """Before refreshes are known: the long-term LoRA as LSAT-EN's frozen one (full
        retraining at t before m, at m after it); `update` may serve a later refresh."""
        m = config.long_term_period
        return {"long": ModelSpec(LORA, FULL, min(t, m)), "short": ModelSpec(LORA, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        checks = drift_checks(t, bench)
        fired = [check for check in checks if check.fired]
        trained_at = fired[-1].period if fired else min(t, bench.config.long_term_period)
        updated = ensemble(t, bench, ModelSpec(LORA, FULL, trained_at), ModelSpec(LORA, SHORT, t))
        if checks:  # every check is logged, the kept ones too, so "why not" reads back
            record_refresh(bench, self.name, t, drift_message(self.name, checks[-1], bench))
        return updated


def drift_message(strategy: str, check: DriftCheck, bench: Workbench) -> str:
    """What the check of period `check.period` decided, with the AUCs it compared."""
    t, at = check.period, check.trained_at
    verdict = (
        f"long-term LoRA trained at {at} replaced by full retraining at {t}"
        if check.fired
        else f"long-term LoRA trained at {at} kept"
    )
    return (
        f"{strategy} at t={t}: {verdict}: AUC {check.auc:.4f} on val_{t} against "
        f"{check.reference_auc:.4f} on val_{at}, a change of "
        f"{check.auc - check.reference_auc:+.4f} (a refresh needs a drop of more than "
        f"{bench.config.merge_refresh.drift_threshold})"
    )


def drift_checks(t: int, bench: Workbench) -> list[DriftCheck]:
    """The checks of periods m+1..t, in order: each judges the long-term LoRA in force (that of
    m, or of the last refresh) on its period's validation set and fires when the AUC fell more
    than the threshold below its reference; a fired check's period trains the new one."""
    config = bench.config
    threshold = config.merge_refresh.drift_threshold
    trained_at = config.long_term_period
    reference = _val_auc(bench, trained_at, trained_at)
    checks = []
    for period in range(config.long_term_period + 1, t + 1):
        auc = _val_auc(bench, trained_at, period)
        fired = reference - auc > threshold
        checks.append(DriftCheck(period, trained_at, reference, auc, fired))
        if fired:
            trained_at = period
            reference = _val_auc(bench, trained_at, trained_at)
    return checks


def _val_auc(bench: Workbench, trained_at: int, period: int) -> float:
    val = bench.samples(period, "val")
    auc = auc_with_ci(val.labels, bench.scores(ModelSpec(LORA, FULL, trained_at), val)).auc
    if auc is None:
        raise InputError("holds a single class: drift cannot be judged", where=f"val_{period}")
    return auc
