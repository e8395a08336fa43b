"""Launch a comparison: dataset, protocol, strategies, backbone, a preset and its main knobs,
the knobs of the chosen strategies (each shown while a strategy that reads it is chosen), checked
as they are typed, with an estimate of the work; the experiment is queued for the workers
and followed on the Run monitor. A past experiment's configuration can fill the form, to be
edited and launched as a new experiment.
"""

from __future__ import annotations

import streamlit as st

from app import experiment_records, launch_form, service, work_estimate
from app.launch_form import Knobs, LaunchForm
from app.widgets import format_seconds
from lsat_core.configs import config_to_dict
from lsat_core.data.datasets import DATASETS
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.presets import PRESETS, preset_strategies
from lsat_core.errors import InputError, LsatError
from lsat_core.evaluation.protocols import PROTOCOLS
from lsat_core.evaluation.resolution import resolution
from lsat_core.llm.configs import BackboneConfig
from lsat_core.llm.gguf_backbones import GGUF_BACKBONES
from lsat_core.runner.option_names import knobs_of, strategies_using, strategy_knobs, user_name
from lsat_core.strategies.knobs import Knob, KnobValue
from lsat_core.strategies.registry import STRATEGIES

# Module-level strings would be drawn on the page (Streamlit's "magic"): notes are comments here.
# Widget keys of the knobs, by Knobs field; a new preset, dataset or protocol resets them.
KNOB_KEYS = {name: f"launch_{name}" for name in Knobs.__dataclass_fields__}
# Widget key of a strategy's knob, by config field (the registry's knobs are read at call time).
STRATEGY_KNOB_KEY = "launch_knob_{}"
LAUNCHED_KEY = "launch_experiment_id"
CLONE_KEY = "launch_clone"
BASE_KEY = "launch_base"
# The stored config the form was filled from (its id and config dict); a new preset, dataset or
# protocol drops it, as it resets the knobs.
M_HELP = (
    "m: LSAT's long-term LoRA is the full-retraining LoRA of period m (trained on D_1..D_m), "
    "frozen from then on; before m, full retraining at t stands in for it."
)


def _choices() -> tuple[str, str, str]:
    columns = st.columns(3)
    dataset = columns[0].selectbox("Dataset", DATASETS, key="launch_dataset", on_change=_reset)
    protocol = columns[1].selectbox("Protocol", PROTOCOLS, key="launch_protocol", on_change=_reset)
    preset = columns[2].selectbox(
        "Preset",
        PRESETS,
        key="launch_preset",
        on_change=_reset_preset,
        help="quick: sized for a 2-core CPU (at most 20 minutes): one update period tested on "
        "448 samples, the floors and two classic models beside the LLM; "
        "paper: the paper's full protocol (every sample and period).",
    )
    return dataset, protocol, preset


def _reset() -> None:
    """Put the chosen preset's values into the knobs."""
    state = st.session_state
    state.pop(BASE_KEY, None)
    for name in strategy_knobs():
        state.pop(STRATEGY_KNOB_KEY.format(name), None)  # drawn again from the preset's config
    knobs, _ = launch_form.preset_defaults(
        state["launch_preset"], state["launch_dataset"], state["launch_protocol"]
    )
    for name, key in KNOB_KEYS.items():
        state[key] = getattr(knobs, name)


def _reset_preset() -> None:
    """A new preset: its knobs and its strategies."""
    _reset()
    st.session_state["launch_strategies"] = _preset_strategies(st.session_state["launch_preset"])


def _preset_strategies(preset: str) -> list[str]:
    return [s for s in preset_strategies(preset) if s in STRATEGIES]


def _knobs(defaults: Knobs, preset_config: ExperimentConfig) -> tuple[Knobs, str]:
    if any(key not in st.session_state for key in KNOB_KEYS.values()):
        _reset()
    periods = preset_config.update_periods
    st.caption(
        f"Preset {preset_config.preset}: m = {defaults.m}, update periods "
        f"{', '.join(map(str, periods)) if periods else 'all'}, LoRA rank {defaults.rank}, "
        f"learning rate {defaults.learning_rate:g}, at most {defaults.epochs} "
        f"epoch{'s' if defaults.epochs != 1 else ''}, "
        f"samples per period {_samples(defaults.train_samples)} train / "
        f"{_samples(defaults.val_samples)} validation / {_samples(defaults.test_samples)} test."
    )
    row = st.columns(5)
    m = row[0].number_input(
        user_name("long_term_period", "form"), min_value=1, step=1, key=KNOB_KEYS["m"], help=M_HELP
    )
    update_periods = row[1].text_input(
        "Update periods",
        key="launch_update_periods",
        placeholder="the preset's",
        help="Comma-separated periods t whose updated models are tested; empty: the preset's "
        "(quick: m + 1).",
    )
    rank = row[2].number_input("LoRA rank", min_value=1, step=1, key=KNOB_KEYS["rank"])
    learning_rate = row[3].number_input(
        "Learning rate", min_value=0.0, step=1e-4, format="%.1e", key=KNOB_KEYS["learning_rate"]
    )
    epochs = row[4].number_input("Epochs", min_value=1, step=1, key=KNOB_KEYS["epochs"])
    budget_columns = st.columns(3)
    samples = [
        column.number_input(
            f"{label} samples per period",
            min_value=0,
            step=8,
            key=KNOB_KEYS[name],
            help="0: the whole part of every period (the paper); else at least 8.",
        )
        for column, (name, label) in zip(
            budget_columns,
            (("train_samples", "Train"), ("val_samples", "Validation"), ("test_samples", "Test")),
            strict=True,
        )
    ]
    knobs = Knobs(int(m), int(rank), float(learning_rate), int(epochs), *map(int, samples))
    return knobs, update_periods


