"""`merit serve` starts the production server (gunicorn) that answers pages and serves static files."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_merit_serve_answers_pages_and_static_files(tmp_path: Path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["MERIT_VAR_DIR"] = str(tmp_path)  # a SQLite file of its own
    merit = Path(sys.executable).with_name("merit")
    server = subprocess.Popen(
        [str(merit), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--migrate", "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, headers, body = _get(f"{base}/admin/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stdout.read().decode(errors="replace")
                time.sleep(0.3)
        assert status == 200
        assert "gunicorn" in headers.get("Server", "")
        assert (tmp_path / "merit.sqlite3").exists()  # migrated its own database
        status, headers, body = _get(f"{base}/static/admin/css/base.css")
        assert status == 200 and b"body" in body  # WhiteNoise serves the collected files
        assert headers.get("Cache-Control")
        status, _, _ = _get(f"{base}/definitely-not-a-page/")
        assert status == 404  # DEBUG is off: no debug page
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
