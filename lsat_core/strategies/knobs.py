"""A strategy's knob: one setting of the experiment config that the strategy reads, declared in
the strategy's own module (its `knobs`) with the names users set it by. The `lsat run` /
`lsat submit` options and the launch form's fields are made from these declarations
(`lsat_core.runner.option_names`), so a new strategy's knob reaches both with no other change.
No torch here: the dashboard reads the declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.merge_refresh_config import MergeRefreshConfig
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.errors import ConfigError

Section = Literal["updates", "merge_refresh"]
SECTIONS: dict[str, type[UpdateSettings] | type[MergeRefreshConfig]] = {
    "updates": UpdateSettings,
    "merge_refresh": MergeRefreshConfig,
}
"""The `ExperimentConfig` fields that hold strategies' knobs, with their classes."""
KnobValue = float | int | str


@dataclass(frozen=True)
class Knob:
    section: Section
    field: str
    """The setting's field in `ExperimentConfig.<section>`; also the `where` of its errors."""
    option: str
    """The `lsat run` / `lsat submit` option, e.g. `--replay-share`."""
    label: str
    """The launch form's field."""
    help: str
    """What it does, standing on its own (the default is added where it is shown)."""
    kind: type[float] | type[int] | type[str] = float
    choices: tuple[str, ...] = ()
    """For a `str` knob: the values it may take."""
    zero_means: str | None = None
    """Where the config's None (e.g. "one period's size") is typed as 0: what 0 stands for."""
    none_word: str | None = None
    """Where the config's None is typed as a word because 0 is a value of its own (proximal's
    `search`, mu = 0 being plain fine-tuning): the word. Such a knob is typed as text, the word
    or a number of `kind`, so a value read back from a config types the same config again."""
    step: float = 0.1
    """The form's increment."""

    @property
    def typed_kind(self) -> type[float] | type[int] | type[str]:
        """What users type it as: text for a knob with a word, else its `kind`."""
        return str if self.none_word is not None else self.kind

    @property
    def default(self) -> KnobValue:
        """Its value in a config that does not set it, as users type it."""
        return self.typed(SECTIONS[self.section]())

    def typed(self, settings: object) -> KnobValue:
        """Its value in `settings` (an `ExperimentConfig` or its section), as users type it."""
        if isinstance(settings, ExperimentConfig):
            settings = getattr(settings, self.section)
        value = getattr(settings, self.field)
        if self.none_word is not None:
            return self.none_word if value is None else _number_text(value)
        return 0 if value is None and self.zero_means is not None else value

    def config_value(self, typed: KnobValue) -> KnobValue | None:
        """The config's value of what a user typed (0 -> None where 0 stands for the default,
        the word -> None where there is one)."""
        if self.none_word is not None:
            return self._worded_value(typed)
        return None if self.zero_means is not None and typed == 0 else typed

    def _worded_value(self, typed: KnobValue) -> KnobValue | None:
        if not isinstance(typed, str):
            return typed
        text = typed.strip()
        if text == self.none_word:
            return None
        try:
            return self.kind(text)
        except ValueError:
            raise ConfigError(
                f"must be {self.none_word} or a number, got {typed!r}", where=self.field
            ) from None


def _number_text(value: float | int) -> str:
    """A number as text that reads back as the same number: 2.0 -> "2", 0.1 -> "0.1"."""
    return repr(value).removesuffix(".0")
