"""The held-out-items protocol on ML-1M, through the ordinary run path, and its cold-item AUCs.

    python bench/bench_heldout_protocol.py [--strategies mf:full_retrain,...] [--data-dir DIR]

Runs the strategies in process (`lsat_core.runner.in_process.run_experiment`, what `lsat run`
does) with protocol held-out-items and the paper preset's settings, in the store of `--data-dir`
(a finished run with the same config is reused, not retrained), then prints per run the AUC with
its DeLong interval and the uAUC on the cold samples of D_16..D_20 and the AUC on warm ones, and
the findings (docs/method.md sections 4 and 9).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.evaluation.findings import check_findings
from lsat_core.evaluation.findings_reads import findings_evidence
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.protocols import HELD_OUT_ITEMS
from lsat_core.evaluation.user_auc import user_auc
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import read_scope
from lsat_core.store.predictions import predictions_frame
from lsat_core.store.queries import list_runs

CLASSIC = "mf:full_retrain,gru4rec:full_retrain,deepmusic:full_retrain,popularity,logreg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default=CLASSIC)
    parser.add_argument("--data-dir", type=Path, help="default: the settings' data folder")
    args = parser.parse_args()
    settings = Settings.for_data_dir(args.data_dir) if args.data_dir else Settings.from_env()
    config = ExperimentConfig(strategies=tuple(args.strategies.split(",")), protocol=HELD_OUT_ITEMS)
    started = time.perf_counter()
    engine, prepared = run_experiment(config, settings, name="held-out-items bench")
    print(f"experiment {prepared.experiment_id}: {time.perf_counter() - started:.0f} s")
    with read_scope(engine) as session:
        runs = {run.id: run.strategy for run in list_runs(session, prepared.experiment_id)}
        kept = predictions_frame(session, list(runs))
        evidence = findings_evidence(session, [prepared.experiment_id])
    for run_id, rows in kept.groupby("run_id"):
        cold, warm = rows[~rows["warm"]], rows[rows["warm"]]
        auc = auc_with_ci(cold["label"], cold["score"])
        per_user = user_auc(cold["user"], cold["label"], cold["score"])
        warm_auc = auc_with_ci(warm["label"], warm["score"]).auc
        print(
            f"{runs[run_id]:24} cold n {auc.n:,}: AUC {auc.auc:.4f} [{auc.ci_low:.4f}, "
            f"{auc.ci_high:.4f}], uAUC {per_user.uauc:.4f} ({per_user.users} users) | "
            f"warm AUC {warm_auc:.4f}"
        )
    for finding in check_findings(evidence):
        print(f"[{finding.verdict}] {finding.sentence}")


if __name__ == "__main__":
    main()
