"""A stream whose training parts never show a withheld share of the items as targets.

The held-out-items protocol (docs/method.md section 4) draws a share of the target items once,
seeded, and removes every sample whose target is one of them from the train and val parts of
every period; the test sets (whole periods) keep them. Every model trained on such a stream,
LLM or classic, has then never seen those items as a target, so on ML-1M about a fifth of the
test samples of D_16..D_20 are cold instead of the 156 the cold-warm protocol finds there.

A withheld item can still appear in the history of another sample (the prompt's previously
rated items, a sequential model's input): it is withheld as a target, the same sense in which
"warm" means seen as a target (docs/method.md section 1).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
import pandas as pd

from lsat_core.data.stream import Stream
from lsat_core.errors import ConfigError

_SEED_STREAM = 0x4E1D
"""Mixed into the seed so the draw does not repeat the budget's per-period subset draws."""


def check_held_out_share(share: float, where: str = "held_out_share") -> None:
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise ConfigError(f"must be a share strictly between 0 and 1, got {share!r}", where=where)


def withheld_items(stream: Stream, share: float, seed: int) -> frozenset[str]:
    """round(share * n) of the stream's n target items, drawn with `seed` (sorted first, so the
    draw depends on the item ids, not on their order in the samples)."""
    check_held_out_share(share)
    items = np.sort(stream.samples["item"].unique())
    count = round(share * len(items))
    rng = np.random.default_rng([seed, _SEED_STREAM])
    return frozenset(rng.choice(items, size=count, replace=False).tolist())


@dataclass(frozen=True, eq=False)
class HeldOutStream(Stream):
    """`Stream` whose train and val parts (and so every training range) drop the samples whose
    target is withheld; `period` and `test` are the whole periods, as in the base stream."""

    withheld: frozenset[str] = frozenset()
    share: float = 0.0
    draw_seed: int = 0
    base_key: str = ""

    @cached_property
    def key(self) -> str:
        """Differs from the base stream's, so models trained on it get keys of their own."""
        payload = f"{self.base_key}|held-out-items|{self.share!r}|{self.draw_seed}"
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def _seen(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame["item"].isin(self.withheld)]

    def train(self, t: int) -> pd.DataFrame:
        return self._seen(super().train(t))

    def val(self, t: int) -> pd.DataFrame:
        return self._seen(super().val(t))

    def train_range(self, first: int, last: int) -> pd.DataFrame:
        return self._seen(super().train_range(first, last))

    def warm_items(self, periods) -> frozenset[str]:
        return super().warm_items(periods) - self.withheld


def withhold_items(stream: Stream, share: float, seed: int) -> HeldOutStream:
    """`stream` with round(share * items) target items withheld from its training parts."""
    base = {f.name: getattr(stream, f.name) for f in fields(Stream)}
    return HeldOutStream(
        **base,
        withheld=withheld_items(stream, share, seed),
        share=float(share),
        draw_seed=seed,
        base_key=stream.key,
    )
