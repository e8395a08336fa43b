"""Where the answer starts: the first token of "Yes." and of "No." as they follow a prompt.

docs/method.md section 2: ids differ per tokenizer, so we find them by tokenizing prompt + answer
and reading the token at the position right after the tokenized prompt. The reference code instead
counts occurrences of the LLaMA ids of "Yes"/"No" in the whole text and keeps only sequences with
exactly three (TianhaoShi2001/LSAT `utils.preprocess_logits_for_metrics` and `select_data`), which
silently drops every sample whose titles contain such a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

from lsat_core.data.prompts import NO_ANSWER, NOUNS, YES_ANSWER, build_prompt
from lsat_core.errors import InputError


@dataclass(frozen=True)
class AnswerTokens:
    yes_id: int
    """First token of "Yes." right after a prompt: its logit is the score's numerator."""
    no_id: int
    """First token of "No." right after a prompt."""
    yes_continuation: tuple[int, ...]
    """All tokens of "Yes." after a prompt (the training target for positive samples)."""
    no_continuation: tuple[int, ...]
    """All tokens of "No." after a prompt."""

    def continuation(self, label: int) -> tuple[int, ...]:
        return self.yes_continuation if int(label) == 1 else self.no_continuation


def probe_prompts() -> list[str]:
    """Prompts to locate the answer with; titles that begin with the answer words on purpose."""
    return [
        build_prompt(["Yes Man (2008)"], ["No Way Out (1987)"], "No Country for Old Men", noun)
        for noun in NOUNS
    ] + [build_prompt([], [], "Yes", "movie"), build_prompt(["A"], [], "No", "book")]


def locate_answer_tokens(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str] | None = None, *, where: str = ""
) -> AnswerTokens:
    """The answer tokens of `tokenizer`, checked to be the same after every probe prompt.

    Raises InputError when the prompt's tokens are not a prefix of prompt + answer (the answer
    position is then undefined), when the two answers start with the same token, or when the
    answer tokens change with the prompt.
    """
    found: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for prompt in prompts if prompts is not None else probe_prompts():
        found.add(
            (
                _continuation(tokenizer, prompt, YES_ANSWER, where),
                _continuation(tokenizer, prompt, NO_ANSWER, where),
            )
        )
    if len(found) != 1:
        raise InputError(
            "the tokens of the answers change with the prompt; the answer position "
            "cannot be located",
            where=where or "tokenizer",
        )
    yes, no = found.pop()
    if yes[0] == no[0]:
        raise InputError(
            f'"{YES_ANSWER}" and "{NO_ANSWER}" start with the same token {yes[0]}; '
            "this tokenizer cannot score Yes against No",
            where=where or "tokenizer",
        )
    return AnswerTokens(yes_id=yes[0], no_id=no[0], yes_continuation=yes, no_continuation=no)


def _continuation(
    tokenizer: PreTrainedTokenizerBase, prompt: str, answer: str, where: str
) -> tuple[int, ...]:
    prompt_ids = tokenizer(prompt)["input_ids"]
    full_ids = tokenizer(prompt + answer)["input_ids"]
    if full_ids[: len(prompt_ids)] != prompt_ids or len(full_ids) == len(prompt_ids):
        raise InputError(
            f"the tokens of a prompt are not a prefix of the tokens of prompt + {answer!r}; "
            "the answer position cannot be located",
            where=where or "tokenizer",
        )
    return tuple(full_ids[len(prompt_ids) :])
