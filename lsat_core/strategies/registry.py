"""Update strategies by name: the one list of them, read at call time by the CLI, the dashboard,
the work plan and the period loop. Importable without torch (the dashboard reads it).

A new strategy is one module (its declarations and `update`) plus its entry in `STRATEGIES`;
nothing else names strategies (a test registers a toy one with `monkeypatch.setitem`).
"""

from __future__ import annotations

from collections.abc import Iterable

from lsat_core.errors import ConfigError
from lsat_core.strategies.base import Strategy
from lsat_core.strategies.classic import CLASSIC_UPDATE_STRATEGIES
from lsat_core.strategies.fine_tune import FineTune
from lsat_core.strategies.floors import FLOOR_STRATEGIES
from lsat_core.strategies.full_retrain import FullRetrain
from lsat_core.strategies.full_retrain_sampled import CLASSIC_SAMPLED_STRATEGIES, SampledRetrain
from lsat_core.strategies.in_context import InContext
from lsat_core.strategies.long_term import LongTerm
from lsat_core.strategies.lsat_en import LsatEn, LsatEnFull
from lsat_core.strategies.lsat_en_refresh import LsatEnDrift, LsatEnEveryK
from lsat_core.strategies.lsat_ta import LsatTa
from lsat_core.strategies.lsat_ta_merges import PEFT_MERGE_STRATEGIES
from lsat_core.strategies.proximal import Proximal
from lsat_core.strategies.replay import CLASSIC_REPLAY_STRATEGIES, Replay
from lsat_core.strategies.short_term import ShortTerm

_LLM_UPDATES = (
    FullRetrain(),
    FineTune(),
    ShortTerm(),
    LongTerm(),
    LsatEn(),
    LsatTa(),
    LsatEnFull(),
    *PEFT_MERGE_STRATEGIES,
    LsatEnDrift(),
    LsatEnEveryK(),
    Replay(),
    Proximal(),
    SampledRetrain(),
)
LLM_STRATEGIES = tuple(s.name for s in _LLM_UPDATES)
"""Update strategies of the TALLRec LoRA recommender (docs/method.md section 3)."""
STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        *_LLM_UPDATES,
        *CLASSIC_UPDATE_STRATEGIES,
        *CLASSIC_REPLAY_STRATEGIES,
        *CLASSIC_SAMPLED_STRATEGIES,
        InContext(),
        *FLOOR_STRATEGIES,
    )
}


def strategy_names() -> tuple[str, ...]:
    """Every strategy an experiment may compare, in registry order."""
    return tuple(STRATEGIES)


def get_strategy(name: str) -> Strategy:
    """The registered strategy `name`; a ConfigError naming the choices if there is none."""
    if name not in STRATEGIES:
        raise ConfigError(
            f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}", where="strategies"
        )
    return STRATEGIES[name]


def check_strategies(names: Iterable[str]) -> None:
    """ConfigError for the first name that is not registered."""
    for name in names:
        get_strategy(name)
