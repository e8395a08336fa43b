"""Update strategies by name: the names used in the CLI, the store and the dashboard."""

from __future__ import annotations

from lsat_core.strategies.base import Strategy
from lsat_core.strategies.fine_tune import FineTune
from lsat_core.strategies.full_retrain import FullRetrain
from lsat_core.strategies.long_term import LongTerm
from lsat_core.strategies.lsat_en import LsatEn, LsatEnFull
from lsat_core.strategies.lsat_ta import LsatTa
from lsat_core.strategies.names import LLM_STRATEGIES
from lsat_core.strategies.short_term import ShortTerm

STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (FullRetrain(), FineTune(), ShortTerm(), LongTerm(), LsatEn(), LsatTa(), LsatEnFull())
}
assert tuple(STRATEGIES) == LLM_STRATEGIES, "keep strategies.names in step with the registry"
