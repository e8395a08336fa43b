"""LSAT-TA's merge of a long-term and a short-term LoRA (docs/method.md section 3).

- LSAT-TA (task arithmetic): one adapter, lambda * long + (1 - lambda) * short, then one pass.
  Two readings of "the adapter's parameters":
  * ``ab`` (the reference, TianhaoShi2001/LSAT `arithmetic.py`): average lora_A and lora_B
    separately; the update s (l B_l + (1-l) B_s)(l A_l + (1-l) A_s) then has cross terms.
  * ``product``: average the updates themselves, lambda * s B_l A_l + (1 - lambda) * s B_s A_s.
    It is exactly PEFT's `add_weighted_adapter(combination_type="cat")` (rank r_l + r_s:
    A = [w_l s_l A_l; w_s s_s A_s], B = [B_l, B_s]; no square roots, unlike PEFT's "linear",
    which scales A and B by sqrt(w s) each). We compute it on the tensors directly so that no
    model is needed, and keep the scaling s outside A when both adapters share it.

- LSAT-TA with TIES, DARE-TIES or SVD: PEFT's own `add_weighted_adapter` merges of the two adapters,
  run on the backbone's PEFT wrapper (`peft_merge`), the mixing weight mapped to PEFT's weights by
  `peft_merge_weights`.

LSAT-EN's output ensemble and the choice of either coefficient on validation need no tensors:
they are in `lsat_core.evaluation.coefficients`.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from lsat_core.errors import ConfigError, InputError
from lsat_core.llm.adapters import Adapter, LoraShape
from lsat_core.llm.peft_host import PeftHost

TA_READINGS = ("ab", "product")
_A, _B = "lora_A.weight", "lora_B.weight"


def task_arithmetic(
    long: Adapter, short: Adapter, lam: float, reading: Literal["ab", "product"] = "ab"
) -> Adapter:
    """One adapter equal to lam * long + (1 - lam) * short, in the given reading."""
    if not 0.0 <= lam <= 1.0:
        raise ConfigError(f"must be in [0, 1], got {lam}", where="lambda")
    if reading not in TA_READINGS:
        raise ConfigError(
            f"unknown reading {reading!r}; expected {' or '.join(TA_READINGS)}", where="reading"
        )
    _check_compatible(long, short)
    provenance = {
        "merge": "task_arithmetic",
        "reading": reading,
        "lambda": lam,
        "long": long.content_hash(),
        "short": short.content_hash(),
    }
    if reading == "ab":
        if (long.shape.r, long.shape.alpha) != (short.shape.r, short.shape.alpha):
            raise InputError(
                "the ab reading needs adapters of the same r and alpha", where="adapters"
            )
        weights = {k: lam * long.weights[k] + (1.0 - lam) * short.weights[k] for k in long.weights}
        return Adapter(shape=long.shape, weights=weights, provenance=provenance)
    return _product_merge(long, short, lam, provenance)


def _product_merge(long: Adapter, short: Adapter, lam: float, provenance: dict) -> Adapter:
    s_long, s_short = long.shape.scaling, short.shape.scaling
    scaling = s_long if s_long == s_short else 1.0
    factors = (lam * s_long / scaling, (1.0 - lam) * s_short / scaling)
    weights: dict[str, torch.Tensor] = {}
    for key_a in (k for k in long.weights if k.endswith(_A)):
        key_b = key_a[: -len(_A)] + _B
        # [r_l + r_s, in] and [out, r_l + r_s]: B @ A = w_l B_l A_l + w_s B_s A_s.
        weights[key_a] = torch.cat(
            [factors[0] * long.weights[key_a], factors[1] * short.weights[key_a]], dim=0
        )
        weights[key_b] = torch.cat([long.weights[key_b], short.weights[key_b]], dim=1)
    rank = long.shape.r + short.shape.r
    shape = LoraShape(
        r=rank,
        alpha=scaling * rank,
        dropout=long.shape.dropout,
        target_modules=long.shape.target_modules,
    )
    return Adapter(shape=shape, weights=weights, provenance=provenance)


def _check_compatible(long: Adapter, short: Adapter) -> None:
    if set(long.weights) != set(short.weights):
        raise InputError("the adapters target different modules", where="adapters")
    odd = [k for k in long.weights if not k.endswith((_A, _B))]
    if odd:
        raise InputError(f"only plain LoRA tensors can be merged, found {odd[0]}", where="adapters")


PEFT_MERGES = ("ties", "dare_ties", "svd")
"""PEFT `add_weighted_adapter` combination types offered as LSAT-TA variants."""


def peft_merge_weights(combination_type: str, lam: float) -> tuple[float, float]:
    """The weights (long, short) PEFT is given for mixing weight `lam`.

    svd works on the updates: lam * dW_long + (1 - lam) * dW_short (the product reading), then
    truncated to the new rank. ties and dare_ties work on lora_A and lora_B separately, scale each
    by sqrt(weight * scaling) and then *average* the entries that agree with the elected sign
    (PEFT's `disjoint_merge`); weights (2 lam)^2 and (2 (1 - lam))^2 make an agreeing entry
    lam * sqrt(s) A_long + (1 - lam) * sqrt(s) A_short, LSAT-TA's ab reading, and lam = 0.5
    PEFT's unit weights (TIES-Merging as its paper states it, scale 1). A conflicting entry keeps
    the elected adapter's value at twice its weight, as the disjoint mean over one adapter does.
    """
    if not 0.0 <= lam <= 1.0:
        raise ConfigError(f"must be in [0, 1], got {lam}", where="lambda")
    if combination_type not in PEFT_MERGES:
        raise ConfigError(
            f"unknown merge {combination_type!r}; expected one of {', '.join(PEFT_MERGES)}",
            where="combination_type",
        )
    if combination_type == "svd":
        return lam, 1.0 - lam
    return (2.0 * lam) ** 2, (2.0 * (1.0 - lam)) ** 2


def peft_merge(
    host: PeftHost,
    long: Adapter,
    short: Adapter,
    lam: float,
    combination_type: str,
    *,
    density: float,
    majority_sign_method: str,
    svd_rank: int | None,
    seed: int,
) -> Adapter:
    """One adapter merging `long` and `short` by `lam` with PEFT's `combination_type` (see
    `peft_merge_weights`); `density` and `majority_sign_method` apply to ties and dare_ties,
    `svd_rank` (None: the adapters' rank) to svd, `seed` to dare_ties' random drop."""
    weights = peft_merge_weights(combination_type, lam)
    _check_compatible(long, short)
    if combination_type == "svd":
        options: dict[str, Any] = {"svd_rank": svd_rank}
    else:
        options = {"density": density, "majority_sign_method": majority_sign_method}
    shape, tensors = host.merged([long, short], weights, combination_type, seed=seed, **options)
    provenance = {
        "merge": f"peft:{combination_type}",
        "lambda": lam,
        **options,
        "seed": seed,
        "long": long.content_hash(),
        "short": short.content_hash(),
    }
    return Adapter(shape=shape, weights=tensors, provenance=provenance)