def _strategy_knobs(strategies: list[str], start: ExperimentConfig) -> dict[str, KnobValue]:
    """The knobs of the chosen strategies, each shown only while a strategy that reads it is
    chosen; a knob first shown takes its value from `start` (the cloned or the preset's config)."""
    knobs = knobs_of(strategies)
    if not knobs:
        return {}
    st.caption("Settings of the chosen strategies (docs/method.md section 3).")
    values: dict[str, KnobValue] = {}
    per_row = 4
    for index, (name, knob) in enumerate(knobs.items()):
        if index % per_row == 0:
            row = st.columns(per_row)
        key = STRATEGY_KNOB_KEY.format(name)
        if key not in st.session_state:
            st.session_state[key] = knob.typed_kind(knob.typed(start))
        values[name] = _knob_widget(row[index % per_row], name, knob, key)
    return values


def _knob_widget(column, name: str, knob: Knob, key: str) -> KnobValue:
    label = user_name(name, "form")
    help_text = f"{knob.help}\n\nRead by {', '.join(strategies_using(name))}."
    if knob.choices:
        return column.selectbox(label, knob.choices, key=key, help=help_text)
    if knob.none_word is not None:
        # Its word or a number, read by the config builder (an error names this field).
        return column.text_input(label, key=key, help=help_text)
    step = knob.kind(knob.step)
    number_format = "%d" if knob.kind is int else "%g"
    value = column.number_input(label, step=step, format=number_format, key=key, help=help_text)
    return knob.kind(value)


def _samples(count: int) -> str:
    return "all" if count == 0 else str(count)


def _estimate(config: ExperimentConfig) -> None:
    sizes = service.stream_sizes(config.dataset, config_to_dict(config.stream))
    work = work_estimate.estimate_work(config, sizes)
    # Rates this machine measured with this backbone when the store has them, else the defaults.
    rates = (
        experiment_records.measured_local_rates(config.backbone.name_or_path)
        or work_estimate.local_rates()
    )
    columns = st.columns(5)
    columns[0].metric("LoRA adapters to train", work.llm_models)
    columns[1].metric("Classic models to train", work.classic_models)
    columns[2].metric("Samples to train on", _count(work.samples_trained))
    columns[3].metric("Prompts to score", _count(work.prompts_scored))
    seconds = work.seconds(rates)
    columns[4].metric("Rough time", "?" if seconds is None else format_seconds(seconds))
    st.caption(
        f"{work.updates} updates to test. Upper bounds (early stopping may end training sooner, "
        "and a fine-tuning that keeps the model it started from is not scored again) "
        f"at SmolLM2-135M's speed on {rates.hardware}: {rates.prompts_per_second:,.1f} prompts "
        f"scored and {rates.samples_trained_per_second:,.1f} samples trained a second "
        f"({rates.source}); larger backbones are slower, loading the backbone adds about 20 s "
        "the first time, and classic baselines (cheap) are not counted in the time."
    )
    tested = work_estimate.samples_tested(config, sizes)
    if tested:
        st.caption(resolution(tested).sentence())
    if sizes is None and seconds is None:
        st.caption(
            "The periods' sizes are known once the stream is built: launch any experiment on "
            "this dataset, or set sample budgets."
        )


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _clone_picker() -> None:
    """Pick a past experiment whose stored configuration fills the form."""
    experiments = service.experiments()
    if experiments.empty:
        return
    labels = {row.id: f"#{row.id} {row.name} ({row.status})" for row in experiments.itertuples()}
    chosen_before = st.session_state.get(CLONE_KEY) is not None
    with st.expander("Start from a past experiment", expanded=chosen_before):
        columns = st.columns([3, 1], vertical_alignment="bottom")
        chosen = columns[0].selectbox(
            "Experiment",
            list(labels),
            index=None,
            format_func=labels.get,
            key=CLONE_KEY,
            placeholder="an experiment to copy",
        )
        columns[1].button(
            "Fill the form",
            key="launch_clone_fill",
            disabled=chosen is None,
            on_click=_fill_from,
            args=(chosen,),
            help="Every field of the form from its stored configuration; what the form does not "
            "show (other training settings) is kept from it too.",
        )


