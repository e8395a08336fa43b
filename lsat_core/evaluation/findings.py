"""The paper's three findings, checked on stored predictions (docs/method.md section 9).

Pure pandas over `results_frame` and `predictions_frame` rows (no torch), so `lsat report` and
the dashboard's Findings page give the same verdicts from the same store. Each finding is a
sentence with its numbers, a verdict and the tests it rests on:

1. The LLM's AUC moves little with timely updates while the classic models improve
   (Shi et al., CIKM 2024, Figure 2): pooled paired DeLong tests of full_retrain against
   fine_tune and long_term (no update after m), and of every classic model's full retraining
   against its fine-tuning; next-period experiments first, else fixed-target ones.
2. Collaborative models are near AUC 0.5 on cold items while the LLM is above (Figure 3): AUC on
   the test samples whose target no compared model saw in training, and paired tests of the LLM
   against each collaborative model there; held-out-items experiments first, then cold-warm,
   then next-period.
3. LSAT-EN beats full retraining and fine-tuning, and short-term LoRA beats fine-tuning
   (Table 2): pooled paired tests over the tested periods, next-period experiments first.

A verdict is "supported" only when every test it needs says so at the thresholds of `THRESHOLDS`,
"contradicted" when one test says the opposite, and otherwise "not enough evidence", with the
reason (too few samples, a strategy not run, an interval that reaches both sides).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lsat_core.evaluation.finding_tests import (
    TEST_COLUMNS,
    Evidence,
    add_holm,
    first_seed_run,
    paired_tests,
    result_row,
    served_predictions,
    strategies_run,
)
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.paired import pooled_paired_delong
from lsat_core.evaluation.protocols import (
    COLD_WARM,
    FIXED_TARGET,
    HELD_OUT_ITEMS,
    NEXT_PERIOD,
)
from lsat_core.evaluation.user_auc import user_auc

SUPPORTED, CONTRADICTED, NOT_ENOUGH = "supported", "contradicted", "not enough evidence"
VERDICTS = (SUPPORTED, CONTRADICTED, NOT_ENOUGH)


@dataclass(frozen=True)
class Thresholds:
    """Every number a verdict depends on (docs/method.md section 9, Findings)."""

    alpha: float = 0.05
    """Level of the Holm-adjusted p-values (Holm over the paired tests of one finding)."""
    negligible: float = 0.01
    """An AUC difference whose 95% interval lies inside +-0.01 "moves little"; a gain must
    reach it. The paper's strategies differ by 0.003-0.013 (Table 2)."""
    near_chance: float = 0.05
    """A cold-item AUC whose 95% interval lies inside 0.5 +- 0.05 is "near 0.5"."""
    min_paired_samples: int = 200
    """Fewer test samples under a paired test: no reading (DeLong's normal approximation)."""
    min_cold_samples: int = 200
    """Fewer common cold samples: finding 2 has not enough evidence."""


THRESHOLDS = Thresholds()
COLLABORATIVE = ("mf", "gru4rec", "caser", "sasrec")
"""Classic models that know an item only by its id (docs/method.md section 5); DeepMusic reads
titles and is not one of them."""
LLM_STRATEGIES = (
    "full_retrain",
    "lsat_en",
    "lsat_en_full",
    "lsat_ta",
    "short_term",
    "long_term",
    "fine_tune",
)
"""In the order finding 2 picks "the LLM" from (full retraining: the paper's Figure 3)."""
CLAIMS = {
    1: "the LLM's AUC moves little with timely updates while the classic models improve",
    2: "collaborative models are near AUC 0.5 on cold items while the LLM is above",
    3: "LSAT-EN beats full retraining and fine-tuning, and short-term LoRA beats fine-tuning",
}


