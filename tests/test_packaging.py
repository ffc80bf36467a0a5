"""`pip install .` gives a working service: frontend, templates and migrations are in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds the wheel and runs it in another process

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
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
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("undersign-*.whl")
    return built


def test_the_wheel_carries_everything_the_service_serves(wheel):
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


def test_the_installed_wheel_serves_its_pages_away_from_the_checkout(wheel, tmp_path):
    """Install the wheel alone (not the checkout) and serve the demo from it."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    script = textwrap.dedent(
        f"""
        import undersign
        from undersign import create_app
        from undersign.campaigns import demo
        from undersign.core.db import database
        assert undersign.__file__.startswith({str(target)!r}), undersign.__file__
        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/wheel.sqlite",
                           "SECRET_KEY": "wheel"}})
        database(app).upgrade()
        with database(app).sessions() as session:
            demo.seed(session)
            session.commit()
        client = app.test_client()
        for path in ("/p/zhezkazgan?lang=kk", "/widget.js", "/static/css/site.css",
                     "/locales/ru.json"):
            assert client.get(path).status_code == 200, path
        print("served")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("served")
