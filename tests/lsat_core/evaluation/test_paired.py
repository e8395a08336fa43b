import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from lsat_core.evaluation.paired import (
    holm,
    paired_bootstrap,
    paired_delong,
    pooled_paired_delong,
)
from lsat_core.evaluation.user_auc import user_auc


def correlated_models(rng, n, gap):
    """Two models sharing most of their noise (as strategies on one period do); b is worse by
    `gap` in signal strength."""
    labels = rng.integers(0, 2, n)
    shared = rng.normal(size=n)
    a = labels * 1.0 + shared + 0.3 * rng.normal(size=n)
    b = labels * (1.0 - gap) + shared + 0.3 * rng.normal(size=n)
    return labels, a, b


def naive_delong_difference_variance(labels, a, b):
    """DeLong 1988 written out: psi over every positive-negative pair, no ranks."""
    components = []
    for scores in (a, b):
        pos, neg = scores[labels == 1], scores[labels == 0]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        components.append((psi.mean(axis=1), psi.mean(axis=0)))
    (v10a, v01a), (v10b, v01b) = components
    m, n = len(v10a), len(v01a)
    s10 = np.cov(np.vstack([v10a, v10b]))
    s01 = np.cov(np.vstack([v01a, v01b]))
    s = s10 / m + s01 / n
    return s[0, 0] + s[1, 1] - 2 * s[0, 1]


def test_paired_delong_matches_the_pairwise_formula_with_ties():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 60)
    a = np.round(labels + rng.normal(size=60), 1)  # rounding makes ties
    b = np.round(0.5 * labels + rng.normal(size=60), 1)
    result = paired_delong(labels, a, b)
    assert result.auc_a == pytest.approx(roc_auc_score(labels, a))
    assert result.auc_b == pytest.approx(roc_auc_score(labels, b))
    assert result.difference == pytest.approx(result.auc_a - result.auc_b)
    assert result.variance == pytest.approx(naive_delong_difference_variance(labels, a, b))


def test_paired_delong_agrees_with_the_paired_bootstrap():
    rng = np.random.default_rng(4)
    labels, a, b = correlated_models(rng, 1500, gap=0.15)
    delong = paired_delong(labels, a, b)
    resamples = 2000
    boot = paired_bootstrap([(labels, a, b)], resamples=resamples, seed=5)
    assert boot.difference == pytest.approx(delong.difference)
    # The bootstrap's variance has relative Monte Carlo error sqrt(2 / (B - 1)), about 3%;
    # four of those is the tolerance.
    assert boot.std_error**2 == pytest.approx(delong.variance, rel=4 * np.sqrt(2 / resamples))
    assert boot.ci_low == pytest.approx(delong.ci_low, abs=0.25 * np.sqrt(delong.variance))
    assert boot.ci_high == pytest.approx(delong.ci_high, abs=0.25 * np.sqrt(delong.variance))


def test_pooled_difference_agrees_with_the_bootstrap_stratified_by_period():
    rng = np.random.default_rng(6)
    periods = [correlated_models(rng, n, gap) for n, gap in ((800, 0.1), (1200, 0.0), (500, 0.3))]
    per_period = [paired_delong(*p) for p in periods]
    pooled = pooled_paired_delong(periods)
    assert pooled.difference == pytest.approx(np.mean([p.difference for p in per_period]))
    assert pooled.variance == pytest.approx(sum(p.variance for p in per_period) / 9)
    boot = paired_bootstrap(periods, resamples=2000, seed=7)
    assert boot.difference == pytest.approx(pooled.difference)
    assert boot.std_error**2 == pytest.approx(pooled.variance, rel=4 * np.sqrt(2 / 2000))


