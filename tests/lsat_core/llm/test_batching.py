"""A training step's samples cut into micro-batches longest first, and the padding that saves."""

from __future__ import annotations

import numpy as np

from lsat_core.llm.batching import PaddingTally, micro_batches, padding_positions


def test_micro_batches_are_cut_longest_first() -> None:
    lengths = [5, 9, 7, 9, 1]
    groups = micro_batches(np.array([4, 0, 1, 2, 3]), lengths, 2)
    assert [g.tolist() for g in groups] == [[1, 3], [2, 0], [4]]
    assert [g.tolist() for g in micro_batches(np.array([4, 0, 1]), None, 2)] == [[4, 0], [1]]


def test_the_tally_counts_padding_fed_and_saved_against_the_order_drawn() -> None:
    lengths = [5, 9, 7, 9, 1]
    tally = PaddingTally()
    groups = tally.micro_batches(np.array([4, 0, 1, 2, 3]), lengths, 2)
    # Sorted: [9, 9], [7, 5], [1] pad 0 + 2 + 0; as drawn: [1, 5], [9, 7], [9] pad 4 + 2 + 0.
    assert padding_positions(groups, lengths) == 2
    assert (tally.fed, tally.saved) == (2, 4)
    tally.micro_batches(np.array([0, 4]), lengths, 2)  # [5, 1]: 4 either way, nothing saved
    assert (tally.fed, tally.saved) == (6, 4)
