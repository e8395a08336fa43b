"""Update strategies: one module each, listed in `registry` (importable without torch)."""
