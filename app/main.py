"""LSAT Studio's dashboard: `streamlit run app/main.py`. Builds the navigation, nothing else.

The pages live in `views/` and read the run store through `app.service`; none imports torch.
Which pages a session gets depends on `app.auth`: only the sign-in page until it signs in when a
password is set, and no Launch page when the dashboard is read-only.
"""

import streamlit as st

from app import auth, service

st.set_page_config(page_title="LSAT Studio", layout="wide")
settings = service.settings()
access = auth.access(settings)


def sign_in() -> None:
    auth.sign_in_form(settings)


if access is auth.Access.LOCKED:
    st.navigation([st.Page(sign_in, title="Sign in", icon=":material/lock:")]).run()
    st.stop()
if access is auth.Access.READ_ONLY:
    auth.read_only_banner()
elif settings.dashboard_password:
    st.sidebar.button("Sign out", icon=":material/logout:", on_click=auth.sign_out)
launch = [st.Page("views/launch.py", title="Launch", icon=":material/rocket_launch:")]
st.navigation(
    {
        "Stream": [
            st.Page("views/replay.py", title="Stream replay", icon=":material/play_circle:"),
        ],
        "Experiments": [
            *(launch if access is auth.Access.OPEN else []),
            st.Page("views/monitor.py", title="Run monitor", icon=":material/monitoring:"),
            st.Page("views/compare.py", title="Compare", icon=":material/leaderboard:"),
            st.Page("views/cold_warm.py", title="Cold and warm items", icon=":material/ac_unit:"),
            st.Page("views/findings.py", title="Findings", icon=":material/fact_check:"),
        ],
    }
).run()
