"""Every registered baseline on a planted signal: learning, cold ids, persistence, fine-tuning."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.registry import BASELINES, build_baseline, load_baseline
from lsat_core.baselines.training import decay_touched_rows
from lsat_core.baselines.vocab import UNKNOWN_INDEX
from lsat_core.errors import ConfigError
from lsat_core.evaluation.metrics import auc_with_ci

NAMES = sorted(BASELINES)


def auc(df: pd.DataFrame, scores: np.ndarray) -> float:
    return auc_with_ci(df["label"].to_numpy(), scores).auc


@pytest.mark.parametrize("name", NAMES)
def test_learns_the_planted_signal(name, fitted, planted_splits):
    model, result = fitted(name)
    _, _, test = planted_splits
    assert result.best_val_auc > 0.9
    assert auc(test, model.score(test)) > 0.9
    assert result.history[result.best].val_auc == result.best_val_auc
    # The kept weights are those of the lowest validation loss, not of the highest AUC.
    assert result.best == int(np.argmin([record.val_loss for record in result.history]))
    assert result.initial_val_auc is None
    assert result.cost.samples_trained == result.history[-1].samples_trained > 0
    assert result.cost.device == "cpu"


@pytest.mark.parametrize("name", NAMES)
def test_unknown_ids_take_the_unknown_slot_and_score_finitely(name, fitted, planted_splits):
    model, _ = fitted(name)
    _, _, test = planted_splits
    cold = test.head(50).copy()
    cold["item"] = [f"cold-{k}" for k in range(len(cold))]
    cold["user"] = "never-seen-user"
    cold["hist_items"] = [["never-seen-item"] * 10] * len(cold)
    assert (model.items.lookup(cold["item"]) == UNKNOWN_INDEX).all()
    assert (model.users.lookup(cold["user"]) == UNKNOWN_INDEX).all()
    scores = model.score(cold)
    assert scores.shape == (len(cold),)
    assert np.isfinite(scores).all()
    assert ((scores > 0) & (scores < 1)).all()


@pytest.mark.parametrize("name", NAMES)
def test_save_then_load_scores_identically(name, fitted, planted, planted_splits, tmp_path):
    model, _ = fitted(name)
    _, _, test = planted_splits
    path = model.save(tmp_path / f"{name}.safetensors")
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.safetensors"]  # no temp file left
    with safe_open(str(path), framework="pt") as handle:
        assert "lsat_classic_baseline" in handle.metadata()
    loaded = load_baseline(path, text_features=planted.features)
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    assert loaded.users == model.users and loaded.items == model.items
    np.testing.assert_array_equal(loaded.score(test), model.score(test))


def renamed_ids(df: pd.DataFrame, items: set[str], prefix: str) -> pd.DataFrame:
    """`df` with the target ids in `items` and every user renamed: new ids for a model."""
    out = df.copy()
    out["item"] = [f"{prefix}{item}" if item in items else item for item in out["item"]]
    out["user"] = prefix + out["user"]
    return out


@pytest.mark.parametrize("name", NAMES)
def test_fine_tuning_a_saved_model_keeps_known_rows_and_grows(
    name, fitted, planted, planted_splits, tmp_path
):
    old, _ = fitted(name)
    old = load_baseline(old.save(tmp_path / "old.safetensors"), text_features=planted.features)
    _, val, test = planted_splits
    renamed_items = {f"i{k}" for k in range(10)}
    new_train = pd.concat([val, renamed_ids(test.head(500), renamed_items, "new-")])
    # A vanishing step isolates what fine-tuning starts from: the previous weights, grown.
    config = dataclasses.replace(old.config, learning_rate=1e-12, max_epochs=1)
    model = build_baseline(name, text_features=planted.features)
    result = model.fit(new_train, val, config, init_state=old, device="cpu")

    assert model.items.ids[: len(old.items.ids)] == old.items.ids
    assert model.users.ids[: len(old.users.ids)] == old.users.ids
    new_items = {f"new-{item}" for item in renamed_items}
    assert new_items <= set(model.items.ids[len(old.items.ids) :])
    assert len(model.users.ids) > len(old.users.ids)
    old_state, new_state = old.network.state_dict(), model.network.state_dict()
    assert model.network.row_tables
    for key, old_tensor in old_state.items():
        new_tensor = new_state[key]
        if key in model.network.row_tables:
            assert new_tensor.shape[0] > old_tensor.shape[0]
            new_tensor = new_tensor[: old_tensor.shape[0]]
        np.testing.assert_allclose(new_tensor, old_tensor, atol=1e-6, err_msg=key)
    assert result.initial_val_auc == pytest.approx(auc(val, old.score(val)))
    assert (model.items.lookup(sorted(new_items)) > len(old.items.ids)).all()


@pytest.mark.parametrize("name", NAMES)
def test_fine_tuning_leaves_the_rows_of_absent_users_and_items_as_they_were(
    name, fitted, planted, planted_splits
):
    """Weight decay reaches only the rows a batch touches. Adam's own decay moved every
    untouched row about a learning rate toward zero each step, so fine-tuning on one period
    wiped what the model knew of the users and items absent from it."""
    old, _ = fitted(name)
    train, val, _ = planted_splits
    part = train[train["user"].isin(sorted(set(train["user"]))[:5])]
    seen_items = set(part["item"]) | {item for history in part["hist_items"] for item in history}
    absent = {
        "user": [u for u in old.users.ids if u not in set(part["user"])],
        "item": [i for i in old.items.ids if i not in seen_items],
    }
    assert absent["user"] and absent["item"]
    for row_decay in ("touched", "every_step"):
        config = dataclasses.replace(
            old.config, max_epochs=3, patience_epochs=3, row_decay=row_decay
        )
        model = build_baseline(name, text_features=planted.features)
        model.fit(part, val, config, init_state=old, device="cpu")

        rows = {
            "user": model.users.lookup(absent["user"]),
            "item": model.items.lookup(absent["item"]),
        }
        old_state, new_state = old.network.state_dict(), model.network.state_dict()
        dense = [key for key in new_state if key not in model.network.row_tables]
        assert any(not torch.equal(new_state[key], old_state[key]) for key in dense)  # it trained
        kept = {
            key: torch.equal(
                new_state[key][rows[key_kind(key)]], old_state[key][rows[key_kind(key)]]
            )
            for key in model.network.row_tables
        }
        # Adam's own decay (the reference's) moves every absent row; ours leaves them all.
        assert all(kept.values()) if row_decay == "touched" else not any(kept.values()), kept


def key_kind(key: str) -> str:
    return "user" if "user" in key else "item"


def test_weight_decay_is_added_to_the_gradient_of_touched_rows_only() -> None:
    table = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    table.grad = torch.tensor([[0.5, 0.0], [0.0, 0.0], [0.0, -1.0]])
    decay_touched_rows([table], weight_decay=0.1)
    expected = torch.tensor([[0.6, 0.2], [0.0, 0.0], [0.5, -0.4]])
    torch.testing.assert_close(table.grad, expected)


def test_fine_tuning_refuses_another_architecture_or_model(fitted, planted_splits):
    old, _ = fitted("mf")
    train, val, _ = planted_splits
    wider = dataclasses.replace(old.config, embedding_size=old.config.embedding_size * 2)
    with pytest.raises(ConfigError, match="embedding_size"):
        build_baseline("mf").fit(train, val, wider, init_state=old)
    with pytest.raises(ConfigError, match="init_state"):
        build_baseline("sasrec").fit(train, val, old.config, init_state=old)


def test_early_stopping_keeps_the_lowest_validation_loss(planted_splits):
    train, val, _ = planted_splits
    flipped = val.assign(label=1 - val["label"])  # validation loss rises as the signal is learned
    config = ClassicTrainConfig(max_epochs=20, patience_epochs=2, embedding_size=16)
    records = []
    model = build_baseline("mf")
    result = model.fit(train, flipped, config, progress=records.append, device="cpu")

    losses = [record.val_loss for record in result.history]
    assert list(result.history) == records
    assert result.stopped_early
    assert result.best == int(np.argmin(losses))
    assert len(losses) - 1 - result.best == config.patience_epochs * config.evals_per_epoch
    assert losses[-1] > losses[result.best]
    assert auc(flipped, model.score(flipped)) == pytest.approx(result.best_val_auc, abs=1e-12)


@pytest.mark.parametrize("train_size", [900, 3600])
def test_validations_follow_the_epoch_whatever_the_training_size(planted_splits, train_size):
    train, val, _ = planted_splits
    config = ClassicTrainConfig(max_epochs=2, evals_per_epoch=4, embedding_size=16)
    result = build_baseline("mf").fit(train.head(train_size), val, config, device="cpu")
    epochs = [record.epochs for record in result.history]
    # Four validations a pass, the last at its end: about a quarter epoch apart (a partial
    # last batch makes the spacing uneven by at most one batch).
    assert len(epochs) == 8 and epochs[3] == 1.0 and epochs[-1] == 2.0
    batch = config.batch_size / train_size
    np.testing.assert_allclose(np.diff([0.0, *epochs]), 0.25, atol=batch)


@pytest.mark.parametrize("name", ["mf", "sasrec"])
def test_same_seed_same_scores(name, planted, planted_splits):
    train, val, test = planted_splits
    config = ClassicTrainConfig(max_epochs=2, embedding_size=16)
    scores = []
    for _ in range(2):
        model = build_baseline(name, text_features=planted.features)
        model.fit(train, val, config, device="cpu")
        scores.append(model.score(test))
    np.testing.assert_array_equal(scores[0], scores[1])


def test_deepmusic_scores_cold_items_from_their_text_and_mf_cannot(
    planted, planted_config, planted_splits
):
    train, val, test = planted_splits
    held_out = {f"i{k}" for k in range(0, 100, 5)}  # a fifth of the items never trained on
    train, val = train[~train["item"].isin(held_out)], val[~val["item"].isin(held_out)]
    cold = test[test["item"].isin(held_out)]
    aucs = {}
    for name in ("deepmusic", "mf"):
        model = build_baseline(name, text_features=planted.features)
        model.fit(train, val, planted_config, device="cpu")
        assert (model.items.lookup(cold["item"]) == UNKNOWN_INDEX).all()
        aucs[name] = auc(cold, model.score(cold))
        if name == "deepmusic":
            # The same user and history with two cold targets of different text.
            pair = pd.concat([cold.head(1)] * 2).assign(item=["i0", "i5"])
            first, second = model.score(pair)
            assert first != pytest.approx(second, abs=1e-6)
    assert aucs["deepmusic"] > 0.9
    assert abs(aucs["mf"] - 0.5) < 0.15


def test_deepmusic_scores_a_warm_item_with_its_learned_bias(fitted, planted_splits):
    model, _ = fitted("deepmusic")
    _, _, test = planted_splits
    warm = test[test["item"] == model.items.ids[0]].head(5)
    cold = warm.assign(item="never-seen-item")  # no row of its own: scored from its text only
    with torch.no_grad():
        bias = model.network.item_bias.weight
        saved = bias.clone()
        try:
            before_warm, before_cold = model.score(warm), model.score(cold)
            bias += 3.0
            after_warm, after_cold = model.score(warm), model.score(cold)
        finally:
            bias.copy_(saved)
    assert (after_warm > before_warm).all()
    np.testing.assert_array_equal(after_cold, before_cold)
