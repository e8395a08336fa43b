"""Interaction data: sources (ratings + titles), the period stream built from them, prompts.

- `sources/`: one reader per on-disk format, each yielding a `RatingsData`.
- `datasets.py`: the named datasets (`DATASETS`) and `load_stream(name, cache_dir)`.
- `stream_config.py`, `build.py`, `stream.py`: the stream's settings, its builder
  (docs/method.md section 1) and the `Stream` with its per-period slices.
- `cache.py`: built streams kept as Parquet under cache_dir/streams/<key>/.
- `stats.py`: per-period statistics. `prompts.py`: the TALLRec prompts of samples.
"""
