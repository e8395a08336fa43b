"""Time the reference loop (docs/method.md section 8) against our own LoRA training and scoring, in
one process, on the same real TALLRec prompts of ML-1M.

    python bench/bench_llm.py [--model smollm2|llama7b-shape] [--layers N] [--device auto]
        [--train-samples N] [--score-samples N] [--micro-batch N] [--accumulation N]
        [--cache-dir DIR] [--out FILE.json] [--latency/--no-latency]

Per model: (a) the reference, `transformers.Trainer` as TianhaoShi2001/LSAT `train.py` runs it
(see `reference_loop.py`), then (b) our path, `train_adapter` and `score_prompts` with the same
LoRA settings but our defaults (no gradient checkpointing). The base model is loaded once: the
reference wraps it in PEFT, trains, scores, and its LoRA layers are unloaded before our side runs.

Training is timed from the end of optimizer step 1 (warm-up) to the end of the last step, on
both sides; no validation falls inside that window (the reference runs with eval_strategy=no; ours
validates once, after its last step). Scoring is timed over the whole call, on the same prompts
with the same adapter (the one the reference trained), so the two scorers' P(Yes) are compared
number for number. Tokens/s = samples/s x the mean length of the training sequences (prompt +
answer + EOS, padding excluded), the same sequences on both sides.

Models: `smollm2` is the real SmolLM2-135M (`load_backbone`, default `BackboneConfig`);
`llama7b-shape` is a random-weight LLaMA-7B shape (hidden 4096, intermediate 11008, 32 heads,
vocab 32,000; `--layers` cuts the 32 layers for a CPU run) whose tokenizer is SmolLM2's byte-level
BPE cut to its first 32,000 tokens (its merges are in id order, so this is the same BPE trained
with fewer merges: prompts get LLaMA-like lengths and every id fits the vocabulary).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import reference_loop as ref  # a sibling file: bench/ is the script's folder
import torch
import transformers
from scipy.stats import spearmanr
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, PreTrainedTokenizerFast

from lsat_core.data.datasets import load_stream
from lsat_core.data.prompts import build_prompts
from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.presets import preset_config
from lsat_core.llm.adapters import Adapter
from lsat_core.llm.answer_tokens import locate_answer_tokens
from lsat_core.llm.backbone import Backbone, load_backbone
from lsat_core.llm.configs import BackboneConfig, LoraTrainConfig
from lsat_core.llm.gguf_backbones import ensure_converted
from lsat_core.llm.scoring import score_prompts
from lsat_core.llm.training import train_adapter
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.queries import results_frame

MODELS = ("smollm2", "llama7b-shape")
LLAMA_HIDDEN, LLAMA_INTERMEDIATE, LLAMA_HEADS = 4096, 11008, 32
LLAMA_VOCAB = 32000
TRAIN_PERIOD, SCORE_PERIOD = 10, 11
"""As the SmolLM2 anchor of docs/method.md section 7: train on D_10, score D_11."""

TARGETS = {
    ("cpu", "smollm2"): {"train": 1.5, "score": 2.0},
    ("cuda", "smollm2"): {"train": 8.0, "score": 10.0},
    ("cuda", "llama7b-shape"): {"train": 2.0, "score": 2.5},
}
"""Speed-up of ours over the reference that issue 7 asks for."""

BF16_PEAK_FLOPS = (
    ("H200", 989e12),
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),
    ("A100", 312e12),
)
"""Dense bf16 peak by device-name substring, first match wins (NVIDIA data sheets)."""


@dataclass(frozen=True)
class Sizes:
    train_samples: int
    score_samples: int
    val_samples: int
    micro_batch_size: int
    accumulation_steps: int
    ref_eval_batch: int
    our_eval_batch: int

    @property
    def batch(self) -> int:
        return self.micro_batch_size * self.accumulation_steps

    @property
    def steps(self) -> int:
        """Whole optimizer steps; at least two, the first being the warm-up."""
        return max(2, self.train_samples // self.batch)


@dataclass(frozen=True)
class BenchData:
    train_prompts: list[str]
    train_labels: list[int]
    val_prompts: list[str]
    val_labels: list[int]
    score_prompts: list[str]
    score_labels: list[int]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ml1m_data(cache_dir: Path, sizes: Sizes, seed: int = 0) -> BenchData:
    """Random samples of ML-1M's D_10 (train, val with both classes) and D_11 (scored)."""
    stream = load_stream("ml-1m", cache_dir)

    def pick(frame: pd.DataFrame, n: int) -> tuple[list[str], list[int]]:
        chosen = frame.sample(n=n, random_state=seed)
        return build_prompts(chosen, stream.titles, stream.noun), chosen["label"].tolist()

    val = stream.val(TRAIN_PERIOD)
    half = sizes.val_samples // 2  # AUC needs both classes
    val = pd.concat(
        [
            val[val["label"] == 1].sample(n=half, random_state=seed),
            val[val["label"] == 0].sample(n=sizes.val_samples - half, random_state=seed),
        ]
    )
    train = pick(stream.train(TRAIN_PERIOD), sizes.steps * sizes.batch)
    score = pick(stream.test(SCORE_PERIOD), sizes.score_samples)
    return BenchData(
        *train, build_prompts(val, stream.titles, stream.noun), val["label"].tolist(), *score
    )


