"""`lsat report EXPERIMENT...`: experiments side by side, with paired tests, as text or JSON.

The numbers are `lsat_core.evaluation.report.comparison_report`'s, the function the dashboard's
Compare page shares, over the store at LSAT_DATABASE_URL.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
import typer
from sqlalchemy import Engine

from lsat_core.evaluation.findings import check_findings
from lsat_core.evaluation.findings_reads import evidence_of
from lsat_core.evaluation.report import ComparisonReport, comparison_report
from lsat_core.settings import Settings
from lsat_core.store import make_engine, upgrade
from lsat_core.store.engine import read_scope
from lsat_core.store.queries import Comparison, comparison


def report(
    experiments: Annotated[list[int], typer.Argument(help="Experiment ids to set side by side.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Print each run's headline AUC and uAUC over the periods every run was tested on, and
    paired DeLong tests between every two runs scored on the same samples."""
    database_url = Settings.from_env().database_url
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        compared, computed = report_of(engine, experiments)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(report_json(compared, computed), indent=2))
    else:
        typer.echo(report_text(compared, computed) + "\n" + findings_text(compared))


def report_of(engine: Engine, experiment_ids: list[int]) -> tuple[Comparison, ComparisonReport]:
    with read_scope(engine) as session:
        compared = comparison(session, experiment_ids)
    return compared, comparison_report(
        compared.results, compared.predictions, compared.protocol, compared.num_periods
    )


def report_json(compared: Comparison, computed: ComparisonReport) -> dict[str, Any]:
    runs = compared.results.drop_duplicates("run_id").groupby("experiment_id")["run_id"]
    experiments = [
        {
            "id": e.id,
            "name": e.name,
            "status": str(e.status),
            "run_ids": sorted(int(i) for i in runs.get_group(e.id)) if e.id in runs.groups else [],
        }
        for e in compared.experiments
    ]
    return {"experiments": experiments} | computed.to_dict() | {"findings": findings_json(compared)}


def report_text(compared: Comparison, computed: ComparisonReport) -> str:
    names = ", ".join(f"{e.id} ({e.name})" for e in compared.experiments)
    periods = ", ".join(f"D_{e}" for e in sorted({e for _, e in computed.cells}))
    lines = [
        f"experiments {names}: {computed.protocol}, T = {computed.num_periods}",
        f"headline over {periods or 'no period'}"
        + ("" if computed.standard else f" ({computed.note})"),
        _table(computed.headline.set_index("run_id")),
        *_seed_lines(computed),
    ]
    if computed.paired.empty:
        lines.append(
            "paired tests: no two runs have kept predictions on the same samples"
            " (runs recorded before store revision 0002 kept none)"
        )
        return "\n".join(lines)
    lines += [
        f"paired DeLong tests, AUC(a) - AUC(b) pooled over the headline periods "
        f"(p_holm: Holm-adjusted over {len(computed.paired)} pairs):",
        _table(computed.paired.set_index(["run_a", "run_b"])),
        "per tested cell:",
        _table(computed.paired_cells.set_index(["run_a", "run_b", "train_period", "eval_period"])),
    ]
    return "\n".join(lines)


def findings_json(compared: Comparison) -> list[dict[str, Any]]:
    """The paper's findings on these experiments (`lsat_core.evaluation.findings`)."""
    return [finding.to_dict() for finding in check_findings([evidence_of(compared)])]


def findings_text(compared: Comparison) -> str:
    lines = ["findings (docs/method.md section 9):"]
    for finding in check_findings([evidence_of(compared)]):
        lines.append(f"- [{finding.verdict}] {finding.sentence}")
    return "\n".join(lines)


def _seed_lines(computed: ComparisonReport) -> list[str]:
    """The summary over seeds and the seed-with-seed tests, when some variant has several seeds
    (with one seed each they repeat the headline and the pairs above)."""
    if not (computed.seeds["seeds"] > 1).any():
        return []
    lines = [
        "over seeds (sd: sample standard deviation across seeds; per_seed: each seed's AUC):",
        _table(computed.seeds.set_index("variant")),
    ]
    if not computed.seed_paired.empty:
        lines += [
            "paired tests of variants, seed with seed, combined over seeds (docs/method.md "
            f"section 9; p_holm over {len(computed.seed_paired)} pairs):",
            _table(computed.seed_paired.set_index(["variant_a", "variant_b"])),
        ]
    return lines


def _table(frame: pd.DataFrame) -> str:
    # p-values far below 1e-4 still read as such, not as 0.
    p_columns = {name: "{:.2g}".format for name in ("p_value", "p_holm") if name in frame}
    rounded = frame.round({name: 4 for name in frame.columns if name not in p_columns})
    return rounded.to_string(formatters=p_columns)
