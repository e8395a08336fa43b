"""Errors a user can act on: one line that names the file, field or value at fault."""

from __future__ import annotations

from pathlib import Path


class LsatError(Exception):
    """Base of every error the CLI prints as one line (exit code 2) instead of a traceback."""


class InputError(LsatError):
    """Bad user input: a data file, a column, a value, a name or a number out of range.

    `where` is the file (or form field, or config field) at fault and is put first in the
    message, so the one-line error always says where to look.
    """

    def __init__(self, message: str, *, where: str | Path | None = None) -> None:
        self.where = str(where) if where is not None else None
        super().__init__(f"{self.where}: {message}" if self.where else message)


class ConfigError(InputError):
    """A configuration value that is unknown, out of range or inconsistent with another."""
