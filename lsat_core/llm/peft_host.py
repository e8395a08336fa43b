"""The one PEFT wrapper around a backbone, into which adapters are loaded to score or train.

`get_peft_model` injects LoRA layers into the base model in place, so a backbone gets exactly one
`PeftModel`, created on first use, with one named adapter *slot* per `LoraShape`. Running an
adapter means copying its tensors into its slot (`set_peft_model_state_dict`) and activating
that slot; running the untuned base model means PEFT's `disable_adapter()`. Only this module
touches the wrapper, so the base model is never run with a stale adapter switched on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import torch
from peft import (
    LoraConfig,
    PeftModel,
    get_peft_model,
    get_peft_model_state_dict,
    set_peft_model_state_dict,
)
from peft.tuners.lora import LoraLayer
from transformers import PreTrainedModel

from lsat_core.errors import InputError
from lsat_core.llm.adapters import Adapter, LoraShape

BASE_MODEL = "__base__"
"""PEFT's adapter name for rows of a mixed batch that run the base model."""
_MERGED = "merged"
"""The transient slot `add_weighted_adapter` writes a merge into (deleted once copied out)."""


class PeftHost:
    def __init__(self, base_model: PreTrainedModel) -> None:
        self._base = base_model
        self._peft: PeftModel | None = None
        self._slots: dict[tuple[LoraShape, int], str] = {}

    @property
    def peft_model(self) -> PeftModel | None:
        """The wrapper, once a slot exists (None before any adapter was used)."""
        return self._peft

    def slot(self, shape: LoraShape, index: int = 0) -> str:
        """The name of the slot for `shape`, injecting it on first use (fresh PEFT init). Slots
        of `index` > 0 hold further adapters of one shape for mixed-adapter batches."""
        if (shape, index) in self._slots:
            return self._slots[(shape, index)]
        # Names without dots: PEFT keys modules by adapter name.
        name = f"slot{len(self._slots)}"
        if self._peft is None:
            self._peft = get_peft_model(self._base, shape.lora_config(), adapter_name=name)
        else:
            self._peft.add_adapter(name, shape.lora_config())
        self._peft.eval()
        self._slots[(shape, index)] = name
        return name

    def _wrapper(self) -> PeftModel:
        if self._peft is None:
            raise RuntimeError("no adapter slot yet: call slot() first")
        return self._peft

    def put(self, shape: LoraShape, weights: Mapping[str, torch.Tensor], index: int = 0) -> str:
        """Copy `weights` into the slot of `shape` (and `index`) and make it the active one."""
        name = self.slot(shape, index)
        expected = set(get_peft_model_state_dict(self._wrapper(), adapter_name=name))
        if set(weights) != expected:
            unknown, missing = sorted(set(weights) - expected), sorted(expected - set(weights))
            raise InputError(
                f"adapter does not fit this backbone: {len(missing)} missing tensor(s) "
                f"{missing[:2]}, {len(unknown)} unknown {unknown[:2]}",
                where="adapter",
            )
        try:
            set_peft_model_state_dict(self._wrapper(), dict(weights), adapter_name=name)
        except RuntimeError as exc:  # size mismatch: trained on another backbone
            raise InputError(f"adapter does not fit this backbone: {exc}", where="adapter") from exc
        self._wrapper().set_adapter(name, inference_mode=True)
        return name

    def reset(self, shape: LoraShape, seed: int) -> str:
        """Re-initialise the slot of `shape` as PEFT does for a new adapter (B = 0), seeded."""
        name = self.slot(shape)
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            for module in self._wrapper().modules():
                if isinstance(module, LoraLayer) and name in module.lora_A:
                    module.reset_lora_parameters(name, init_lora_weights=True)
        finally:
            torch.random.set_rng_state(generator_state)
        self._wrapper().set_adapter(name, inference_mode=True)
        return name

    def weights(self, shape: LoraShape) -> dict[str, torch.Tensor]:
        """A CPU copy of the slot's current tensors, keyed like a saved adapter."""
        state = get_peft_model_state_dict(self._wrapper(), adapter_name=self.slot(shape))
        return {key: tensor.detach().to("cpu", copy=True) for key, tensor in state.items()}

    def trainable(self, shape: LoraShape, on: bool) -> list[torch.nn.Parameter]:
        """Switch gradients on (or off) for exactly the slot's LoRA tensors; returns them."""
        name = self.slot(shape)
        params = []
        for param_name, param in self._wrapper().named_parameters():
            mine = on and f".{name}." in param_name and "lora_" in param_name
            param.requires_grad_(mine)
            if mine:
                params.append(param)
        return params

    @contextmanager
    def activated(self, adapter: Adapter | None) -> Iterator[torch.nn.Module]:
        """The model to run: with `adapter` loaded and active, or the untuned base model."""
        if adapter is not None:
            self.put(adapter.shape, adapter.weights)
            yield self._wrapper()
        elif self._peft is None:
            yield self._base
        else:
            with self._peft.disable_adapter():
                yield self._peft

    @contextmanager
    def activated_many(
        self, adapters: Sequence[Adapter | None]
    ) -> Iterator[tuple[PeftModel, list[str]]]:
        """The wrapper with every adapter loaded in a slot of its own, and the names that select
        each per batch row (PEFT's `adapter_names`; its "__base__" for None, the untuned model)."""
        names, seen = [], Counter[LoraShape]()
        for adapter in adapters:
            if adapter is None:
                names.append(BASE_MODEL)
                continue
            names.append(self.put(adapter.shape, adapter.weights, seen[adapter.shape]))
            seen[adapter.shape] += 1
        if self._peft is None:  # only base-model rows: PEFT needs a wrapper to route them
            self.slot(LoraShape())
        yield self._wrapper(), names

    def merged(
        self,
        adapters: Sequence[Adapter],
        weights: Sequence[float],
        combination_type: str,
        *,
        seed: int,
        **options: Any,
    ) -> tuple[LoraShape, dict[str, torch.Tensor]]:
        """PEFT's `add_weighted_adapter(combination_type, **options)` of `adapters` with
        `weights`: the merged adapter's shape and a CPU copy of its tensors. PEFT gives it
        r = lora_alpha = the new rank, the scalings of its inputs being folded into A and B.
        `seed` fixes DARE's random drop (PEFT draws it from torch's global generator)."""
        names, seen = [], Counter[LoraShape]()
        for adapter in adapters:
            names.append(self.put(adapter.shape, adapter.weights, seen[adapter.shape]))
            seen[adapter.shape] += 1
        wrapper = self._wrapper()
        on_cuda = [self._base.device] if self._base.device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=on_cuda):
                torch.manual_seed(seed)
                wrapper.add_weighted_adapter(
                    names, list(weights), _MERGED, combination_type=combination_type, **options
                )
            config = cast(LoraConfig, wrapper.peft_config[_MERGED])
            state = get_peft_model_state_dict(wrapper, adapter_name=_MERGED)
            tensors = {key: t.detach().to("cpu", copy=True) for key, t in state.items()}
        finally:
            if _MERGED in wrapper.peft_config:
                wrapper.delete_adapter(_MERGED)
        first = adapters[0].shape
        shape = LoraShape(
            r=config.r,
            alpha=config.lora_alpha,
            dropout=first.dropout,
            target_modules=first.target_modules,
        )
        return shape, tensors
