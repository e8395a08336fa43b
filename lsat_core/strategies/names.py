"""Strategy names, importable without torch (the dashboard validates forms with them)."""

LLM_STRATEGIES = (
    "full_retrain",
    "fine_tune",
    "short_term",
    "long_term",
    "lsat_en",
    "lsat_ta",
    "lsat_en_full",
)
"""Update strategies of the TALLRec LoRA recommender (docs/method.md section 3)."""

CLASSIC_BASELINES = ("mf", "deepmusic", "gru4rec", "caser", "sasrec")
"""The classic baselines of docs/method.md section 5 (the keys of `lsat_core.baselines.registry`)."""

CLASSIC_UPDATES = ("full_retrain", "fine_tune")
"""How a classic baseline is updated at period t (docs/method.md section 5: each with both)."""


def classic_strategy_name(baseline: str, update: str) -> str:
    """ "mf:full_retrain", "sasrec:fine_tune", ...: the baseline, then its update strategy."""
    return f"{baseline}:{update}"


CLASSIC_STRATEGIES = tuple(
    classic_strategy_name(baseline, update)
    for baseline in CLASSIC_BASELINES
    for update in CLASSIC_UPDATES
)

IN_CONTEXT = "in_context"
"""The untuned base LLM prompted with the user's latest interactions (docs/method.md section 5)."""

STRATEGY_NAMES = (*LLM_STRATEGIES, *CLASSIC_STRATEGIES, IN_CONTEXT)
"""Every strategy an experiment may compare, in the order the registry holds them."""
