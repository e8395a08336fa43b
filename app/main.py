"""LSAT Studio's dashboard: `streamlit run app/main.py`. Builds the navigation, nothing else.

The pages live in `views/` and read the run store through `app.service`; none imports torch.
"""

import streamlit as st

st.set_page_config(page_title="LSAT Studio", layout="wide")
st.navigation(
    {
        "Stream": [
            st.Page("views/replay.py", title="Stream replay", icon=":material/play_circle:"),
        ],
        "Experiments": [
            st.Page("views/launch.py", title="Launch", icon=":material/rocket_launch:"),
            st.Page("views/monitor.py", title="Run monitor", icon=":material/monitoring:"),
            st.Page("views/compare.py", title="Compare", icon=":material/leaderboard:"),
            st.Page("views/cold_warm.py", title="Cold and warm items", icon=":material/ac_unit:"),
        ],
    }
).run()
