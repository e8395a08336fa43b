"""Update strategies by name: the names used in the CLI, the store and the dashboard."""

from __future__ import annotations

from lsat_core.baselines.registry import BASELINES
from lsat_core.strategies.base import Strategy
from lsat_core.strategies.classic import CLASSIC_UPDATE_STRATEGIES
from lsat_core.strategies.fine_tune import FineTune
from lsat_core.strategies.full_retrain import FullRetrain
from lsat_core.strategies.in_context import InContext
from lsat_core.strategies.long_term import LongTerm
from lsat_core.strategies.lsat_en import LsatEn, LsatEnFull
from lsat_core.strategies.lsat_ta import LsatTa
from lsat_core.strategies.names import CLASSIC_BASELINES, STRATEGY_NAMES
from lsat_core.strategies.short_term import ShortTerm

_ALL: tuple[Strategy, ...] = (
    FullRetrain(),
    FineTune(),
    ShortTerm(),
    LongTerm(),
    LsatEn(),
    LsatTa(),
    LsatEnFull(),
    *CLASSIC_UPDATE_STRATEGIES,
    InContext(),
)
STRATEGIES: dict[str, Strategy] = {s.name: s for s in _ALL}
assert tuple(STRATEGIES) == STRATEGY_NAMES, "keep strategies.names in step with the registry"
assert tuple(BASELINES) == CLASSIC_BASELINES, "keep strategies.names in step with the baselines"
