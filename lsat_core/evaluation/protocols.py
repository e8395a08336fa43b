"""Evaluation protocols (docs/method.md section 4): which model is tested on which period.

A protocol turns the number of periods T into a list of `EvalStep`s: the model obtained at the
end of update period t is tested on each of `eval_periods`. Strategies know nothing of
protocols; the period loop asks the strategy for its model at t and scores the eval periods.

- next-period (Table 2, Figure 5): update with D_t, test on D_{t+1}, for every t; the summary is
  the mean AUC over the second half of the stream (D_11..D_20 for T = 20).
- fixed-target (Figures 2, 4): the model of every update period t = 1..T-1 is tested on D_T, on
  all items and on the items already seen as targets in the first half (D_1..D_10 for T = 20).
- cold-warm (Figure 3): one model trained on D_1..D_15 (three quarters of the stream), tested on
  each of D_16..D_20 with AUC split into warm and cold items.
- held-out-items (ours, for Figure 3's claim): the cold-warm steps, with a seeded share of the
  items withheld as targets from every model's training and validation data
  (`lsat_core.data.held_out_items`), so the cold segment is large enough to read.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsat_core.data.held_out_items import withhold_items
from lsat_core.data.stream import Stream
from lsat_core.errors import ConfigError

NEXT_PERIOD = "next-period"
FIXED_TARGET = "fixed-target"
COLD_WARM = "cold-warm"
HELD_OUT_ITEMS = "held-out-items"
PROTOCOLS = (NEXT_PERIOD, FIXED_TARGET, COLD_WARM, HELD_OUT_ITEMS)
SINGLE_STEP_PROTOCOLS = (COLD_WARM, HELD_OUT_ITEMS)
"""One model (trained on the first three quarters) tested on every later period."""
DEFAULT_HELD_OUT_SHARE = 0.2
"""Share of the items the held-out-items protocol withholds (bench/bench_heldout_items.py's)."""


@dataclass(frozen=True)
class EvalStep:
    train_period: int
    """The update period t whose model is evaluated."""
    eval_periods: tuple[int, ...]
    """Periods the model is tested on (the whole period is the test set)."""


def _check(protocol: str, num_periods: int) -> None:
    if protocol not in PROTOCOLS:
        raise ConfigError(
            f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}", where="protocol"
        )
    if num_periods < 2:
        raise ConfigError(
            f"a protocol needs at least 2 periods, got {num_periods}", where="periods"
        )


def cold_warm_split(num_periods: int) -> int:
    """Last training period of the cold-warm protocol: 15 of 20, three quarters in general."""
    return max(1, (3 * num_periods) // 4)


def first_summary_period(num_periods: int) -> int:
    """First tested period averaged in the next-period summary: D_11 of 20, the second half."""
    return num_periods // 2 + 1


def fixed_target_warm_periods(num_periods: int) -> tuple[int, ...]:
    """Periods whose target items count as warm in the fixed-target protocol (D_1..D_10 of 20)."""
    return tuple(range(1, num_periods // 2 + 1))


def plan_steps(
    protocol: str, num_periods: int, update_periods: tuple[int, ...] | None = None
) -> list[EvalStep]:
    """The protocol's steps for a stream of `num_periods`; `update_periods` keeps only those t."""
    _check(protocol, num_periods)
    T = num_periods
    if protocol == NEXT_PERIOD:
        steps = [EvalStep(t, (t + 1,)) for t in range(1, T)]
    elif protocol == FIXED_TARGET:
        steps = [EvalStep(t, (T,)) for t in range(1, T)]
    else:  # cold-warm and held-out-items
        split = cold_warm_split(T)
        steps = [EvalStep(split, tuple(range(split + 1, T + 1)))]
    if update_periods is None:
        return steps
    valid = {s.train_period for s in steps}
    unknown = sorted(set(update_periods) - valid)
    if unknown:
        raise ConfigError(
            f"update periods {unknown} are not part of the {protocol} protocol over {T} periods "
            f"(valid: {min(valid)}..{max(valid)})",
            where="update_periods",
        )
    return [s for s in steps if s.train_period in set(update_periods)]


def summary_eval_periods(protocol: str, num_periods: int) -> tuple[int, ...]:
    """The tested periods whose AUCs are averaged into the protocol's headline number."""
    _check(protocol, num_periods)
    if protocol == NEXT_PERIOD:
        return tuple(range(first_summary_period(num_periods), num_periods + 1))
    if protocol == FIXED_TARGET:
        return (num_periods,)
    return tuple(range(cold_warm_split(num_periods) + 1, num_periods + 1))


def training_stream(protocol: str, stream: Stream, held_out_share: float, seed: int) -> Stream:
    """The stream an experiment's models are trained and tested on: under held-out-items,
    `stream` with `held_out_share` of its target items withheld from every train and val part
    (drawn with `seed`); under the other protocols, `stream` itself."""
    _check(protocol, stream.num_periods)
    if protocol != HELD_OUT_ITEMS:
        return stream
    return withhold_items(stream, held_out_share, seed)