def _fill_from(experiment_id: int) -> None:
    """Put a stored experiment's configuration into the form's fields (before they are drawn)."""
    stored = service.stored_config(experiment_id)
    try:
        config = ExperimentConfig.from_dict(stored or {})
    except (InputError, TypeError, ValueError) as exc:
        st.session_state["launch_clone_error"] = (
            f"Experiment #{experiment_id}'s configuration cannot be read by this version: {exc}"
        )
        return
    form = launch_form.cloned_form(config)
    state = st.session_state
    state.update(
        {
            "launch_dataset": form.dataset,
            "launch_protocol": form.protocol,
            "launch_strategies": [s for s in form.strategies if s in STRATEGIES],
            "launch_backbone": form.backbone,
            "launch_update_periods": form.update_periods,
            "launch_seeds": form.seeds,
            BASE_KEY: (experiment_id, config.to_dict()),
        }
    )
    if form.preset in PRESETS:
        state["launch_preset"] = form.preset
    for name, key in KNOB_KEYS.items():
        state[key] = getattr(form.knobs, name)
    for name in strategy_knobs():
        state.pop(STRATEGY_KNOB_KEY.format(name), None)
    for name, value in form.knob_values.items():
        state[STRATEGY_KNOB_KEY.format(name)] = value


def _base() -> ExperimentConfig | None:
    """The stored config the form was filled from, said so on the page."""
    error = st.session_state.pop("launch_clone_error", None)
    if error:
        st.error(error)
    if BASE_KEY not in st.session_state:
        return None
    experiment_id, stored = st.session_state[BASE_KEY]
    st.caption(
        f"Filled from experiment #{experiment_id}: edit any field; settings the form does not "
        "show are kept from it. A new dataset, protocol or preset starts from the preset again."
    )
    return ExperimentConfig.from_dict(stored)


def _launch(config: ExperimentConfig, name: str) -> None:
    try:
        st.session_state[LAUNCHED_KEY] = service.submit_experiment(config.to_dict(), name)
    except LsatError as exc:
        st.session_state.pop(LAUNCHED_KEY, None)
        st.error(f"Not launched: {exc}")


def _launched() -> None:
    experiment_id = st.session_state.get(LAUNCHED_KEY)
    if experiment_id is None:
        return
    st.success(f"Experiment #{experiment_id} is queued.")
    st.page_link(
        "views/monitor.py",
        label=f"Follow experiment #{experiment_id} on the Run monitor",
        icon=":material/monitoring:",
        query_params={"experiment": str(experiment_id)},
    )


st.header("Launch a comparison")
_clone_picker()
base = _base()
dataset, protocol, preset = _choices()
strategies = st.multiselect(
    "Strategies",
    tuple(STRATEGIES),
    default=_preset_strategies(preset),
    key="launch_strategies",
    help="How the model is updated at the end of each period t: LLM (LoRA) update strategies, "
    "classic recommenders as <model>:<update> (full_retrain or fine_tune), and in_context, the "
    "untuned LLM prompted with the user's history:\n\n"
    + "\n".join(f"- {name}: {s.summary}" for name, s in STRATEGIES.items()),
)
backbone = st.text_input(
    "Backbone",
    value=BackboneConfig().name_or_path,
    key="launch_backbone",
    help="A registered offline backbone ("
    + ", ".join(f"{name}: {b.licence}" for name, b in GGUF_BACKBONES.items())
    + "), a hub id, or a model folder inside the data dir (a relative path is read from there).",
)
defaults, preset_base = launch_form.preset_defaults(preset, dataset, protocol)
knobs, update_periods = _knobs(defaults, preset_base)
knob_values = _strategy_knobs(strategies, base or preset_base)
columns = st.columns(2)
seeds = columns[0].text_input(
    user_name("seeds", "form"),
    value="0",
    key="launch_seeds",
    help="Comma-separated seeds, e.g. 0,1,2: every strategy runs once per seed, all on the same "
    "samples (drawn with the first), so runs pair seed with seed; k seeds are k times the work.",
)
form = LaunchForm(
    dataset,
    protocol,
    preset,
    tuple(strategies),
    backbone,
    knobs,
    update_periods,
    seeds,
    knob_values,
    base,
)
name = columns[1].text_input("Name", key="launch_name", placeholder=launch_form.default_name(form))
settings = service.settings()
try:
    config: ExperimentConfig | None = launch_form.experiment_config(
        form, settings.data_dir, settings.limits
    )
except InputError as exc:
    config = None
    st.error(str(exc), icon=":material/error:")
st.subheader("Work")
if config is not None:
    _estimate(config)
if st.button(
    "Launch", type="primary", disabled=config is None, key="launch_submit", icon=":material/send:"
):
    assert config is not None
    _launch(config, name.strip() or launch_form.default_name(form))
_launched()
