"""The dashboard reads the store, queues work and never trains: rendering every page (the Launch
page's config checks and estimate included) must not import torch.

Checked in a fresh interpreter, since this test process may already hold torch from other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY_MODULES = ("torch", "transformers", "peft", "accelerate")

RENDER_EVERY_PAGE = """
import json, sys
from streamlit.testing.v1 import AppTest

app = AppTest.from_file(sys.argv[1], default_timeout=120)
app.query_params["experiment"] = sys.argv[2]
app.run()
failures = [e.value for e in app.exception]
for page in ("views/launch.py", "views/replay.py", "views/monitor.py", "views/compare.py",
             "views/cold_warm.py"):
    app.switch_page(page).run()
    failures += [f"{page}: {e.value}" for e in app.exception]
heavy = [name for name in sys.argv[3:] if name in sys.modules]
print(json.dumps({"failures": failures, "heavy": heavy, "charts": len(app.get("vega_lite_chart"))}))
"""


def test_rendering_every_page_never_imports_torch(app_env, app_dir: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RENDER_EVERY_PAGE,
            str(app_dir / "main.py"),
            str(app_env.next_experiment_id),
            *HEAVY_MODULES,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report["failures"] == []
    assert report["charts"] == 1  # the pages really rendered: the last one drew its chart
    assert report["heavy"] == []
