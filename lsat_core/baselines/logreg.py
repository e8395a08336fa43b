"""LogReg: L2 logistic regression on one-hot user + one-hot item, the second floor.

docs/method.md section 9: logit = b + w_user + w_item, fitted by scikit-learn's
`LogisticRegression` (lbfgs, L2 penalty, intercept unpenalised) on a sparse one-hot matrix;
C is chosen on the validation samples from `ClassicTrainConfig.logreg_c_grid`. Scores are
computed from the stored weights (the same numbers as `predict_proba`); an unseen user or item
has a zero weight, its L2-shrunk mean. The history is not used.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.floor import FloorRecommender, IdRows, Tables

MAX_ITERATIONS = 1000
"""lbfgs iterations; the smallest C of the grid converges in far fewer on ML-1M."""


def one_hot(rows: IdRows, users: int, items: int) -> sp.csr_matrix:
    """[N, users + items] sparse matrix: a 1 in the user's and in the item's column."""
    n = len(rows.user)
    columns = np.stack([rows.user, users + rows.item], axis=1).ravel()
    indptr = np.arange(0, 2 * n + 1, 2)
    return sp.csr_matrix((np.ones(2 * n), columns, indptr), shape=(n, users + items))


class LogReg(FloorRecommender):
    name = "logreg"
    hyperparameter = "C"

    def grid(self, config: ClassicTrainConfig) -> tuple[float, ...]:
        return config.logreg_c_grid

    def fit_tables(self, train: IdRows, users: int, items: int, value: float) -> Tables:
        model = LogisticRegression(C=value, max_iter=MAX_ITERATIONS)
        model.fit(one_hot(train, users, items), train.label)
        # Row 0 of each table (the unknown id) is a column no training sample has, so the L2
        # penalty holds its weight at 0.
        weights = model.coef_[0].astype(np.float64)
        return {
            "intercept": model.intercept_.astype(np.float64),
            "user_weight": weights[:users],
            "item_weight": weights[users:],
        }

    def predict(self, tables: Tables, rows: IdRows) -> np.ndarray:
        logit = tables["intercept"][0] + tables["user_weight"][rows.user]
        return expit(logit + tables["item_weight"][rows.item])
