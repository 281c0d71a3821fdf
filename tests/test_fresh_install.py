"""The README's first command in a virtualenv built from requirements.txt alone.

The test requirements pull in packages the runtime may silently rely on
(gunicorn's gevent worker imports `packaging` without declaring it), so this
builds a fresh venv (no system site-packages) and starts the web from it.
"""
import subprocess
import sys

import httpx
import pytest

from lottery.store.embedded import free_port
from upproc import ROOT, Up


# pip installs every runtime package into the new venv: minutes on a slow or loaded machine.
@pytest.mark.timeout(600)
def test_a_venv_from_requirements_txt_alone_serves_the_dashboard(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(ROOT / "requirements.txt")], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    check = subprocess.run([python, "-c", "import gunicorn.workers.ggevent, flask_limiter"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    port = free_port()
    up = Up(tmp_path / "data", port, only="web,worker", python=python)
    try:
        up.wait_for("Dashboard:", timeout=90)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            page = c.get("/")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assert c.get("/health").json()["status"] == "healthy"
    finally:
        assert up.stop() == 0, up.output()