@dataclass(frozen=True)
class Finding:
    number: int
    claim: str
    verdict: str
    sentence: str
    """The claim, the numbers it rests on and why the verdict."""
    protocol: str | None
    """The protocol of the experiments the tests ran on (None: no usable experiment)."""
    tests: pd.DataFrame
    """TEST_COLUMNS plus `reading`: paired rows (a - b) and AUC rows (b empty)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "claim": self.claim,
            "verdict": self.verdict,
            "sentence": self.sentence,
            "protocol": self.protocol,
            "tests": [
                {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
                for row in self.tests.to_dict("records")
            ],
        }


def check_findings(
    evidence: Sequence[Evidence], thresholds: Thresholds = THRESHOLDS
) -> list[Finding]:
    """Findings 1, 2 and 3 on these experiments."""
    return [
        _finding_1(evidence, thresholds),
        _finding_2(evidence, thresholds),
        _finding_3(evidence, thresholds),
    ]


# Finding 1 -----------------------------------------------------------------------------------


def _finding_1(evidence: Sequence[Evidence], th: Thresholds) -> Finding:
    ev = _first(evidence, (NEXT_PERIOD, FIXED_TARGET), lambda names: "full_retrain" in names)
    if ev is None:
        return _no_evidence(1, "no next-period or fixed-target experiment ran full_retrain")
    names = strategies_run(ev)
    llm = [("full_retrain", b) for b in ("fine_tune", "long_term") if b in names]
    classic = [(f"{m}:full_retrain", f"{m}:fine_tune") for m in _classic_models(names)]
    missing = [] if llm else ["fine_tune or long_term beside full_retrain"]
    if not classic:
        missing.append("a classic model's full retraining and fine-tuning (mf:full_retrain, ...)")
    tests = paired_tests(ev, llm + classic)
    readings = [_llm_move(r, th) for r in tests[: len(llm)]]
    readings += [_classic_gain(r, th) for r in tests[len(llm) :]]
    return _decided(
        1,
        ev,
        tests,
        readings,
        supports={"negligible", "improves"},
        contradicts={"moves", "no gain"},
        missing=missing,
    )


def _llm_move(row: dict[str, Any], th: Thresholds) -> str:
    """The LLM's update gain: inside +-negligible, or certainly beyond it."""
    if not _enough(row, th):
        return "too few samples"
    if -th.negligible < row["ci_low"] and row["ci_high"] < th.negligible:
        return "negligible"
    if row["ci_low"] >= th.negligible or row["ci_high"] <= -th.negligible:
        return "moves"
    return "undecided"


def _classic_gain(row: dict[str, Any], th: Thresholds) -> str:
    """A classic model's gain from full retraining: significant and at least negligible, or
    certainly below negligible."""
    if not _enough(row, th):
        return "too few samples"
    if row["p_holm"] < th.alpha and row["estimate"] >= th.negligible and row["ci_low"] > 0:
        return "improves"
    if row["ci_high"] < th.negligible:
        return "no gain"
    return "undecided"


# Finding 2 -----------------------------------------------------------------------------------


def _finding_2(evidence: Sequence[Evidence], th: Thresholds) -> Finding:
    def usable(names: set[str]) -> bool:
        return bool(_llm_of(names)) and bool(_collaborative(names))

    ev = _first(evidence, (HELD_OUT_ITEMS, COLD_WARM, NEXT_PERIOD), usable)
    if ev is None:
        return _no_evidence(
            2,
            "no held-out-items, cold-warm or next-period experiment ran both an LLM strategy "
            f"and a collaborative model ({', '.join(COLLABORATIVE)})",
        )
    names = strategies_run(ev)
    llm, collaborative = _llm_of(names), _collaborative(names)
    assert llm is not None  # `usable` asked for one
    runs = {name: first_seed_run(ev, name) for name in (llm, *collaborative)}
    cold = _common_cold(served_predictions(ev), list(runs.values()))
    scores = {
        name: cold[cold["run_id"] == run].sort_values(["cell", "sample_id"])
        for name, run in runs.items()
    }
    labels = scores[llm]["label"].to_numpy(dtype=np.int64)
    rows = [_auc_row(name, frame) for name, frame in scores.items()]
    paired = [_cold_paired_row(llm, name, labels, scores) for name in collaborative]
    add_holm(paired)
    tests = rows + paired
    positives = int(labels.sum())
    if len(labels) < th.min_cold_samples or positives in (0, len(labels)):
        hint = "" if ev.protocol == HELD_OUT_ITEMS else "; launch the held-out-items protocol"
        reason = (
            f"only {len(labels)} test samples ({positives} liked) have a target no compared model "
            f"saw in training, fewer than {th.min_cold_samples}{hint}"
        )
        return _decided(2, ev, tests, ["too few samples"] * len(tests), set(), set(), [], reason)
    readings = [_cold_reading(row, th) for row in rows[:1]]
    readings += [_near_chance(row, th) for row in rows[1:]]
    readings += [_llm_above(row, th) for row in paired]
    return _decided(
        2,
        ev,
        tests,
        readings,
        supports={"above 0.5", "near 0.5", "LLM above"},
        contradicts={"at 0.5", "not near 0.5", "LLM below"},
        missing=[],
    )


