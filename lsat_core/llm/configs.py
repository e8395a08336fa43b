"""The LLM engine's configurations, importable without torch: the dashboard and the CLI build
and validate them cheaply, and they are stored with every run. Methods that need torch or PEFT
import it when called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lsat_core.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from peft import LoraConfig

DTYPE_NAMES = ("float32", "bfloat16", "float16")
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
LOSSES = ("whole", "answer")
LR_SCHEDULES = ("constant", "linear")


@dataclass(frozen=True)
class BackboneConfig:
    name_or_path: str = "smollm2-135m"
    """A registered GGUF backbone name, a local model folder or a hub id."""
    dtype: str = "auto"
    """auto (bfloat16 on CUDA, float32 elsewhere), float32, bfloat16 or float16."""
    device: str = "auto"
    """auto (CUDA when available, else CPU), cpu, cuda, cuda:N or mps."""

    def __post_init__(self) -> None:
        if not self.name_or_path.strip():
            raise ConfigError("name a backbone or a model folder", where="name_or_path")
        if self.dtype != "auto" and self.dtype not in DTYPE_NAMES:
            raise ConfigError(
                f"unknown dtype {self.dtype!r}; expected auto or {', '.join(DTYPE_NAMES)}",
                where="dtype",
            )
        if not _DEVICE_PATTERN.match(self.device):
            raise ConfigError(
                f"unknown device {self.device!r}; expected auto, cpu, cuda, cuda:N or mps",
                where="device",
            )

    def resolve_device(self) -> torch.device:
        import torch

        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def resolve_dtype(self, device: torch.device) -> torch.dtype:
        import torch

        if self.dtype == "auto":
            return torch.bfloat16 if device.type == "cuda" else torch.float32
        return getattr(torch, self.dtype)


@dataclass(frozen=True)
class LoraShape:
    """A LoRA adapter apart from its weights (defaults as the reference, docs/method.md 2.3)."""

    r: int = 8
    """Rank of lora_A (r x in) and lora_B (out x r)."""
    alpha: float = 16
    """The update is (alpha / r) * B @ A."""
    dropout: float = 0.05
    """Dropout on the LoRA input while training."""
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    """Names of the linear layers that get an adapter."""

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ConfigError(f"must be >= 1, got {self.r}", where="r")
        if self.alpha <= 0:
            raise ConfigError(f"must be > 0, got {self.alpha}", where="alpha")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"must be in [0, 1), got {self.dropout}", where="dropout")
        if not self.target_modules or not all(self.target_modules):
            raise ConfigError("name at least one module", where="target_modules")
        object.__setattr__(self, "target_modules", tuple(self.target_modules))

    @property
    def scaling(self) -> float:
        return self.alpha / self.r

    def lora_config(self) -> LoraConfig:
        from peft import LoraConfig

        # PEFT types lora_alpha as int; a merged adapter's alpha may be fractional (it only
        # enters as alpha / r), so it is passed as a float only then.
        alpha = int(self.alpha) if float(self.alpha).is_integer() else self.alpha
        return LoraConfig(
            r=self.r,
            lora_alpha=alpha,  # type: ignore[arg-type]
            lora_dropout=self.dropout,
            target_modules=list(self.target_modules),
            bias="none",
            task_type="CAUSAL_LM",
        )


@dataclass(frozen=True)
class LoraTrainConfig:
    r: int = 8
    alpha: float = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    learning_rate: float = 1e-3
    micro_batch_size: int = 32
    accumulation_steps: int = 4
    """Micro-batches per optimizer step: batch = micro_batch_size x accumulation_steps (128)."""
    cutoff_len: int = 512
    """Longest prompt + answer (tokens) trained on; longer samples are dropped and counted."""
    epochs: int = 2
    """Passes over the training set at most. The reference sets 500 and relies on early
    stopping; the SmolLM2 anchors of docs/method.md section 7 were measured with 2."""
    max_steps: int | None = None
    """Stop after this many optimizer steps (None: no limit besides epochs)."""
    loss: Literal["whole", "answer"] = "whole"
    """whole: LM loss on every token of prompt + answer + EOS (the reference's
    train_on_inputs=True); answer: cross-entropy of the answer's first token only."""
    eval_every: int = 23
    """Optimizer steps between validations (reference: 23 for retraining, 6 for fine-tuning).
    The last step is always validated too, so no trained step goes unjudged."""
    patience: int = 10
    """Stop after this many validations without a new best AUC (reference: 10 for retraining,
    5 for fine-tuning)."""
    lr_schedule: Literal["constant", "linear"] = "constant"
    """The reference's Trainer decays linearly over 500 epochs, i.e. about constant before early
    stopping; "linear" decays to 0 over this run's steps."""
    max_grad_norm: float | None = 1.0
    """Gradient clipping (the Trainer's default); None: off."""
    weight_decay: float = 0.0
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass (what the reference does for LLaMA-7B)."""
    prefix_cache: bool = True
    """Whole loss without checkpointing: the leading tokens a micro-batch's samples share (the
    instruction header) run forward once per micro-batch, through a KV cache. The update equals
    the plain one up to float rounding, except that LoRA dropout draws one mask for the shared
    tokens per micro-batch instead of one per sample (the same expected gradient)."""
    eval_batch_size: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        # Building the shape validates r, alpha, dropout and target_modules.
        object.__setattr__(self, "target_modules", self.shape.target_modules)
        positive = (
            "learning_rate",
            "micro_batch_size",
            "accumulation_steps",
            "cutoff_len",
            "epochs",
            "eval_every",
            "patience",
            "eval_batch_size",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"must be > 0, got {getattr(self, name)}", where=name)
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"must be >= 1 or None, got {self.max_steps}", where="max_steps")
        if self.loss not in LOSSES:
            raise ConfigError(
                f"unknown loss {self.loss!r}; expected {' or '.join(LOSSES)}", where="loss"
            )
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(
                f"unknown schedule {self.lr_schedule!r}; expected {' or '.join(LR_SCHEDULES)}",
                where="lr_schedule",
            )
        if self.max_grad_norm is not None and self.max_grad_norm <= 0:
            raise ConfigError("must be > 0 or None", where="max_grad_norm")
        if self.weight_decay < 0:
            raise ConfigError("must be >= 0", where="weight_decay")

    @property
    def shape(self) -> LoraShape:
        return LoraShape(
            r=self.r,
            alpha=self.alpha,
            dropout=self.dropout,
            target_modules=tuple(self.target_modules),
        )

    @property
    def batch_size(self) -> int:
        return self.micro_batch_size * self.accumulation_steps
