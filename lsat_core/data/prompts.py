"""TALLRec prompts (docs/method.md section 2): one Alpaca-layout prompt per stream sample.

A prompt ends at ``### Response:\\n``; the model's answer (``Yes.`` or ``No.``) follows it. Liked
history titles (rating > 3) go after ``User Preference:``, disliked ones after
``User Unpreference:``, each quoted, joined by ``", "``, oldest first; a list may be empty.

Departure from the reference code (TianhaoShi2001/LSAT `utils.generate_prompt`): its first line
ends with a space before the blank line ("...the request. \\n\\n"); ours has none
(docs/method.md section 2.1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import chain

import numpy as np
import pandas as pd

from lsat_core.data.schema import POSITIVE_THRESHOLD
from lsat_core.errors import InputError

NOUNS = ("movie", "book")
"""The nouns of the paper's datasets; a user's own data may name its items with any word."""
_NOUN_PATTERN = re.compile(r"[a-z][a-z -]{0,30}")
YES_ANSWER = "Yes."
NO_ANSWER = "No."
RESPONSE_MARKER = "### Response:\n"
"""Every prompt ends with this; the answer is the text right after it."""

_PREAMBLE = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
)


def _check_noun(noun: str) -> str:
    if not _NOUN_PATTERN.fullmatch(noun):
        raise InputError(
            f"{noun!r} is not a lowercase noun such as {' or '.join(NOUNS)}", where="noun"
        )
    return noun


def instruction_header(noun: str) -> str:
    """The part shared by every prompt of a dataset: preamble, instruction, ``### Input:\\n``."""
    _check_noun(noun)
    return (
        f"{_PREAMBLE}### Instruction:\n"
        "Given the user's preference and unpreference, identify whether the user will like the "
        f'target {noun} by answering "Yes." or "No.".\n\n### Input:\n'
    )


PROMPT_HEADERS: Mapping[str, str] = {noun: instruction_header(noun) for noun in NOUNS}
"""The identical prefix of every prompt for a noun: about a third of it (for prefix caching,
docs/method.md section 8)."""


def answer_text(label: int) -> str:
    """The response the model is trained to give for a binary label."""
    return YES_ANSWER if int(label) == 1 else NO_ANSWER


def build_prompt(liked: Sequence[str], disliked: Sequence[str], target: str, noun: str) -> str:
    """One prompt from titles already split into liked and disliked (oldest first)."""
    return _assemble(
        PROMPT_HEADERS.get(noun) or instruction_header(noun),
        _quoted_list(liked),
        _quoted_list(disliked),
        f'"{target}"',
        noun,
    )


def build_prompts(
    samples: pd.DataFrame, titles: Mapping[str, str] | pd.Series, noun: str
) -> list[str]:
    """Prompts for every row of a samples table (columns of `lsat_core.data.schema`), in row order.

    `titles` maps item id to title. The histories are flattened into one array, each title is
    quoted once, and within each row the liked titles are moved (stably) before the disliked
    ones, so each list is one contiguous slice to join: 200k samples take about 2 s on 2 cores.
    """
    header = PROMPT_HEADERS.get(noun) or instruction_header(noun)
    missing_columns = [c for c in ("hist_items", "hist_ratings", "item") if c not in samples]
    if missing_columns:
        raise InputError(f"samples lack column(s) {', '.join(missing_columns)}", where="samples")
    lengths = samples["hist_items"].map(len).to_numpy(dtype=np.int64)
    if not np.array_equal(lengths, samples["hist_ratings"].map(len).to_numpy(dtype=np.int64)):
        raise InputError("hist_items and hist_ratings differ in length", where="samples")
    flat_items = list(chain.from_iterable(samples["hist_items"]))
    ratings = np.fromiter(
        chain.from_iterable(samples["hist_ratings"]), dtype=np.float64, count=len(flat_items)
    )
    quoted = _quoted(flat_items + list(samples["item"]), titles)
    row = np.repeat(np.arange(len(samples)), lengths)
    liked = ratings > POSITIVE_THRESHOLD
    # lexsort is stable: rows stay in order, liked first, time order kept within each list.
    ordered = quoted[: len(flat_items)][np.lexsort((~liked, row))].tolist()
    starts = np.concatenate([[0], np.cumsum(lengths)])
    splits = starts[:-1] + np.bincount(row, weights=liked, minlength=len(samples)).astype(np.int64)
    return [
        _assemble(header, ", ".join(ordered[a:b]), ", ".join(ordered[b:c]), target, noun)
        for a, b, c, target in zip(
            starts[:-1].tolist(),
            splits.tolist(),
            starts[1:].tolist(),
            quoted[len(flat_items) :].tolist(),
            strict=True,
        )
    ]


def _assemble(header: str, liked: str, disliked: str, quoted_target: str, noun: str) -> str:
    return (
        f"{header}User Preference: {liked}\nUser Unpreference: {disliked}\n"
        f"Whether the user will like the target {noun} {quoted_target}?\n\n{RESPONSE_MARKER}"
    )


def _quoted_list(titles: Sequence[str]) -> str:
    return ", ".join(f'"{title}"' for title in titles)


def _quoted(items: list, titles: Mapping[str, str] | pd.Series) -> np.ndarray:
    """``'"title"'`` for each item, looked up and quoted once per distinct item."""
    codes, uniques = pd.factorize(pd.Series(items, dtype=object), use_na_sentinel=False)
    lookup = titles if isinstance(titles, Mapping) else titles.to_dict()
    missing = sorted(str(item) for item in uniques if item not in lookup)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(f"{len(missing)} item(s) have no title: {shown}", where="titles")
    return np.array([f'"{lookup[item]}"' for item in uniques], dtype=object)[codes]
