"""Progress bars for long CLI work: one tqdm bar per task, replaced when the task changes."""

from __future__ import annotations

from tqdm import tqdm


class TaskBars:
    """A `progress(what, done, total)` callable drawing a bar for the current task."""

    def __init__(self) -> None:
        self._what: str | None = None
        self._bar: tqdm | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if what != self._what or self._bar is None:
            self.close()
            self._what = what
            self._bar = tqdm(total=total, desc=what, unit="step", leave=False, dynamic_ncols=True)
        self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = None
        self._what = None