def _common_cold(served: pd.DataFrame, run_ids: list[int]) -> pd.DataFrame:
    """The served scores of these runs on the test samples (per cell) that every one of them
    scored and none had seen as a training target; `cell` names the (train, eval) period."""
    chosen = served[served["run_id"].isin(run_ids)].assign(
        cell=lambda f: f["train_period"].astype(str) + "-" + f["eval_period"].astype(str)
    )
    per_sample = chosen.groupby(["cell", "sample_id"]).agg(
        runs=("run_id", "nunique"), warm=("warm", "any")
    )
    keep = per_sample[(per_sample["runs"] == len(run_ids)) & ~per_sample["warm"]].index
    index = pd.MultiIndex.from_frame(chosen[["cell", "sample_id"]])
    return chosen[index.isin(keep)]


def _auc_row(name: str, frame: pd.DataFrame) -> dict[str, Any]:
    """The cold-item AUC, and beside it the uAUC: a model that cannot tell unseen items apart
    still ranks the samples of users who like more above the others' (docs/method.md section 9,
    finding 2), which the global AUC counts and the uAUC does not."""
    auc = None if frame.empty else auc_with_ci(frame["label"], frame["score"])
    row = result_row(
        f"{name} on cold items",
        name,
        None,
        len(frame),
        auc.auc if auc else None,
        auc.ci_low if auc else None,
        auc.ci_high if auc else None,
    )
    per_user = user_auc(frame["user"], frame["label"], frame["score"])
    if per_user.uauc is not None:
        row |= {"uauc": per_user.uauc, "uauc_users": float(per_user.users)}
    return row


