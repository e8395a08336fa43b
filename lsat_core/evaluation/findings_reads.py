"""The evidence of the findings from the store: the chosen experiments, grouped by protocol.

Finding 2 reads held-out-items or cold-warm experiments while findings 1 and 3 read next-period
ones, so the experiments of one check may differ in protocol; each group is read by the store's
`comparison`, as the Compare page and `lsat report` read theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.evaluation.findings import Evidence
from lsat_core.store.models import Experiment
from lsat_core.store.queries import Comparison, comparison


def evidence_of(compared: Comparison) -> Evidence:
    return Evidence(compared.protocol, compared.results, compared.predictions)


def findings_evidence(session: Session, experiment_ids: Sequence[int]) -> list[Evidence]:
    """One `Evidence` per protocol among these experiments, in the order first met; an
    InputError names a missing experiment or a protocol whose experiments differ in length."""
    groups: dict[str, list[int]] = {}
    for experiment_id in experiment_ids:
        experiment = session.get(Experiment, experiment_id)
        if experiment is None:
            raise InputError(f"no experiment {experiment_id} in the store", where="experiment")
        groups.setdefault(experiment.protocol, []).append(experiment_id)
    return [evidence_of(comparison(session, ids)) for ids in groups.values()]
