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
