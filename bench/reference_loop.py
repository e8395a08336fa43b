"""The reference training and scoring loop (docs/method.md section 8), timed against our own path.

What TianhaoShi2001/LSAT `train.py` runs, restated with today's Hugging Face APIs: a PEFT LoRA
(r 8, alpha 16, dropout 0.05 on q_proj/v_proj) trained by `transformers.Trainer` with AdamW
(`adamw_torch`) at 1e-3, micro-batch 32 x 4 accumulation, gradient checkpointing, bf16 on CUDA,
`logging_steps=1`, the language-model loss on the whole sequence (labels = input ids, the answer
and EOS included) and `DataCollatorForSeq2Seq(pad_to_multiple_of=8)` with left padding; evaluation
through `Trainer.predict` with the reference's `preprocess_logits_for_metrics`, which takes a
full-vocabulary softmax at every position of every sequence before reading the answer position.

Departures, none of which changes the work done per sample:
- bf16 (docs/method.md section 8) instead of the reference's int8 weights with fp16 autocast;
- the answer position is the last Yes/No label of each row, not the reference's count of LLaMA
  token ids (which silently drops titles beginning with "Yes"/"No", see `answer_tokens`);
- the score renormalises the two probabilities, p_yes / (p_yes + p_no) = softmax over the two
  logits, where the reference takes a softmax over the two probabilities (`utils.py`); our
  score is the former, and only then can the two scorers be compared number for number;
- no checkpoints are saved and no evaluation runs inside the timed training (`eval_strategy=no`):
  the reference's evaluation cost is what the scoring figure measures.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from peft import PeftModel, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from transformers import (
    DataCollatorForSeq2Seq,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from lsat_core.data.prompts import answer_text
from lsat_core.llm.answer_tokens import AnswerTokens
from lsat_core.llm.configs import LoraShape

REFERENCE_EVAL_BATCH = 8
"""The reference sets no `per_device_eval_batch_size`, so the Trainer's default of 8 applies."""


@dataclass(frozen=True)
class ReferenceSettings:
    micro_batch_size: int = 32
    accumulation_steps: int = 4
    learning_rate: float = 1e-3
    eval_batch_size: int = REFERENCE_EVAL_BATCH
    gradient_checkpointing: bool = True


def reference_rows(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], labels: Sequence[int]
) -> list[dict[str, list[int]]]:
    """The reference's `generate_and_tokenize_prompt`: prompt + answer + EOS, labels = input ids."""
    texts = [prompt + answer_text(label) for prompt, label in zip(prompts, labels, strict=True)]
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    rows = []
    for ids in tokenizer(texts)["input_ids"]:
        full = [*ids, *eos]
        rows.append({"input_ids": full, "attention_mask": [1] * len(full), "labels": list(full)})
    return rows


def add_lora(model: PreTrainedModel, shape: LoraShape) -> PeftModel:
    """The reference's `get_peft_model(model, LoraConfig(...))`; `unload()` undoes it."""
    return get_peft_model(model, shape.lora_config())


def lora_weights(model: PeftModel) -> dict[str, torch.Tensor]:
    """A CPU float32 copy of the LoRA tensors, keyed as our `Adapter.weights`."""
    state = get_peft_model_state_dict(model)
    return {k: v.detach().to("cpu", torch.float32, copy=True) for k, v in state.items()}


def load_lora_weights(model: PeftModel, weights: dict[str, torch.Tensor]) -> None:
    set_peft_model_state_dict(model, weights)


def stamp() -> tuple[float, float]:
    """Wall and process CPU seconds: on a shared machine the second is the steadier measure."""
    return time.perf_counter(), time.process_time()


class _StepClock(TrainerCallback):
    """(wall, process CPU) seconds at the end of every optimizer step, once the device is done."""

    def __init__(self) -> None:
        self.ends: list[tuple[float, float]] = []

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.ends.append(stamp())


def _checkpointing_args(on: bool) -> dict[str, object]:
    """transformers 5.x renamed `gradient_checkpointing` to `activation_checkpointing` (the old
    name warns); older 5.x releases only have the old one. Non-reentrant, so gradients reach the
    LoRA tensors of a frozen base (the reference got there with `enable_input_require_grads`)."""
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    name = (
        "activation_checkpointing"
        if "activation_checkpointing" in fields
        else ("gradient_checkpointing")
    )
    if not on:
        return {name: False}
    return {name: True, f"{name}_kwargs": {"use_reentrant": False}}


