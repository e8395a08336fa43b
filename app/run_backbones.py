"""The backbone of a run where its strategy uses one.

Every run stores its experiment's backbone (the config always names one), but only the
strategies of the LoRA family load it (TALLRec's adapters and in-context scoring, docs/method.md
section 3): a classic model (`mf:fine_tune`) or a floor never touches the LLM, so the pages show
no backbone for it.
"""

from __future__ import annotations

import pandas as pd

from lsat_core.engine.model_specs import LORA
from lsat_core.strategies.registry import STRATEGIES


def uses_backbone(strategy: str) -> bool:
    """Whether runs of `strategy` score with the LLM backbone (an unregistered name, from an
    older version or a removed toy strategy, keeps what the run stored)."""
    known = STRATEGIES.get(strategy)
    return known is None or known.family == LORA


def run_backbones(runs: pd.DataFrame) -> pd.Series:
    """The `backbone` column of `runs` (with a `strategy` column), empty where the run's
    strategy uses none."""
    return runs["backbone"].where(runs["strategy"].map(uses_backbone))
