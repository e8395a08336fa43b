"""LSAT Studio core library: data stream, LLM recommender, strategies, evaluation, run store.

Nothing here knows about Celery or Streamlit, reads the environment at import or touches a GPU
at import; callers pass a `Settings` (see `lsat_core.settings`) where paths are needed.
"""

__version__ = "0.1.0"
