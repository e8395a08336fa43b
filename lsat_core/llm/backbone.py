"""Load the LLM backbone: a causal LM, its tokenizer, its answer tokens (docs/method.md section 7).

`BackboneConfig.name_or_path` is either a registered GGUF backbone (default ``smollm2-135m``,
see `gguf_backbones`), a local folder of any Hugging Face causal LM, or a hub id (downloaded by
transformers where the user has internet). Everything a run needs to know about the model is
checked here, before anything trains: that it is a causal LM and that its tokenizer lets us
locate the "Yes."/"No." answer position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

from lsat_core.errors import InputError
from lsat_core.llm.answer_tokens import AnswerTokens, locate_answer_tokens
from lsat_core.llm.configs import BackboneConfig
from lsat_core.llm.gguf_backbones import GGUF_BACKBONES, ensure_converted
from lsat_core.llm.peft_host import PeftHost


@dataclass(eq=False)
class Backbone:
    """A loaded backbone. Run its model only through `host.activated(...)`: once an adapter has
    been used, LoRA layers live inside `model` (see `peft_host`)."""

    name: str
    model: PreTrainedModel
    """The frozen base model, in eval mode, on `device`."""
    tokenizer: PreTrainedTokenizerBase
    device: torch.device
    dtype: torch.dtype
    answers: AnswerTokens
    pad_id: int
    """Token id used to fill padded positions (always masked out)."""
    source: str
    """The folder (or hub id) the weights were read from."""
    host: PeftHost = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.host = PeftHost(self.model)

    @property
    def num_parameters(self) -> int:
        """Parameters of the base model (LoRA tensors excluded)."""
        return sum(p.numel() for n, p in self.model.named_parameters() if "lora_" not in n)

    @property
    def eos_id(self) -> int | None:
        return self.tokenizer.eos_token_id


def load_backbone(config: BackboneConfig, cache_dir: Path) -> Backbone:
    """Load the backbone `config` names; registered GGUF backbones are converted once into
    `cache_dir`. Raises InputError for anything that is not a usable causal LM."""
    name = config.name_or_path
    source = _resolve_source(name, Path(cache_dir))
    _check_causal_lm(_load_config(source, name), name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"cannot load a tokenizer: {exc}", where=name) from exc
    answers = locate_answer_tokens(tokenizer, where=name)
    pad_id = _pad_id(tokenizer)
    device = config.resolve_device()
    dtype = config.resolve_dtype(device)
    try:
        # Straight onto the device: a 7B model is never held twice in host memory.
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, device_map=str(device))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load the model weights: {exc}", where=name) from exc
    model.eval()
    model.requires_grad_(False)
    return Backbone(
        name=name,
        model=model,
        tokenizer=tokenizer,
        device=device,
        dtype=dtype,
        answers=answers,
        pad_id=pad_id,
        source=source,
    )


def _resolve_source(name: str, cache_dir: Path) -> str:
    if name in GGUF_BACKBONES:
        return str(ensure_converted(name, cache_dir))
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise InputError(
                "expected a model folder (config.json, weights, tokenizer), got a file", where=name
            )
        return str(path.resolve())
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:
        raise InputError("no such model folder", where=name)
    return name  # a hub id: transformers downloads it where the user has internet


def _load_config(source: str, name: str) -> PretrainedConfig:
    try:
        return AutoConfig.from_pretrained(source)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"not a Hugging Face model ({exc})", where=name) from exc


def _check_causal_lm(model_config: PretrainedConfig, name: str) -> None:
    """The model type must have a causal-LM class, and the saved architecture (if recorded) must
    be one: a BERT folder saved as BertForMaskedLM has a causal class but is not a causal LM."""
    model_type = getattr(model_config, "model_type", None)
    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise InputError(f"model type {model_type!r} is not a causal language model", where=name)
    architectures = getattr(model_config, "architectures", None) or []
    causal = set(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values())
    if architectures and not any(
        a in causal or a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures
    ):
        raise InputError(
            f"architecture {', '.join(architectures)} is not a causal language model", where=name
        )


def _pad_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """SmolLM2-like tokenizers may lack a pad token: padded positions are masked out, so any
    existing special token will do; we never add tokens (that would resize the embeddings)."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id):
        if candidate is not None:
            if tokenizer.pad_token_id is None:
                tokenizer.pad_token_id = candidate
            tokenizer.padding_side = "left"
            return int(candidate)
    tokenizer.padding_side = "left"
    return 0
