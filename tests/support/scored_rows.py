"""The results row of a served model's tested cell, computed from its predictions as the period
loop computes it, for tests that build results and predictions frames without a store."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.user_auc import user_auc


def model_result_row(
    predictions: pd.DataFrame, train: int, evaluated: int, **run: Any
) -> dict[str, Any]:
    """`run`'s fields (run_id, run_name, strategy, seed, ...), then the cell (role "model",
    segment "all") with the AUC of `predictions`' scores, its DeLong interval and the uAUC."""
    labels, scores = predictions["label"].to_numpy(), predictions["score"].to_numpy()
    auc = auc_with_ci(labels, scores)
    per_user = user_auc(predictions["user"].tolist(), labels, scores)
    return {
        **run,
        "train_period": train,
        "eval_period": evaluated,
        "role": "model",
        "segment": "all",
        "auc": auc.auc,
        "ci_low": auc.ci_low,
        "ci_high": auc.ci_high,
        "uauc": per_user.uauc,
        "uauc_users": per_user.users,
    }
