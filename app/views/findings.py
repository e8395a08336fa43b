"""Findings: whether the paper's three findings hold on the chosen experiments.

Each finding is a sentence with its numbers, a verdict (supported, contradicted, not enough
evidence) and the paired tests it rests on, computed by `lsat_core.evaluation.findings`, the
function `lsat report` prints (docs/method.md section 9).
"""

import streamlit as st

from app import findings_reads
from app.experiments_choice import choose_experiments
from app.widgets import csv_download
from lsat_core.errors import InputError
from lsat_core.evaluation.findings import CONTRADICTED, SUPPORTED, THRESHOLDS

VERDICT_COLORS = {SUPPORTED: "green", CONTRADICTED: "red"}  # not enough evidence: gray
NUMBER_FORMATS = {
    **{
        name: st.column_config.NumberColumn(format="%.4f")
        for name in ("estimate", "ci_low", "ci_high", "uauc")
    },
    **{name: st.column_config.NumberColumn(format="%.2e") for name in ("p_value", "p_holm")},
    "uauc_users": st.column_config.NumberColumn(format="%d"),
}

st.header("Findings")
st.caption(
    "The paper's findings (Shi et al., CIKM 2024) checked on the chosen experiments' kept "
    "predictions with paired DeLong tests, Holm-adjusted within each finding. Finding 1 and 3 "
    "read next-period experiments (else fixed-target), finding 2 held-out-items experiments "
    f"(else cold-warm, else next-period). Thresholds: alpha {THRESHOLDS.alpha}, a difference "
    f"inside +-{THRESHOLDS.negligible} is negligible, a cold AUC inside "
    f"0.5 +- {THRESHOLDS.near_chance} is near 0.5, at least {THRESHOLDS.min_paired_samples} "
    "samples per test (docs/method.md section 9)."
)
chosen = choose_experiments()
if not chosen:
    if chosen is not None:
        st.info("Choose at least one experiment.")
    st.stop()
try:
    found = findings_reads.findings(chosen)
except InputError as exc:
    st.error(f"These experiments cannot be read together: {exc}")
    st.stop()

for finding in found:
    with st.container(border=True):
        st.subheader(f"Finding {finding.number}: {finding.claim}")
        st.badge(finding.verdict, color=VERDICT_COLORS.get(finding.verdict, "gray"))
        st.write(finding.sentence)
        if finding.protocol is not None:
            st.caption(f"Tests on the {finding.protocol} experiments among those chosen.")
        if not finding.tests.empty:
            shown = finding.tests.dropna(axis="columns", how="all")  # uAUC: finding 2 only
            st.dataframe(shown, hide_index=True, column_config=NUMBER_FORMATS)
            csv_download(finding.tests, f"finding_{finding.number}")