def _arguments(
    out_dir: str, settings: ReferenceSettings, device: torch.device, max_steps: int
) -> TrainingArguments:
    return TrainingArguments(
        output_dir=out_dir,
        per_device_train_batch_size=settings.micro_batch_size,
        gradient_accumulation_steps=settings.accumulation_steps,
        per_device_eval_batch_size=settings.eval_batch_size,
        max_steps=max_steps,
        warmup_steps=0,
        learning_rate=settings.learning_rate,
        optim="adamw_torch",
        bf16=device.type == "cuda",
        use_cpu=device.type == "cpu",
        logging_steps=1,
        eval_strategy="no",
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        seed=0,
        **_checkpointing_args(settings.gradient_checkpointing),  # type: ignore[arg-type]
    )


def _trainer(
    model: PeftModel,
    tokenizer: PreTrainedTokenizerBase,
    answers: AnswerTokens,
    settings: ReferenceSettings,
    out_dir: str,
    max_steps: int = 1,
    train_rows: list[dict[str, list[int]]] | None = None,
    callbacks: list[TrainerCallback] | None = None,
) -> Trainer:
    return Trainer(
        model=model,
        args=_arguments(out_dir, settings, model.device, max_steps),
        train_dataset=train_rows,  # type: ignore[arg-type]
        data_collator=DataCollatorForSeq2Seq(
            tokenizer, pad_to_multiple_of=8, return_tensors="pt", padding=True
        ),
        preprocess_logits_for_metrics=answer_probability(answers),
        callbacks=callbacks,
    )


def train_reference(
    model: PeftModel,
    tokenizer: PreTrainedTokenizerBase,
    answers: AnswerTokens,
    rows: list[dict[str, list[int]]],
    settings: ReferenceSettings,
    max_steps: int,
) -> list[tuple[float, float]]:
    """Train with the reference's Trainer for `max_steps` optimizer steps; returns the
    `stamp()` at the end of each step."""
    clock = _StepClock()
    with tempfile.TemporaryDirectory(prefix="reference-trainer-") as out_dir:
        trainer = _trainer(
            model, tokenizer, answers, settings, out_dir, max_steps, rows, callbacks=[clock]
        )
        trainer.train()
    model.eval()
    return clock.ends


def score_reference(
    model: PeftModel,
    tokenizer: PreTrainedTokenizerBase,
    answers: AnswerTokens,
    rows: list[dict[str, list[int]]],
    settings: ReferenceSettings,
) -> np.ndarray:
    """P(Yes) per row, in row order, through `Trainer.predict` (the reference's evaluation)."""
    with tempfile.TemporaryDirectory(prefix="reference-trainer-") as out_dir:
        trainer = _trainer(model, tokenizer, answers, settings, out_dir)
        predictions = trainer.predict(rows).predictions  # type: ignore[arg-type]
    return np.asarray(predictions, dtype=np.float64).reshape(-1)


def answer_probability(
    answers: AnswerTokens,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The reference's `preprocess_logits_for_metrics`: a softmax over the whole vocabulary at
    every position ([B, L, V]), then the Yes/No probabilities before the answer token."""
    yes, no = answers.yes_id, answers.no_id

    def preprocess(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        probs = logits.softmax(dim=-1)  # [B, L, V]
        hit = (labels == yes) | (labels == no)  # [B, L]
        answer_col = labels.shape[1] - 1 - hit.flip(1).int().argmax(dim=1)  # last hit per row
        rows = torch.arange(labels.shape[0], device=labels.device)
        pair = probs[rows, answer_col - 1][:, [yes, no]].float()  # [B, 2]
        return pair[:, 0] / pair.sum(dim=1)

    return preprocess


def remove_lora(model: PeftModel) -> PreTrainedModel:
    """Take the LoRA layers out of the base model again and switch off what the Trainer switched
    on (checkpointing), so the base model can serve our own path unchanged."""
    base = model.unload()
    if hasattr(base, "activation_checkpointing_disable"):
        base.activation_checkpointing_disable()
    else:
        base.gradient_checkpointing_disable()
    if hasattr(base, "_require_grads_hook"):  # the embedding hook checkpointing put there
        base.disable_input_require_grads()
    base.eval()
    base.requires_grad_(False)
    return base
