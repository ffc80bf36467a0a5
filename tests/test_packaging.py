"""`pip install .` gives a working service: frontend, templates and migrations are in the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_everything_the_service_serves(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("undersign-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "undersign/frontend/widget.js",
        "undersign/frontend/css/site.css",
        "undersign/frontend/locales/en.json",
        "undersign/frontend/locales/ru.json",
        "undersign/frontend/locales/kk.json",
        "undersign/templates/petition.html",
        "undersign/templates/mail/verify.txt",
        "undersign/migrations/env.py",
        "undersign/migrations/versions/0001_initial_schema.py",
    }
    assert expected <= names, sorted(expected - names)
    assert any(name.endswith("entry_points.txt") for name in names)
