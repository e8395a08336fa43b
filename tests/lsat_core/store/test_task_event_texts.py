"""A task's event texts read back as they were written (`task_event_texts`)."""

from __future__ import annotations

from lsat_core.store import task_event_texts as texts


def test_written_texts_read_back() -> None:
    what = texts.train("lora:short@2 seed 0")
    assert texts.queued_what(texts.queued("cpu", what)) == what
    assert texts.queued_what(texts.started(what, "host")) is None
    assert texts.is_started(texts.started(what, "host"))
    trained = texts.finished(what, "best validation AUC 0.7, 40 samples in 1.0 s")
    reused = texts.finished(what, texts.ALREADY_TRAINED)
    skipped = texts.skipped(what, "no active run needs it")
    assert all(texts.is_ended(m) for m in (trained, reused, skipped, texts.finished("x")))
    assert [texts.is_reused(m) for m in (trained, reused, skipped)] == [False, True, False]
    assert texts.trained_label(trained) == "lora:short@2 seed 0"
    assert texts.trained_label(reused) is None and texts.trained_label(skipped) is None
    evaluation = texts.evaluate("lsat_en", 2)
    assert texts.trained_label(texts.finished(evaluation, "run succeeded")) is None
    assert texts.started(evaluation, "h") == "started evaluate lsat_en at t=2 on h"
    shared = texts.train("lora:fine_tune@1 seed 0", ["full@1", "short@1"])
    assert shared == "train lora:fine_tune@1 seed 0 (also full@1, short@1)"
    assert texts.queued_what(texts.queued("gpu", shared)) == shared
