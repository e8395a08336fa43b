"""The `lsat` command line: thin commands over `lsat_core` (and, for `up`/`worker`, `worker`)."""
