"""How much of what a fine-tuned classic model knew of absent users survives one update: the
mean norm of the user rows of users absent from the update's training data, before and after
(docs/method.md section 5, weight decay on touched rows only).

    python bench/absent_rows.py --store DIR [--model mf] [--periods 10,15]

DIR is the data dir of an experiment that ran `<model>:fine_tune` on ML-1M with whole periods
(e.g. `bench/bench_update_variants.py --data-dir DIR --models mf`); the models are read from its
artifacts folder, one fine-tuned model per period.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lsat_core.baselines.registry import load_baseline
from lsat_core.data.datasets import load_stream
from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.sample_sets import period_part
from lsat_core.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--model", default="mf")
    parser.add_argument("--periods", default="10,15")
    args = parser.parse_args()
    settings = Settings.for_data_dir(args.store)
    stream = load_stream("ml-1m", settings.cache_dir)

    def fine_tuned(t: int):
        (path,) = (settings.artifacts_dir / "models").glob(
            f"{args.model}-t{t}-*/*/model.safetensors"
        )
        return load_baseline(path)

    for t in (int(p) for p in args.periods.split(",")):
        before, after = fine_tuned(t - 1), fine_tuned(t)
        trained = set(period_part(stream, SampleBudget(), t, "train").frame["user"])
        trained |= set(period_part(stream, SampleBudget(), t - 1, "val").frame["user"])
        absent = [user for user in before.users.ids if user not in trained]
        norms = [
            float(
                model.network.state_dict()["user_embedding.weight"][model.users.lookup(absent)]
                .norm(dim=1)
                .mean()
            )
            for model in (before, after)
        ]
        print(
            json.dumps(
                {
                    "t": t,
                    "absent_users": len(absent),
                    "known_users": len(before.users.ids),
                    "mean_row_norm_before": round(norms[0], 4),
                    "mean_row_norm_after": round(norms[1], 4),
                }
            )
        )


if __name__ == "__main__":
    main()
