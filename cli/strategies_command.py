"""`lsat strategies`: every registered update strategy, one line each."""

from __future__ import annotations

import typer

from lsat_core.strategies.registry import STRATEGIES


def strategies() -> None:
    """List the update strategies an experiment may compare, with what each does."""
    width = max(map(len, STRATEGIES))
    for name, strategy in STRATEGIES.items():
        typer.echo(f"{name:<{width}}  {strategy.summary}")
