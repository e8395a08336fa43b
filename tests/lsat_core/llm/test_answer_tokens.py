from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from lsat_core.data.prompts import build_prompt
from lsat_core.errors import InputError
from lsat_core.llm.answer_tokens import locate_answer_tokens
from lsat_core.llm.backbone import Backbone, BackboneConfig, load_backbone


def test_answer_tokens_are_read_right_after_the_prompt(tiny_backbone: Backbone) -> None:
    answers = tiny_backbone.answers
    tokenizer = tiny_backbone.tokenizer
    assert answers.yes_id != answers.no_id
    # Titles that begin with the answer words must not move the answer position.
    for title, answer, answer_id in [
        ("No Way Out (1987)", "No.", answers.no_id),
        ("Yes Man (2008)", "Yes.", answers.yes_id),
    ]:
        prompt = build_prompt([title], [title], title, "movie")
        prompt_ids = tokenizer(prompt)["input_ids"]
        full_ids = tokenizer(prompt + answer)["input_ids"]
        assert full_ids[len(prompt_ids)] == answer_id
    assert answers.continuation(1) == answers.yes_continuation
    assert answers.continuation(0)[0] == answers.no_id


def _word_tokenizer(vocab: list[str], eos_after: bool = False) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(
        models.WordLevel({w: i for i, w in enumerate(["[UNK]", "</s>", *vocab])}, "[UNK]")
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    if eos_after:
        tokenizer.post_processor = processors.TemplateProcessing(
            single="$A </s>", special_tokens=[("</s>", 1)]
        )
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="</s>", unk_token="[UNK]")


def test_yes_and_no_with_the_same_first_token_is_an_input_error() -> None:
    # Neither word is in the vocabulary: both answers start with [UNK].
    with pytest.raises(InputError, match="start with the same token"):
        locate_answer_tokens(_word_tokenizer(["."]))


def test_prompt_tokens_not_a_prefix_is_an_input_error() -> None:
    # An EOS appended to every text ends the prompt's tokens with a token that
    # prompt + answer does not have there.
    with pytest.raises(InputError, match="not a prefix"):
        locate_answer_tokens(_word_tokenizer(["Yes", "No", "."], eos_after=True))


def test_loading_a_backbone_with_such_a_tokenizer_fails_before_training(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        (folder / name).write_bytes((tiny_model_dir / name).read_bytes())
    _word_tokenizer(["."]).save_pretrained(folder)
    with pytest.raises(InputError, match=f"{folder}: .*same token"):
        load_backbone(BackboneConfig(name_or_path=str(folder), device="cpu"), tmp_path)
