"""One frozen, typed configuration per experiment (a comparison launched together).

A run is one strategy of an experiment: its config is the experiment's with `strategies` narrowed
to that one strategy, stored with the run and hashed into its key, so a result can be reproduced
from its stored config and seed. This module imports no torch (the dashboard validates forms).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.configs import config_from_dict, config_hash, config_to_dict
from lsat_core.data.datasets import DATASETS, dataset_spec
from lsat_core.data.held_out_items import check_held_out_share
from lsat_core.data.stream_config import StreamConfig
from lsat_core.engine.merge_refresh_config import MergeRefreshConfig
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import (
    DEFAULT_HELD_OUT_SHARE,
    NEXT_PERIOD,
    PROTOCOLS,
    plan_steps,
)
from lsat_core.llm.configs import BackboneConfig, LoraTrainConfig

TA_READINGS = ("ab", "product")
MAX_SEED = 2**32 - 1
"""numpy's legacy seeding and many samplers take 32-bit seeds; a negative one fails inside them."""


def check_seed(value: int, where: str = "seed") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"must be an integer in 0..{MAX_SEED}, got {value!r}", where=where)


@dataclass(frozen=True)
class SampleBudget:
    """How many samples of each period part are used; None keeps the whole part (the paper).

    Subsets are drawn once per (period, part) with `seed`, so every strategy of an experiment
    trains and is tested on the same samples, and shared models stay shareable.
    """

    train_per_period: int | None = None
    val_per_period: int | None = None
    test_per_period: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("train_per_period", "val_per_period", "test_per_period"):
            value = getattr(self, name)
            if value is not None and value < 8:
                raise ConfigError(
                    f"must be at least 8, or all of the part, got {value}", where=name
                )
        check_seed(self.seed)