def smollm2_backbone(cache_dir: Path, device: str) -> Backbone:
    return load_backbone(BackboneConfig(device=device), cache_dir)


def llama_vocab_tokenizer(
    source_dir: Path, vocab_size: int = LLAMA_VOCAB
) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer cut to its first `vocab_size` ids, merges that build them kept."""
    spec = json.loads((Path(source_dir) / "tokenizer.json").read_text())
    model = spec["model"]
    model["vocab"] = {token: i for token, i in model["vocab"].items() if i < vocab_size}
    model["merges"] = [
        m
        for m in model["merges"]
        if "".join(m.split(" ") if isinstance(m, str) else m) in model["vocab"]
    ]
    spec["added_tokens"] = [t for t in spec["added_tokens"] if t["id"] < vocab_size]
    original = AutoTokenizer.from_pretrained(source_dir)
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)),
        bos_token=original.bos_token,
        eos_token=original.eos_token,
    )


def llama_shape_backbone(layers: int, device: str, tokenizer_dir: Path) -> Backbone:
    """A random-weight LLaMA-7B shape as a `Backbone`, set up as `load_backbone` sets one up."""
    tokenizer = llama_vocab_tokenizer(tokenizer_dir)
    answers = locate_answer_tokens(tokenizer, where="llama7b-shape")
    # As load_backbone: pad with EOS where there is no pad token, pad on the left.
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    tokenizer.padding_side = "left"
    config = LlamaConfig(
        vocab_size=LLAMA_VOCAB,
        num_hidden_layers=layers,
        hidden_size=LLAMA_HIDDEN,
        intermediate_size=LLAMA_INTERMEDIATE,
        num_attention_heads=LLAMA_HEADS,
        num_key_value_heads=LLAMA_HEADS,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch_device = BackboneConfig(device=device).resolve_device()
    dtype = torch.bfloat16 if torch_device.type == "cuda" else torch.float32
    torch.manual_seed(0)
    with torch_device:  # initialised in place: a 7B model is never held in host memory
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.eval()
    model.requires_grad_(False)
    return Backbone(
        name=f"llama7b-shape-{layers}-layers",
        model=model,
        tokenizer=tokenizer,
        device=torch_device,
        dtype=dtype,
        answers=answers,
        pad_id=int(tokenizer.pad_token_id),
        source="random weights (LlamaConfig)",
    )


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def peak_memory(device: torch.device) -> Iterator[dict[str, Any]]:
    """Peak memory of the block: CUDA max_memory_allocated, or the process's peak RSS on CPU
    (reset per block through /proc/self/clear_refs where Linux allows it)."""
    found: dict[str, Any] = {}
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            found["rss_reset"] = True
        except OSError:
            found["rss_reset"] = False  # the figure is then the process's high-water mark
    yield found
    if device.type == "cuda":
        found.update(
            kind="cuda_max_memory_allocated", bytes=torch.cuda.max_memory_allocated(device)
        )
    else:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        found.update(kind="peak_rss", bytes=rss)


def _window_rate(ends: list[tuple[float, float]], per_step: int) -> dict[str, float]:
    """Samples per wall and per CPU second between the end of step 1 and that of the last."""
    samples = (len(ends) - 1) * per_step
    seconds, cpu_seconds = (ends[-1][i] - ends[0][i] for i in (0, 1))
    return {
        "timed_steps": len(ends) - 1,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "samples_per_s": samples / seconds,
        "samples_per_cpu_s": samples / cpu_seconds,
    }


@contextmanager
def timed_call(device: torch.device, samples: int) -> Iterator[dict[str, float]]:
    """Wall and CPU seconds of the block, and samples per each."""
    found: dict[str, float] = {}
    started = ref.stamp()
    yield found
    _sync(device)
    ended = ref.stamp()
    seconds, cpu_seconds = ended[0] - started[0], ended[1] - started[1]
    found.update(
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        samples_per_s=samples / seconds,
        samples_per_cpu_s=samples / cpu_seconds,
    )


def run_reference(backbone: Backbone, data: BenchData, sizes: Sizes) -> tuple[dict, Adapter]:
    settings = ref.ReferenceSettings(
        micro_batch_size=sizes.micro_batch_size,
        accumulation_steps=sizes.accumulation_steps,
        eval_batch_size=sizes.ref_eval_batch,
    )
    shape = LoraTrainConfig().shape
    train_rows = ref.reference_rows(backbone.tokenizer, data.train_prompts, data.train_labels)
    score_rows = ref.reference_rows(backbone.tokenizer, data.score_prompts, data.score_labels)
    model = ref.add_lora(backbone.model, shape)
    log(f"reference: training {sizes.steps} steps of {sizes.batch}")
    with peak_memory(backbone.device) as train_memory:
        ends = ref.train_reference(
            model, backbone.tokenizer, backbone.answers, train_rows, settings, sizes.steps
        )
    adapter = Adapter(shape=shape, weights=ref.lora_weights(model), provenance={"by": "reference"})
    if backbone.device.type == "cuda":  # kernels chosen outside the timed call
        ref.score_reference(model, backbone.tokenizer, backbone.answers, score_rows[:8], settings)
    log(f"reference: scoring {len(score_rows)} prompts")
    with (
        peak_memory(backbone.device) as score_memory,
        timed_call(backbone.device, len(score_rows)) as score_time,
    ):
        scores = ref.score_reference(
            model, backbone.tokenizer, backbone.answers, score_rows, settings
        )
    ref.remove_lora(model)
    result = {
        "train": {**_window_rate(ends, sizes.batch), "peak_memory": train_memory},
        "score": {**score_time, "batch_size": sizes.ref_eval_batch, "peak_memory": score_memory},
        "scores": scores,
    }
    return result, adapter


def run_ours(backbone: Backbone, data: BenchData, sizes: Sizes, adapter: Adapter) -> dict:
    config = LoraTrainConfig(
        micro_batch_size=sizes.micro_batch_size,
        accumulation_steps=sizes.accumulation_steps,
        epochs=1,
        max_steps=sizes.steps,
        eval_every=sizes.steps + 1,  # validated only after the last step, outside the window
        eval_batch_size=sizes.our_eval_batch,
    )
    ends: list[tuple[float, float]] = []

    def step_done(step: int, total: int) -> None:
        _sync(backbone.device)
        ends.append(ref.stamp())

    log(f"ours: training {sizes.steps} steps of {sizes.batch}")
    with peak_memory(backbone.device) as train_memory:
        trained = train_adapter(
            backbone,
            data.train_prompts,
            data.train_labels,
            data.val_prompts,
            data.val_labels,
            config,
            progress=step_done,
        )
    if backbone.device.type == "cuda":
        score_prompts(backbone, data.score_prompts[:8], adapter, batch_size=sizes.our_eval_batch)
    log(f"ours: scoring {len(data.score_prompts)} prompts")
    with (
        peak_memory(backbone.device) as score_memory,
        timed_call(backbone.device, len(data.score_prompts)) as score_time,
    ):
        scores = score_prompts(
            backbone, data.score_prompts, adapter, batch_size=sizes.our_eval_batch
        )
    window = _window_rate(ends, sizes.batch)
    return {
        "train": {
            **window,
            # tokenizing, the warm-up step and the validation after the last step
            "outside_window_seconds": trained.cost.wall_seconds - window["seconds"],
            "peak_memory": train_memory,
            "cost": asdict(trained.cost),
        },
        "score": {**score_time, "batch_size": sizes.our_eval_batch, "peak_memory": score_memory},
        "scores": scores,
    }


def peak_flops(device: torch.device) -> tuple[str, float | None]:
    if device.type != "cuda":
        return platform.processor() or platform.machine(), None
    name = torch.cuda.get_device_name(device)
    return name, next((peak for key, peak in BF16_PEAK_FLOPS if key in name), None)


def bench_model(model_name: str, backbone: Backbone, data: BenchData, sizes: Sizes) -> dict:
    """Reference, then ours, on one loaded backbone; every figure of the JSON for one model."""
    tokenizer = backbone.tokenizer
    train_tokens = np.mean(
        [
            len(r["input_ids"])
            for r in ref.reference_rows(tokenizer, data.train_prompts, data.train_labels)
        ]
    )
    prompt_tokens = np.mean([len(ids) for ids in tokenizer(data.score_prompts)["input_ids"]])
    reference, adapter = run_reference(backbone, data, sizes)
    _free(backbone.device)
    ours = run_ours(backbone, data, sizes, adapter)
    ref_scores, our_scores = reference.pop("scores"), ours.pop("scores")
    device_name, peak = peak_flops(backbone.device)
    params = backbone.num_parameters
    for side in (reference, ours):
        side["train"]["tokens_per_s"] = side["train"]["samples_per_s"] * train_tokens
        side["score"]["tokens_per_s"] = side["score"]["samples_per_s"] * prompt_tokens
        if peak is not None:
            side["train"]["mfu"] = 6 * params * side["train"]["tokens_per_s"] / peak
            side["score"]["mfu"] = 2 * params * side["score"]["tokens_per_s"] / peak
    ratios = {
        part: ours[part]["samples_per_s"] / reference[part]["samples_per_s"]
        for part in ("train", "score")
    }
    cpu_ratios = {
        part: ours[part]["samples_per_cpu_s"] / reference[part]["samples_per_cpu_s"]
        for part in ("train", "score")
    }
    target = TARGETS.get((backbone.device.type, model_name))
    return {
        "model": model_name,
        "backbone": backbone.name,
        "parameters": params,
        "device": device_name,
        "bf16_peak_flops": peak,
        "sizes": {**asdict(sizes), "batch": sizes.batch, "steps": sizes.steps},
        "mean_train_sequence_tokens": float(train_tokens),
        "mean_prompt_tokens": float(prompt_tokens),
        "reference": reference,
        "ours": ours,
        "speedup": ratios,
        "speedup_per_cpu_second": cpu_ratios,
        "targets": None
        if target is None
        else {
            part: {
                "wanted": wanted,
                "got": ratios[part],
                "met": ratios[part] >= wanted,
                "met_per_cpu_second": cpu_ratios[part] >= wanted,
            }
            for part, wanted in target.items()
        },
        "agreement": {
            "max_abs_diff": float(np.max(np.abs(ref_scores - our_scores))),
            "spearman": float(spearmanr(ref_scores, our_scores).statistic)
            if len(ref_scores) > 1
            else None,
            "note": "P(Yes) of both scorers on the adapter the reference trained",
        },
        "reference_scores": ref_scores.tolist(),
        "our_scores": our_scores.tolist(),
    }


def _free(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def update_latency(
    cache_dir: Path,
    backbone: str,
    device: str,
    strategies: tuple[str, ...],
    budget: SampleBudget,
    lora: LoraTrainConfig,
    update_periods: tuple[int, ...],
) -> dict[str, Any]:
    """Mean update latency per strategy, as the store records it, of a small in-process run."""
    with tempfile.TemporaryDirectory(prefix="bench-llm-latency-") as tmp:
        settings = Settings.for_data_dir(Path(tmp) / "data")
        settings.cache_dir.mkdir(parents=True)
        for child in Path(cache_dir).iterdir():  # reuse the built stream and converted backbone
            (settings.cache_dir / child.name).symlink_to(child.resolve())
        config = preset_config(
            "quick",
            strategies,
            backbone=BackboneConfig(name_or_path=backbone, device=device),
            budget=budget,
            lora=lora,
            long_term_period=min(update_periods),
            update_periods=update_periods,
        )
        started = time.perf_counter()
        engine, prepared = run_experiment(config, settings, name="bench_llm update latency")
        wall = time.perf_counter() - started
        with session_scope(engine) as session:
            frame = results_frame(session, list(prepared.run_ids.values()))
        engine.dispose()
    served = frame[(frame["role"] == "model") & (frame["segment"] == "all")]
    per_strategy = served.groupby("strategy")["update_latency_seconds"].agg(["mean", "count"])
    return {
        "backbone": backbone,
        "strategies": list(strategies),
        "update_periods": list(update_periods),
        "budget": asdict(budget),
        "lora": {
            "micro_batch_size": lora.micro_batch_size,
            "accumulation_steps": lora.accumulation_steps,
        },
        "experiment_wall_seconds": wall,
        "mean_update_latency_seconds": {
            s: {"mean": float(row["mean"]), "updates": int(row["count"])}
            for s, row in per_strategy.iterrows()
        },
    }


def versions() -> dict[str, str]:
    import peft

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "cuda": str(torch.version.cuda),
    }


def default_sizes(device: torch.device, args: argparse.Namespace) -> Sizes:
    on_gpu = device.type == "cuda"
    return Sizes(
        train_samples=args.train_samples or (128 * 12 if on_gpu else 8),
        score_samples=args.score_samples or (4096 if on_gpu else 8),
        val_samples=64 if on_gpu else 2,  # validated once, outside the timed window
        micro_batch_size=args.micro_batch or (32 if on_gpu else 2),
        accumulation_steps=args.accumulation or (4 if on_gpu else 2),
        ref_eval_batch=ref.REFERENCE_EVAL_BATCH,
        our_eval_batch=64 if on_gpu else 8,
    )


def report(result: dict, out: Callable[[str], None] = print) -> None:
    for m in result["models"]:
        out(f"== {m['model']} on {m['device']} ({m['parameters'] / 1e6:.1f}M parameters)")
        for part in ("train", "score"):
            r, o = m["reference"][part], m["ours"][part]
            line = (
                f"{part:5s}  reference {r['samples_per_s']:9.2f} samples/s "
                f"{r['tokens_per_s']:10.0f} tok/s | ours {o['samples_per_s']:9.2f} samples/s "
                f"{o['tokens_per_s']:10.0f} tok/s | x{m['speedup'][part]:.2f}"
            )
            if "mfu" in o:
                line += f" | MFU ref {r['mfu']:.1%} ours {o['mfu']:.1%}"
            if m["targets"]:
                t = m["targets"][part]
                line += f" | target x{t['wanted']}: {'met' if t['met'] else 'MISSED'}"
            out(line)
            out(
                f"       per CPU second: reference {r['samples_per_cpu_s']:.3f}, ours "
                f"{o['samples_per_cpu_s']:.3f} samples | x{m['speedup_per_cpu_second'][part]:.2f}"
            )
            out(
                f"       peak memory: reference {r['peak_memory']['bytes'] / 2**30:.2f} GiB, "
                f"ours {o['peak_memory']['bytes'] / 2**30:.2f} GiB ({o['peak_memory']['kind']})"
            )
        a = m["agreement"]
        out(
            f"       scorers agree: max |dP(Yes)| {a['max_abs_diff']:.2e}, spearman {a['spearman']}"
        )
    latency = result.get("update_latency")
    if latency:
        wall = latency["experiment_wall_seconds"]
        out(f"== update latency ({latency['backbone']}, a {wall:.0f} s run)")
        for strategy, row in latency["mean_update_latency_seconds"].items():
            out(f"{strategy:14s} {row['mean']:8.1f} s mean over {row['updates']} update(s)")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", choices=MODELS, action="append", help="repeatable (default smollm2)"
    )
    parser.add_argument(
        "--layers", type=int, default=None, help="llama7b-shape layers (32 on CUDA, 1 on CPU)"
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--train-samples", type=int, help="rounded down to whole optimizer steps (>= 2)"
    )
    parser.add_argument("--score-samples", type=int)
    parser.add_argument("--micro-batch", type=int, help="both sides (CPU default 2, GPU 32)")
    parser.add_argument("--accumulation", type=int, help="both sides (CPU default 2, GPU 4)")
    parser.add_argument("--cache-dir", type=Path, help="default: the settings' cache")
    parser.add_argument("--threads", type=int, help="torch intra-op threads on CPU")
    parser.add_argument("--out", type=Path, help="default bench/results/llm-<device>.json")
    parser.add_argument("--latency", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--latency-backbone",
        default="smollm2-135m",
        help="registered backbone name or model folder",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cache_dir = args.cache_dir or Settings.from_env().cache_dir
    device = BackboneConfig(device=args.device).resolve_device()
    sizes = default_sizes(device, args)
    log(f"sizes {sizes}; {torch.get_num_threads()} torch thread(s)")
    data = ml1m_data(cache_dir, sizes)
    out = args.out or Path(__file__).resolve().parent / "results" / f"llm-{device.type}.json"
    result: dict[str, Any] = {"versions": versions(), "models": [], "notes": NOTES}
    for model_name in args.model or ["smollm2"]:
        log(f"loading {model_name}")
        if model_name == "smollm2":
            backbone = smollm2_backbone(cache_dir, args.device)
        else:
            layers = args.layers or (32 if device.type == "cuda" else 1)
            tokenizer_dir = ensure_converted("smollm2-135m", cache_dir)
            backbone = llama_shape_backbone(layers, args.device, tokenizer_dir)
        result["models"].append(bench_model(model_name, backbone, data, sizes))
        _write(out, result)  # a later failure keeps what was measured
        del backbone
        _free(device)
    if args.latency:
        on_gpu = device.type == "cuda"
        log("update latency: an in-process experiment")
        result["update_latency"] = update_latency(
            cache_dir,
            args.latency_backbone,
            args.device,
            strategies=("short_term", "fine_tune", "lsat_en") if on_gpu else ("short_term",),
            budget=SampleBudget(train_per_period=32, val_per_period=16, test_per_period=48)
            if on_gpu
            else SampleBudget(train_per_period=8, val_per_period=8, test_per_period=8),
            lora=LoraTrainConfig(
                micro_batch_size=8,
                accumulation_steps=2 if on_gpu else 1,
                epochs=1,
                eval_every=2,
                eval_batch_size=16 if on_gpu else 8,
            ),
            update_periods=(1, 2) if on_gpu else (1,),
        )
    _write(out, result)
    report(result)
    log(f"wrote {out}")
    return result


def _write(out: Path, result: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


NOTES = {
    "train_window": "from the end of optimizer step 1 (warm-up) to the end of the last step; no "
    "validation inside it on either side",
    "tokens": "samples/s x mean training sequence length (prompt + answer + EOS, no padding); "
    "scoring tokens count the prompt only",
    "mfu": "model FLOPs over the card's dense bf16 peak: 6 N tokens for training, 2 N tokens for "
    "scoring, N = all base parameters. A LoRA step on a frozen base computes no weight gradients "
    "(about 4 N per token; 5 N with the reference's checkpointing recompute), so training MFU "
    "in this convention overstates what the card did",
    "reference_scoring": "Trainer.predict at the reference's eval batch (the Trainer default, 8), "
    "full-vocabulary softmax at every position; its sequences carry the answer and EOS",
    "memory": "CUDA max_memory_allocated per phase; on CPU the process's peak RSS per phase "
    "(reset through /proc/self/clear_refs), which includes the loaded model",
}


if __name__ == "__main__":
    main()
