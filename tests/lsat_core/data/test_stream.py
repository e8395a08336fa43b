from __future__ import annotations

import pandas as pd
import pytest

from lsat_core.data.build import build_stream
from lsat_core.data.stats import period_stats
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import InputError


@pytest.fixture
def stream(tiny):
    # One user, 10 history ratings then 30 targets: t{k} at time 10 + k, k = 0..29.
    # Periods of 10: D_1 = t0..t9, D_2 = t10..t19, D_3 = t20..t29; item "again" repeats.
    rows = [("u", f"h{k}", 4.0, k) for k in range(10)]
    rows += [
        ("u", "again" if k in (3, 15) else f"t{k}", 4.0 if k % 2 else 2.0, 10 + k)
        for k in range(30)
    ]
    rows += [("v", f"h{k}", 4.0, k) for k in range(10)]
    return build_stream(tiny.data(rows), StreamConfig(num_periods=3, period_size=10))


def targets(frame: pd.DataFrame) -> list[str]:
    return frame["item"].tolist()


def test_periods_splits_and_test_sets(stream):
    assert stream.num_periods == 3
    assert targets(stream.period(2)) == [f"t{k}" if k != 15 else "again" for k in range(10, 20)]
    assert targets(stream.train(2)) == targets(stream.period(2))[:9]
    assert targets(stream.val(2)) == targets(stream.period(2))[9:]
    assert targets(stream.test(2)) == targets(stream.period(2))
    with pytest.raises(InputError, match=r"period 4 is out of range 1..3"):
        stream.period(4)
    with pytest.raises(InputError, match="out of range"):
        stream.train(0)


def test_train_range_folds_earlier_validation_sets_in(stream):
    full = stream.train_range(1, 3)
    expected = targets(stream.period(1)) + targets(stream.period(2)) + targets(stream.train(3))
    assert targets(full) == expected
    assert targets(stream.train_range(2, 2)) == targets(stream.train(2))
    with pytest.raises(InputError):
        stream.train_range(3, 2)


def test_warm_items_count_targets_only(stream):
    warm = stream.warm_items([1])
    assert warm == frozenset({"again", *(f"t{k}" for k in range(10) if k != 3)})
    assert "h0" not in stream.warm_items([1, 2, 3])  # history items are never warm
    assert stream.warm_items([]) == frozenset()


def test_titles_cover_targets_and_histories(stream):
    assert stream.title("again") == "Title of again"
    assert stream.titles["h0"] == "Title of h0"
    assert set(stream.items["item"]) == {
        "again",
        *(f"t{k}" for k in range(30) if k not in (3, 15)),
    } | {f"h{k}" for k in range(10)}
    with pytest.raises(InputError, match="no item 'nope'"):
        stream.title("nope")


def test_period_stats(stream):
    table = period_stats(stream)
    assert table["period"].tolist() == [1, 2, 3]
    assert table["samples"].tolist() == [10, 10, 10]
    assert table[["train", "val"]].values.tolist() == [[9, 1]] * 3
    assert table["users"].tolist() == [1, 1, 1]
    assert table["positive_rate"].tolist() == [0.5, 0.5, 0.5]
    # D_2 has 10 distinct targets, one of which ("again") was a target in D_1.
    assert table["cold_items"].tolist() == [10, 9, 10]
    assert table["cold_item_share"].tolist() == [1.0, 0.9, 1.0]
    assert table["cold_sample_share"].tolist() == [1.0, 0.9, 1.0]
    assert table["first_timestamp"][0] == "1970-01-01T00:00:10+00:00"
    assert table["last_timestamp"][2] == "1970-01-01T00:00:39+00:00"