def test_cells_on_one_period_pool_as_a_correlated_contrast():
    # Fixed-target: three updates of each model tested on the same D_T. Their differences are
    # correlated, so the pooled variance exceeds the independent sum(var) / 9.
    rng = np.random.default_rng(12)
    labels = rng.integers(0, 2, 1000)
    shared = rng.normal(size=1000)
    a = np.stack(
        [labels * (1.0 + 0.1 * i) + shared + 0.5 * rng.normal(size=1000) for i in range(3)]
    )
    b = np.stack([labels * 0.8 + shared + 0.5 * rng.normal(size=1000) for _ in range(3)])
    pooled = pooled_paired_delong([(labels, a, b)])
    cells = [paired_delong(labels, a[i], b[i]) for i in range(3)]
    assert pooled.difference == pytest.approx(np.mean([c.difference for c in cells]))
    assert pooled.variance > sum(c.variance for c in cells) / 9
    boot = paired_bootstrap([(labels, a, b)], resamples=2000, seed=13)
    assert boot.std_error**2 == pytest.approx(pooled.variance, rel=4 * np.sqrt(2 / 2000))


def test_identical_models_differ_by_zero_with_p_one():
    rng = np.random.default_rng(8)
    labels, a, _ = correlated_models(rng, 300, gap=0.0)
    result = paired_delong(labels, a, a.copy())
    assert result.difference == 0 and result.variance == 0
    assert result.p_value == 1.0 and result.ci_low == result.ci_high == 0.0


def test_a_clearly_better_model_is_found_with_the_right_sign():
    rng = np.random.default_rng(9)
    labels, a, b = correlated_models(rng, 2000, gap=0.5)
    better_first = paired_delong(labels, a, b)
    assert better_first.difference > 0 and better_first.p_value < 1e-6
    assert better_first.ci_low > 0
    worse_first = paired_delong(labels, b, a)
    assert worse_first.difference == pytest.approx(-better_first.difference)
    assert worse_first.p_value == pytest.approx(better_first.p_value)


def test_a_model_no_better_is_not_rejected_too_often():
    # Under the null (same signal, independent noise) about 5% of tests reject at 0.05.
    rng = np.random.default_rng(10)
    rejections = 0
    for _ in range(200):
        labels = rng.integers(0, 2, 300)
        a = labels + rng.normal(size=300)
        b = labels + rng.normal(size=300)
        rejections += paired_delong(labels, a, b).p_value < 0.05
    assert rejections <= 20  # binomial(200, 0.05): mean 10, P(> 20) < 0.2%


def test_paired_delong_refuses_one_class_and_mismatched_lengths():
    with pytest.raises(ValueError, match="undefined"):
        paired_delong(np.ones(4), np.arange(4.0), np.arange(4.0))
    with pytest.raises(ValueError, match="differ in length"):
        paired_delong(np.array([0, 1, 1]), np.arange(3.0), np.arange(2.0))


def test_holm_on_a_hand_case():
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> kept monotone: 0.06.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1


def test_user_auc_on_a_hand_case():
    users = ["u1", "u1", "u1", "u1", "u2", "u2", "u2", "u3", "u3"]
    labels = [1, 0, 1, 0, 1, 0, 0, 1, 1]
    scores = [0.9, 0.8, 0.3, 0.1, 0.5, 0.5, 0.7, 0.2, 0.4]
    # u1: positives 0.9, 0.3 against negatives 0.8, 0.1 -> 3 of 4 pairs won = 0.75.
    # u2: positive 0.5 ties 0.5 (half) and loses to 0.7 -> 0.25. u3 has no negative: left out.
    result = user_auc(users, labels, scores)
    assert result.users == 2
    assert result.uauc == pytest.approx((0.75 + 0.25) / 2)


def test_user_auc_matches_sklearn_per_user():
    rng = np.random.default_rng(11)
    users = rng.integers(0, 40, 2000)
    labels = rng.integers(0, 2, 2000)
    scores = np.round(labels * 0.4 + rng.normal(size=2000), 1)
    expected = [
        roc_auc_score(labels[users == u], scores[users == u])
        for u in np.unique(users)
        if 0 < labels[users == u].sum() < (users == u).sum()
    ]
    result = user_auc(users, labels, scores)
    assert result.users == len(expected)
    assert result.uauc == pytest.approx(np.mean(expected))


def test_user_auc_without_any_user_having_both_labels():
    assert user_auc(["a", "b"], [1, 0], [0.1, 0.2]).uauc is None
