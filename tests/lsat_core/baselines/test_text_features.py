"""Title embeddings: lookup by item, a cache keyed by the title list, the real MiniLM (slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lsat_core.baselines import text_features
from lsat_core.baselines.storage import write_safetensors
from lsat_core.baselines.text_features import (
    MINILM_NAME,
    ItemTextFeatures,
    title_embeddings,
    titles_key,
)
from lsat_core.errors import InputError


def test_rows_find_items_and_mark_missing_ones():
    features = ItemTextFeatures(("a", "b"), np.eye(2, dtype=np.float32), key="k")
    assert features.rows(["b", "a", "zzz"]).tolist() == [1, 0, -1]
    assert features.dim == 2


def test_duplicate_items_are_refused():
    with pytest.raises(InputError, match=r"^items: item 'a' repeats"):
        ItemTextFeatures(("a", "a"), np.zeros((2, 3), dtype=np.float32), key="k")


def test_cached_embeddings_are_read_by_title_list_without_encoding(tmp_path, monkeypatch):
    items = pd.DataFrame({"item": ["x", "y"], "title": ["Toy Story (1995)", None]})
    titles = ["Toy Story (1995)", ""]  # a missing title is encoded as the empty string
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = tmp_path / "text_features" / f"{MINILM_NAME}-{titles_key(titles)}.safetensors"
    write_safetensors(path, {"embeddings": torch.from_numpy(vectors)})

    def no_encoding(*args, **kwargs):
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(text_features, "encode_texts", no_encoding)
    features = title_embeddings(items, tmp_path)
    np.testing.assert_array_equal(features.vectors, vectors)
    assert features.item_ids == ("x", "y")
    assert features.key == titles_key(titles)
    assert titles_key(["Toy Story (1995)", "Heat (1995)"]) != features.key


def test_an_items_table_without_titles_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"^items: missing column title"):
        title_embeddings(pd.DataFrame({"item": ["x"]}), tmp_path)


@pytest.mark.slow
def test_real_minilm_puts_similar_titles_closer_and_caches(test_cache_dir):
    titles = [
        "Toy Story (1995)",
        "Toy Story 2 (1999)",
        "Schindler's List (1993)",
        "Star Wars: Episode IV - A New Hope (1977)",
        "Star Wars: Episode V - The Empire Strikes Back (1980)",
        "Sense and Sensibility (1995)",
    ]
    items = pd.DataFrame({"item": [f"m{k}" for k in range(len(titles))], "title": titles})
    features = title_embeddings(items, test_cache_dir)
    vectors = features.vectors
    assert vectors.shape == (6, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = vectors @ vectors.T
    assert cosine[0, 1] > cosine[0, 2] + 0.2
    assert cosine[3, 4] > cosine[3, 5] + 0.2
    cached = test_cache_dir / "text_features" / f"{MINILM_NAME}-{features.key}.safetensors"
    assert cached.is_file()
    np.testing.assert_array_equal(title_embeddings(items, test_cache_dir).vectors, vectors)