@dataclass(frozen=True)
class ExperimentConfig:
    strategies: tuple[str, ...]
    """Strategy names, e.g. ("full_retrain", "lsat_en", "mf:fine_tune", "in_context"). They are
    checked against `lsat_core.strategies.registry` where a config is made from user input
    (`lsat_core.runner.options.build_config`) and where a run looks its strategy up (the runner),
    not here: the engine is the layer strategies build on and does not know them."""
    dataset: str = "ml-1m"
    """A registered dataset (lsat_core.data.datasets.DATASETS)."""
    stream: StreamConfig | None = None
    """How the stream is cut; None: the dataset's reference settings (filled in on construction)."""
    protocol: str = NEXT_PERIOD
    """next-period, fixed-target, cold-warm or held-out-items (docs/method.md section 4)."""
    held_out_share: float = DEFAULT_HELD_OUT_SHARE
    """held-out-items: the share of items withheld as targets from every model's training and
    validation data, drawn with the budget's seed; the other protocols ignore it."""
    update_periods: tuple[int, ...] | None = None
    """Evaluate only the models of these update periods t (None: every t of the protocol)."""
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    lora: LoraTrainConfig = field(default_factory=LoraTrainConfig)
    """LoRA settings of full retraining and short-term LoRAs (reference: patience 10)."""
    fine_tune_patience: int = 5
    """Early-stopping patience of fine-tuning (the reference uses 5, retraining 10)."""
    long_term_period: int = 10
    """m: the period whose full-retraining LoRA becomes the long-term LoRA (default 10)."""
    long_term_refresh: int | None = None
    """k: retrain the long-term LoRA every k periods after m (None: frozen after m)."""
    ta_reading: Literal["ab", "product"] = "ab"
    """LSAT-TA merge: "ab" averages lora_A and lora_B separately (the reference, reported);
    "product" averages the products B*A."""
    merge_refresh: MergeRefreshConfig = field(default_factory=MergeRefreshConfig)
    """PEFT merges of lsat_ta_ties/_dare/_svd and the long-term refreshes of lsat_en_drift and
    lsat_en_every_k (`lsat_core.engine.merge_refresh_config`)."""
    classic: ClassicTrainConfig = field(default_factory=ClassicTrainConfig)
    """Training settings of the classic baselines (docs/method.md section 5)."""
    classic_whole_periods: bool = True
    """Classic baselines train and validate on whole period parts, whatever `budget` says of
    train and validation samples: they are cheap (five models fully retrained over 20 ML-1M
    periods take minutes on a CPU) and learn nothing from the few dozen samples a budget sized
    for an LLM on a CPU leaves. Test sets follow `budget` for every strategy, so all strategies
    of an experiment are tested on the same samples. False: the budget applies to them too."""
    in_context_recent_positives: int = 0
    """In-context baseline: how many of the user's most recent liked items of the period, beyond
    the sample's own history, to add to its prompt (0: the history alone)."""
    budget: SampleBudget = field(default_factory=SampleBudget)
    updates: UpdateSettings = field(default_factory=UpdateSettings)
    """Fine-tuning's validation cadence and the settings of replay, proximal fine-tuning and
    sampled full retraining (`lsat_core.engine.update_settings`)."""
    preset: str = "custom"
    """The preset these values came from (informational; the values themselves are stored)."""
    seed: int = 0
    """The seed of this config's training: a run's seed."""
    seeds: tuple[int, ...] = ()
    """Seeds as an axis (docs/method.md section 9): every strategy runs once per seed, the run of
    seed s with `for_seed(s)`'s config, whose training seeds are s while the sample budget (its
    own seed) is shared by all seeds. The first is `seed`; empty: `seed` alone."""

    def __post_init__(self) -> None:
        check_seed(self.seed)
        self._check_seeds()
        if not self.strategies:
            raise ConfigError("choose at least one strategy", where="strategies")
        if len(set(self.strategies)) != len(self.strategies):
            raise ConfigError("a strategy is listed twice", where="strategies")
        if self.dataset not in DATASETS:
            raise ConfigError(
                f"unknown dataset {self.dataset!r}; choose from {', '.join(DATASETS)}",
                where="dataset",
            )
        if self.stream is None:
            object.__setattr__(self, "stream", dataset_spec(self.dataset).config)
        if self.protocol not in PROTOCOLS:
            raise ConfigError(
                f"unknown protocol {self.protocol!r}; choose from {', '.join(PROTOCOLS)}",
                where="protocol",
            )
        if self.update_periods is not None:
            object.__setattr__(self, "update_periods", tuple(sorted(set(self.update_periods))))
        if not 1 <= self.long_term_period < self.num_periods:
            raise ConfigError(
                f"m = {self.long_term_period} must lie in 1..{self.num_periods - 1} "
                f"(the stream has {self.num_periods} periods)",
                where="long_term_period",
            )
        plan_steps(self.protocol, self.num_periods, self.update_periods)  # validates the periods
        check_held_out_share(self.held_out_share)
        if self.long_term_refresh is not None and self.long_term_refresh < 1:
            raise ConfigError("must be >= 1 or None", where="long_term_refresh")
        if self.in_context_recent_positives < 0:
            raise ConfigError("must be >= 0", where="in_context_recent_positives")
        if self.fine_tune_patience < 1:
            raise ConfigError("must be >= 1", where="fine_tune_patience")
        if self.ta_reading not in TA_READINGS:
            raise ConfigError(
                f"unknown reading {self.ta_reading!r}; choose {' or '.join(TA_READINGS)}",
                where="ta_reading",
            )

    def _check_seeds(self) -> None:
        if not self.seeds:
            object.__setattr__(self, "seeds", (self.seed,))
        object.__setattr__(self, "seeds", tuple(self.seeds))
        for seed in self.seeds:
            check_seed(seed, where="seeds")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"a seed is listed twice in {list(self.seeds)}", where="seeds")
        if self.seeds[0] != self.seed:
            raise ConfigError(
                f"the first seed must be seed = {self.seed}, got {list(self.seeds)}", where="seeds"
            )
        if len(self.seeds) > 1 and not self.lora.seed == self.classic.seed == self.seed:
            raise ConfigError(
                f"with several seeds the LoRA and classic training seeds follow seed = "
                f"{self.seed}, got {self.lora.seed} and {self.classic.seed}",
                where="seeds",
            )

    def for_seed(self, seed: int) -> ExperimentConfig:
        """The config of the runs of `seed`: `seed` and the LoRA and classic training seeds set
        to it (for the first seed, the training seeds as given), the samples unchanged."""
        if seed not in self.seeds:
            raise ConfigError(f"{seed} is not one of {list(self.seeds)}", where="seeds")
        if seed == self.seed:
            return dataclasses.replace(self, seeds=(seed,))
        return dataclasses.replace(
            self,
            seed=seed,
            seeds=(seed,),
            lora=dataclasses.replace(self.lora, seed=seed),
            classic=dataclasses.replace(self.classic, seed=seed),
        )

    @property
    def num_periods(self) -> int:
        assert self.stream is not None
        return self.stream.num_periods

    def for_strategy(self, strategy: str) -> ExperimentConfig:
        """The config of the run of `strategy` within this experiment (of one seed: with several,
        `for_seed(s).for_strategy(strategy)`)."""
        if len(self.seeds) > 1:
            raise ValueError(f"{len(self.seeds)} seeds: choose one with for_seed first")
        return dataclasses.replace(self, strategies=(strategy,))

    def run_key(self, strategy: str) -> str:
        return f"{strategy}-{config_hash(self.for_strategy(strategy))}"

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentConfig:
        """Rebuild a stored config (nested configs included); unknown keys are an error."""
        nested = {
            "stream": StreamConfig,
            "backbone": BackboneConfig,
            "merge_refresh": MergeRefreshConfig,
            "lora": LoraTrainConfig,
            "budget": SampleBudget,
            "classic": ClassicTrainConfig,
            "updates": UpdateSettings,
        }
        values = dict(data)
        for name, kind in nested.items():
            if values.get(name) is not None:
                values[name] = config_from_dict(kind, values[name])
        for name in ("strategies", "update_periods", "seeds"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ConfigError(f"unknown field(s) {', '.join(unknown)}", where="experiment config")
        return cls(**values)
