"""The LoRA training loss of one micro-batch (docs/method.md section 2.3): the whole-sequence loss
(the reference's), optionally with the shared header run once through a KV cache, or the
answer-only loss.

The prefix path (docs/method.md sections 2.3 and 8) is exact because the adapter does not change
within an optimizer step: every sample's header goes through the same computation, so one copy's
keys and values, expanded over the micro-batch, give each sample what its own copy would, and
autograd sums the gradients that reach them from every row. LoRA dropout is the exception: one
mask is drawn for the header per micro-batch rather than per sample, so the header's dropout
noise is shared by the micro-batch's samples (the same expected gradient, correlated noise).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lsat_core.llm.batching import last_logits, left_padded, right_padded
from lsat_core.llm.prefix_cache import (
    MIN_PREFIX_TOKENS,
    PrefixCache,
    batch_cache,
    cache_argument,
    cache_layers,
    common_prefix_length,
)


class MicroBatchLoss:
    """`loss(sequences, targets)`: the mean loss of one micro-batch of token sequences.

    - "whole": next-token cross-entropy over every shifted label of prompt + answer + EOS;
    - "answer": the sequences are the prompts, and the loss is the cross-entropy of each
      sample's answer token (`targets`) at the position after its prompt, the token scoring reads.

    `kind` is the training config's `loss`. `prefix_cache` (whole loss only) runs a micro-batch's
    shared leading tokens once; it turns itself off for good on a model whose cache is not a
    plain full-attention one.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        pad_id: int,
        device: torch.device,
        kind: str,
        prefix_cache: bool,
    ) -> None:
        self.model, self.pad_id, self.device, self.kind = model, pad_id, device, kind
        self.use_prefix = prefix_cache and kind == "whole"

    def items(self, sequences: Sequence[Sequence[int]]) -> int:
        """What the mean is over: samples (answer loss) or shifted labels (whole loss). A step
        normalises by its micro-batches' items summed, as the Trainer does under accumulation."""
        if self.kind == "answer":
            return len(sequences)
        return sum(len(seq) - 1 for seq in sequences)

    def __call__(self, sequences: list[list[int]], targets: Sequence[int]) -> torch.Tensor:
        if self.kind == "answer":
            return self.answer(sequences, targets)
        length = common_prefix_length(sequences) if self.use_prefix else 0
        if len(sequences) > 1 and length >= MIN_PREFIX_TOKENS:
            loss = self.prefix_whole(sequences, length)
            if loss is not None:
                return loss
        return self.whole(sequences)

    def answer(self, prompts: list[list[int]], targets: Sequence[int]) -> torch.Tensor:
        batch = left_padded(prompts, self.pad_id, self.device)
        wanted = torch.tensor(list(targets), device=self.device)
        return torch.nn.functional.cross_entropy(last_logits(self.model, batch).float(), wanted)

    def whole(self, sequences: list[list[int]]) -> torch.Tensor:
        batch, labels = right_padded(sequences, self.pad_id, self.device)
        return self.model(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            position_ids=batch.position_ids,
            labels=labels,
            use_cache=False,
        ).loss

    def prefix_whole(self, sequences: list[list[int]], length: int) -> torch.Tensor | None:
        """The whole loss of `sequences`, whose first `length` tokens are the same, with those
        tokens run once (batch 1, gradients kept) and the suffixes run on their expanded cache:
        the mean over the same shifted labels as `whole`. None (and `whole` from then on) where
        the model's cache is not a plain full-attention one."""
        device, rows = self.device, len(sequences)
        cross_entropy = torch.nn.functional.cross_entropy
        header = torch.tensor([sequences[0][:length]], dtype=torch.long, device=device)
        argument = cache_argument(self.model)
        output = self.model(
            input_ids=header, attention_mask=torch.ones_like(header), use_cache=True
        )
        layers = cache_layers(getattr(output, argument, None))
        if layers is None:
            self.use_prefix = False
            return None
        head_logits = output.logits[0].float()  # [P, V]
        # Every sample has the header's P - 1 shifted labels: B times one copy's loss.
        total = rows * cross_entropy(head_logits[:-1], header[0, 1:], reduction="sum")
        # The header's last position predicts each sample's first own token.
        firsts = torch.tensor([seq[length] for seq in sequences], device=device)
        total = total + cross_entropy(head_logits[-1:].expand(rows, -1), firsts, reduction="sum")
        batch, labels = right_padded([seq[length:] for seq in sequences], self.pad_id, device)
        prefix_mask = torch.ones((rows, length), dtype=batch.attention_mask.dtype, device=device)
        logits = self.model(
            input_ids=batch.input_ids,
            attention_mask=torch.cat([prefix_mask, batch.attention_mask], dim=1),
            position_ids=batch.position_ids + length,
            use_cache=True,
            **{argument: batch_cache(PrefixCache(length=length, layers=layers), rows)},
        ).logits.float()  # [B, S, V]
        total = total + cross_entropy(
            logits[:, :-1].flatten(0, 1),
            labels[:, 1:].flatten(),
            ignore_index=-100,
            reduction="sum",
        )
        return total / sum(len(seq) - 1 for seq in sequences)
