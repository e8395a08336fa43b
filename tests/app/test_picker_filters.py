"""The experiment picker's filter (text, status, strategy, backbone, tags, archived) and the
monitor's tags, note, archive and delete controls."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from app.experiment_picker import CatalogFilter
from lsat_core.store import make_engine, session_scope
from lsat_core.store.experiment_admin import add_tags, set_archived, tags_by_experiment
from lsat_core.store.models import Experiment

CATALOG = pd.DataFrame.from_records(
    [
        {
            "id": 3,
            "name": "Quick check",
            "status": "running",
            "archived": False,
            "note": "",
            "tags": ("smoke",),
            "strategies": ("short_term",),
            "backbones": ("tiny",),
        },
        {
            "id": 2,
            "name": "paper run",
            "status": "succeeded",
            "archived": False,
            "note": "lr 1e-3 diverged",
            "tags": ("paper", "v2"),
            "strategies": ("lsat_en", "mf:full_retrain"),
            "backbones": ("smollm2-135m",),
        },
        {
            "id": 1,
            "name": "old",
            "status": "failed",
            "archived": True,
            "note": "",
            "tags": ("paper",),
            "strategies": ("lsat_en",),
            "backbones": ("smollm2-135m",),
        },
    ]
)


def _ids(wanted: CatalogFilter) -> list[int]:
    return wanted.apply(CATALOG)["id"].tolist()


def test_the_filter_by_each_field() -> None:
    assert _ids(CatalogFilter()) == [3, 2]  # archived hidden
    assert _ids(CatalogFilter(archived=True)) == [3, 2, 1]
    assert _ids(CatalogFilter(text="QUICK")) == [3]
    assert _ids(CatalogFilter(text="diverged")) == [2]  # the note
    assert _ids(CatalogFilter(text="pap", archived=True)) == [2, 1]  # name or tag
    assert _ids(CatalogFilter(statuses=("succeeded", "running"))) == [3, 2]
    assert _ids(CatalogFilter(strategies=("lsat_en",), archived=True)) == [2, 1]
    assert _ids(CatalogFilter(backbones=("tiny",))) == [3]
    assert _ids(CatalogFilter(tags=("paper", "v2"), archived=True)) == [2]  # all of them
    assert _ids(CatalogFilter(tags=("nothing",))) == []


def _monitor(app_dir: Path, **query: int) -> AppTest:
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params.update({name: str(value) for name, value in query.items()})
    return app.run()


def test_the_picker_hides_archived_filters_by_tag_and_shows_tags(
    private_app_env, app_dir: Path
) -> None:
    store = private_app_env
    engine = make_engine(store.url)
    with session_scope(engine) as session:
        add_tags(session, store.next_experiment_id, ["paper"])
        set_archived(session, store.fixed_experiment_id, True)
    engine.dispose()

    app = _monitor(app_dir)
    assert "1 of 2 experiments shown (archived ones hidden)." in [c.value for c in app.caption]
    assert app.selectbox(key="select_experiment").options == [
        f"#{store.next_experiment_id} next · next-period · "
        + app.selectbox(key="select_experiment").options[0].rsplit(" · ", 1)[1]
    ]
    # Badges are markdown: the tag shows under the chooser.
    assert any("badge[" in m.value and "paper]" in m.value for m in app.markdown)

    app.toggle(key="picker_archived").set_value(True).run()
    assert len(app.selectbox(key="select_experiment").options) == 2
    app.multiselect(key="picker_tags").set_value(["paper"]).run()
    assert [o.split(" ")[0] for o in app.selectbox(key="select_experiment").options] == [
        f"#{store.next_experiment_id}"
    ]
    assert "1 of 2 experiments shown." in [c.value for c in app.caption]
    app.text_input(key="picker_text").input("no such thing").run()
    assert [i.value for i in app.info] == ["No experiment matches the filter (of 2 in the store)."]


def test_tags_and_note_are_saved_from_the_monitor_then_it_is_deleted(
    private_app_env, app_dir: Path
) -> None:
    store = private_app_env
    experiment_id = store.fixed_experiment_id  # succeeded: it may be deleted
    app = _monitor(app_dir, experiment=experiment_id)
    app.multiselect(key=f"labels_tags_{experiment_id}").set_value(["Paper", "v2"])
    app.text_area(key=f"labels_note_{experiment_id}").input("the final figures")
    app.button(key="labels_save").click().run()
    assert not app.exception and [s.value for s in app.success] == ["Experiment saved."]
    engine = make_engine(store.url)
    with session_scope(engine) as session:
        assert tags_by_experiment(session) == {experiment_id: ("paper", "v2")}
        assert session.get_one(Experiment, experiment_id).note == "the final figures"

    app.button(key="labels_delete").click().run()
    app.button(key="labels_delete_confirm").click().run()
    assert not app.exception
    assert [s.value for s in app.success] == [
        f"Experiment #{experiment_id} deleted: 2 runs and 0 models; 0 shared runs kept."
    ]
    with session_scope(engine) as session:
        assert session.get(Experiment, experiment_id) is None
    engine.dispose()
    assert app.selectbox(key="select_experiment").value == store.next_experiment_id


def test_a_bad_tag_typed_in_the_monitor_is_one_clear_error(private_app_env, app_dir: Path) -> None:
    experiment_id = private_app_env.fixed_experiment_id
    app = _monitor(app_dir, experiment=experiment_id)
    app.multiselect(key=f"labels_tags_{experiment_id}").set_value(["two words"])
    app.button(key="labels_save").click().run()
    assert [e.value for e in app.error] == [
        "tag: 'two words' is not a tag: use 1 to 64 lower case letters, digits and _ . : / + - "
        "(starting with a letter or digit)"
    ]
