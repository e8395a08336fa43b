"""Update strategies: one module each; the registry is in `registry`, the names in `names`."""
