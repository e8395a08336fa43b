"""The samples replay and sampled full retraining train on (lsat_core/engine/training_data.py)."""

from __future__ import annotations

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.model_specs import FINE_TUNE, FULL, LORA, REPLAY, SAMPLED, ModelSpec
from lsat_core.engine.sample_sets import period_part
from lsat_core.engine.training_data import training_set, training_size
from lsat_core.engine.update_settings import UpdateSettings

BUDGET = SampleBudget(train_per_period=40, val_per_period=20)


def _sets(planted_case, spec, budget=BUDGET, **settings):
    def part(p):
        return period_part(planted_case.stream, budget, *p)

    return training_set(spec, UpdateSettings(**settings), part, seed=0), part


def test_replay_adds_earlier_samples_in_the_ratio_asked(planted_case):
    replay, part = _sets(planted_case, ModelSpec(LORA, REPLAY, 3), replay_ratio=0.5)
    fine_tune, _ = _sets(planted_case, ModelSpec(LORA, FINE_TUNE, 3))
    own = len(fine_tune)  # train_3 + val_2
    assert own == 60 and len(replay) == own + 30
    assert replay.frame.iloc[:own].equals(fine_tune.frame)
    drawn = replay.frame.iloc[own:]
    earlier = [part(p).frame for p in ((1, "train"), (2, "train"), (1, "val"))]
    assert set(drawn.index) <= set().union(*(set(f.index) for f in earlier))
    assert drawn.index.is_unique and set(drawn["period"]) == {1, 2}
    again, _ = _sets(planted_case, ModelSpec(LORA, REPLAY, 3), replay_ratio=0.5)
    assert again.key == replay.key and again.frame.equals(replay.frame)


def test_replay_with_ratio_0_trains_what_fine_tuning_trains(planted_case):
    replay, _ = _sets(planted_case, ModelSpec(LORA, REPLAY, 3), replay_ratio=0)
    fine_tune, _ = _sets(planted_case, ModelSpec(LORA, FINE_TUNE, 3))
    assert replay.key == fine_tune.key and replay.frame.equals(fine_tune.frame)
    # At t = 1 there is nothing earlier to replay.
    first, _ = _sets(planted_case, ModelSpec(LORA, REPLAY, 1))
    assert first.key == _sets(planted_case, ModelSpec(LORA, FINE_TUNE, 1))[0].key


def test_sampled_retraining_draws_one_periods_worth_of_all_periods(planted_case):
    sampled, part = _sets(planted_case, ModelSpec(LORA, SAMPLED, 3))
    full, _ = _sets(planted_case, ModelSpec(LORA, FULL, 3))
    assert len(sampled) == len(part((3, "train"))) == 40 and len(full) == 160
    assert set(sampled.frame.index) < set(full.frame.index)
    everything, _ = _sets(planted_case, ModelSpec(LORA, SAMPLED, 3), sampled_budget=160)
    assert everything.key == full.key and everything.frame.equals(full.frame)


def test_recency_weighting_draws_more_of_the_recent_periods(planted_case):
    whole = SampleBudget()
    spec = ModelSpec(LORA, SAMPLED, 4)
    uniform, _ = _sets(planted_case, spec, whole)
    recent, _ = _sets(planted_case, spec, whole, sampled_weighting="recency", sampled_half_life=1)
    assert len(uniform) == len(recent) == 1800
    share = {
        name: float((s.frame["period"] == 4).mean()) for name, s in [("u", uniform), ("r", recent)]
    }
    # Uniform: period 4's train part is 1,800 of 7,200 + 3 x 200 samples; with half-life 1 the
    # weights are 1/8, 1/4, 1/2, 1, so it gets about half of the draw.
    assert abs(share["u"] - 1800 / 7800) < 0.05
    assert share["r"] > share["u"] + 0.15
    assert recent.key != uniform.key


def test_the_size_of_a_training_set_is_known_from_the_parts_sizes(planted_case):
    def size(p):
        return len(period_part(planted_case.stream, BUDGET, *p))

    for spec, settings in [
        (ModelSpec(LORA, REPLAY, 3), UpdateSettings(replay_ratio=0.5)),
        (ModelSpec(LORA, REPLAY, 2), UpdateSettings(replay_ratio=5)),
        (ModelSpec(LORA, SAMPLED, 3), UpdateSettings()),
        (ModelSpec(LORA, FULL, 3), UpdateSettings()),
    ]:
        expected = len(_sets(planted_case, spec, **vars(settings))[0])
        assert training_size(spec, settings, size) == expected
