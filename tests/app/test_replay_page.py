from __future__ import annotations

import pytest


def test_a_period_in_the_url_shows_its_statistics_and_the_auc_tested_so_far(
    run_page, app_env, chart_frames, download_names
) -> None:
    app = run_page("replay.py", stream=app_env.stream_id, period=4)

    assert not app.exception
    assert app.slider(key="period").value == 4
    metrics = {m.label: (m.value, m.delta) for m in app.metric}
    assert metrics["Samples"] == ("1,400", "+100")
    assert metrics["Users"] == ("104", "+1")
    assert metrics["Positive rate"] == ("54.0%", "+1.0%")
    assert metrics["Cold sample share"] == ("4.0%", "+1.0%")
    assert "D_4: 2001-04-01 to 2001-04-28" in app.caption[0].value
    stats, auc = chart_frames(app)
    assert sorted(set(stats["period"])) == [1, 2, 3, 4]
    users = stats[stats["statistic"] == "Users"].sort_values("period")["value"]
    assert users.tolist() == [101, 102, 103, 104]
    # Only the succeeded next-period run: the failed, running and fixed-target ones stay out.
    assert set(auc["label"]) == {"full_retrain"}
    assert auc.sort_values("eval_period")["auc"].tolist() == pytest.approx([0.72, 0.73, 0.74])
    assert download_names(app) == ["stream_stats", "replay_auc"]


def test_play_steps_to_the_last_period_and_stops(run_page, app_env) -> None:
    app = run_page("replay.py", stream=app_env.stream_id, period=5)
    app.button(key="replay_play").click().run()
    assert app.session_state["replay_playing"]
    assert app.button(key="replay_play").label == "Pause"

    app.session_state["replay_last_step"] = 0.0  # a step is due
    app.run()

    assert app.slider(key="period").value == 6
    assert not app.session_state["replay_playing"]
    assert app.button(key="replay_play").label == "Play"


def test_the_first_period_has_no_tested_auc_yet(run_page, app_env, chart_frames) -> None:
    app = run_page("replay.py", stream=app_env.stream_id)

    assert app.slider(key="period").value == 1
    assert {m.label: m.delta for m in app.metric}["Samples"] == ""  # nothing to compare with
    assert len(chart_frames(app)) == 1
    assert "No finished next-period run" in app.caption[-1].value