def _cold_paired_row(
    llm: str, other: str, labels: np.ndarray, scores: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    test_name = f"{llm} - {other} on cold items"
    if len(labels) == 0 or labels.min() == labels.max():
        return result_row(test_name, llm, other, len(labels))
    test = pooled_paired_delong(
        [(labels, scores[llm]["score"].to_numpy(), scores[other]["score"].to_numpy())]
    )
    return result_row(
        test_name, llm, other, len(labels), test.difference, test.ci_low, test.ci_high, test.p_value
    )


def _cold_reading(row: dict[str, Any], th: Thresholds) -> str:
    """The LLM's cold AUC: certainly above 0.5, or inside the chance band."""
    if _in_band(row, th):
        return "at 0.5"
    return "above 0.5" if row["ci_low"] > 0.5 else "undecided"


def _near_chance(row: dict[str, Any], th: Thresholds) -> str:
    if _in_band(row, th):
        return "near 0.5"
    outside = row["ci_low"] > 0.5 + th.near_chance or row["ci_high"] < 0.5 - th.near_chance
    return "not near 0.5" if outside else "undecided"


def _llm_above(row: dict[str, Any], th: Thresholds) -> str:
    if not _enough(row, th) or not row["p_holm"] < th.alpha:
        return "undecided"
    return "LLM above" if row["estimate"] > 0 else "LLM below"


def _in_band(row: dict[str, Any], th: Thresholds) -> bool:
    return 0.5 - th.near_chance < row["ci_low"] and row["ci_high"] < 0.5 + th.near_chance


# Finding 3 -----------------------------------------------------------------------------------


def _finding_3(evidence: Sequence[Evidence], th: Thresholds) -> Finding:
    ev = _first(evidence, (NEXT_PERIOD, FIXED_TARGET), lambda names: bool(names & _F3_NAMES))
    if ev is None:
        return _no_evidence(
            3, "no next-period or fixed-target experiment ran lsat_en or short_term"
        )
    names = strategies_run(ev)
    pairs = [("lsat_en", "full_retrain"), ("lsat_en", "fine_tune"), ("short_term", "fine_tune")]
    missing = sorted({s for pair in pairs for s in pair} - names)
    present = [pair for pair in pairs if set(pair) <= names]
    tests = paired_tests(ev, present)
    return _decided(
        3,
        ev,
        tests,
        [_beats(row, th) for row in tests],
        supports={"beats"},
        contradicts={"worse"},
        missing=missing,
    )


_F3_NAMES = {"lsat_en", "short_term"}


def _beats(row: dict[str, Any], th: Thresholds) -> str:
    if not _enough(row, th):
        return "too few samples"
    if not row["p_holm"] < th.alpha:
        return "undecided"
    return "beats" if row["estimate"] > 0 else "worse"


# Shared pieces ---------------------------------------------------------------------------------


def _classic_models(names: set[str]) -> list[str]:
    """Classic models run with both updates ("mf:full_retrain" and "mf:fine_tune")."""
    models = {n.split(":")[0] for n in names if ":" in n}
    return sorted(m for m in models if {f"{m}:full_retrain", f"{m}:fine_tune"} <= names)


def _llm_of(names: set[str]) -> str | None:
    return next((n for n in LLM_STRATEGIES if n in names), None)


def _collaborative(names: set[str]) -> list[str]:
    """One strategy per collaborative model: its full retraining, else its fine-tuning."""
    found = []
    for model in COLLABORATIVE:
        for update in ("full_retrain", "fine_tune"):
            if f"{model}:{update}" in names:
                found.append(f"{model}:{update}")
                break
    return found


def _first(evidence: Sequence[Evidence], protocols: tuple[str, ...], usable) -> Evidence | None:
    """The first experiments, in the order of `protocols`, whose strategies are usable."""
    for protocol in protocols:
        for ev in evidence:
            if ev.protocol == protocol and usable(strategies_run(ev)):
                return ev
    return None


def _enough(row: dict[str, Any], th: Thresholds) -> bool:
    return row["samples"] >= th.min_paired_samples and not math.isnan(row["estimate"])


def _decided(
    number: int,
    ev: Evidence,
    rows: list[dict[str, Any]],
    readings: list[str],
    supports: set[str],
    contradicts: set[str],
    missing: list[str],
    reason: str | None = None,
) -> Finding:
    """The verdict from the tests' readings: contradicted by any reading in `contradicts`,
    supported when every test was run and reads as in `supports`, else not enough evidence."""
    tests = pd.DataFrame(rows, columns=list(TEST_COLUMNS)).assign(reading=readings)
    if reason is not None:
        verdict = NOT_ENOUGH
    elif any(r in contradicts for r in readings):
        verdict = CONTRADICTED
        reason = "; ".join(
            f"{t} reads {r!r}"
            for t, r in zip(tests["test"], readings, strict=True)
            if r in contradicts
        )
    elif missing:
        verdict, reason = NOT_ENOUGH, f"not run: {', '.join(missing)}"
    elif readings and all(r in supports for r in readings):
        verdict, reason = SUPPORTED, None
    else:
        verdict = NOT_ENOUGH
        reason = "; ".join(
            f"{t}: {r}" for t, r in zip(tests["test"], readings, strict=True) if r not in supports
        )
    return Finding(
        number,
        CLAIMS[number],
        verdict,
        _sentence(number, tests, verdict, reason),
        ev.protocol,
        tests,
    )


def _no_evidence(number: int, reason: str) -> Finding:
    tests = pd.DataFrame(columns=[*TEST_COLUMNS, "reading"])
    return Finding(
        number,
        CLAIMS[number],
        NOT_ENOUGH,
        _sentence(number, tests, NOT_ENOUGH, reason),
        None,
        tests,
    )


def _sentence(number: int, tests: pd.DataFrame, verdict: str, reason: str | None) -> str:
    numbers = "; ".join(_describe(row) for _, row in tests.iterrows())
    text = f"Finding {number}, {CLAIMS[number]}: " + (numbers or "no test could be run") + "."
    return f"{text} Verdict: {verdict}" + (f" ({reason})." if reason else ".")


def _describe(row: pd.Series) -> str:
    if math.isnan(row["estimate"]):
        return (
            f"{row['test']}: no shared samples" if row["samples"] == 0 else f"{row['test']}: no AUC"
        )
    sign = "+" if isinstance(row["b"], str) and row["estimate"] >= 0 else ""
    interval = f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}]"
    text = f"{row['test']} {sign}{row['estimate']:.4f} {interval}, n {row['samples']:,}"
    if not math.isnan(row["p_holm"]):
        text += f", Holm p {row['p_holm']:.2g}" if row["p_holm"] > 0 else ", Holm p < 1e-300"
    if not math.isnan(row["uauc"]):
        text += f" (uAUC {row['uauc']:.4f} over {row['uauc_users']:,.0f} users)"
    return text
