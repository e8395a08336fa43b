"""Interaction data: sources (ratings + titles), the period stream built from them, prompts."""
