"""The rule every family's fine-tuning follows (docs/method.md section 3)."""

from __future__ import annotations

from lsat_core.engine.families import keep_if_worse


def test_fine_tuning_keeps_the_model_it_started_from_when_validation_got_worse() -> None:
    assert keep_if_worse("previous", "tuned", 0.6, 0.7) == ("previous", 0.7, True)
    assert keep_if_worse("previous", "tuned", 0.7, 0.7) == ("tuned", 0.7, False)  # a tie: tuned
    assert keep_if_worse(None, "fresh", 0.6, None) == ("fresh", 0.6, False)
