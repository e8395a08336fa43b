"""Vocabularies keep every id's row for good and reserve row 0 for unknown ids."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lsat_core.baselines.vocab import UNKNOWN_INDEX, Vocabulary, carry_over_rows


def test_rows_start_after_the_unknown_slot_and_unknown_ids_map_to_it():
    vocab = Vocabulary().extended(["b", "a", "b", "c"])
    assert vocab.ids == ("b", "a", "c")
    assert vocab.size == 4
    np.testing.assert_array_equal(vocab.lookup(["a", "b", "c", "zzz"]), [2, 1, 3, UNKNOWN_INDEX])
    np.testing.assert_array_equal(
        vocab.lookup(np.array([["c", "x"], ["b", "a"]])), [[3, 0], [1, 2]]
    )
    assert Vocabulary().lookup(["a"]).tolist() == [UNKNOWN_INDEX]


def test_growing_appends_new_ids_and_never_moves_old_ones():
    old = Vocabulary(("u1", "u2", "u3"))
    grown = old.extended(["u9", "u2", "u7", "u9"])
    assert grown.ids == ("u1", "u2", "u3", "u9", "u7")
    np.testing.assert_array_equal(grown.lookup(old.ids), old.lookup(old.ids))
    assert old.extended(["u3", "u1"]) is old


def test_ids_are_compared_as_strings():
    vocab = Vocabulary().extended([1, 2])
    assert vocab.ids == ("1", "2")
    assert vocab.lookup(["2", 1]).tolist() == [2, 1]


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="'a' repeats"):
        Vocabulary(("a", "b", "a"))


def test_carry_over_copies_old_rows_keeps_fresh_new_rows_and_copies_other_weights():
    previous = {"table": torch.arange(6.0).reshape(3, 2), "dense": torch.ones(2, 2)}
    fresh = {"table": torch.full((5, 2), -1.0), "dense": torch.zeros(2, 2)}
    merged = carry_over_rows(previous, fresh, ["table"])
    torch.testing.assert_close(merged["table"][:3], previous["table"])
    torch.testing.assert_close(merged["table"][3:], torch.full((2, 2), -1.0))
    torch.testing.assert_close(merged["dense"], previous["dense"])
    assert fresh["table"][0, 0] == -1.0  # inputs untouched


@pytest.mark.parametrize(
    ("previous", "fresh", "message"),
    [
        ({"table": torch.zeros(4, 2)}, {"table": torch.zeros(3, 2)}, "cannot grow"),
        ({"table": torch.zeros(2, 3)}, {"table": torch.zeros(3, 2)}, "cannot grow"),
    ],
)
def test_carry_over_refuses_tables_that_shrink_or_change_width(previous, fresh, message):
    with pytest.raises(ValueError, match=message):
        carry_over_rows(previous, fresh, ["table"])


def test_carry_over_refuses_other_weights_of_another_shape_or_missing():
    with pytest.raises(ValueError, match="dense"):
        carry_over_rows({"dense": torch.zeros(2)}, {"dense": torch.zeros(3)}, [])
    with pytest.raises(KeyError, match="dense"):
        carry_over_rows({}, {"dense": torch.zeros(3)}, [])
