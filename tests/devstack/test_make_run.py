"""`make run`'s processes (scripts/devserver.py: web, Celery worker and beat) start, serve the first page, and stop
on Ctrl-C with exit code 0 and a quiet log: no ERROR, no traceback, no line said twice, a 404 said once."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.devstack

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(18650, 18700)
START_TIMEOUT_SECONDS = 90


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port for the development server")


def wait_for(url: str, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.3)
    return 0


def test_the_dev_stack_starts_serves_and_stops_on_ctrl_c_quietly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    port = free_port()
    env.update(VAR_DIR=str(tmp_path), DJANGO_DEBUG="true", PORT=str(port), PYTHONUNBUFFERED="1")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    stack = subprocess.Popen(
        [sys.executable, "scripts/devserver.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(raw.decode().rstrip("\n") for raw in stack.stdout))
    reader.start()
    try:
        assert wait_for(f"http://127.0.0.1:{port}/accounts/login/", stack) == 200
        assert wait_for(f"http://127.0.0.1:{port}/no-such-page/", stack) == 404
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            any("celery@" in line and "ready" in line for line in lines)
            and any("/no-such-page/" in line for line in lines)  # the web's log line, which a loaded machine delays
        ):
            time.sleep(0.3)
        time.sleep(1)
        os.kill(stack.pid, signal.SIGINT)  # what a terminal's Ctrl-C delivers to it
        code = stack.wait(timeout=60)
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
        reader.join(timeout=10)
    output = "\n".join(lines)
    assert code == 0, output
    assert "ERROR" not in output and "Traceback" not in output, output
    assert "No hostname was supplied" not in output and "superuser privileges is left out" in output, output
    assert "SIGKILL" not in output and "did not stop" not in output, output
    # Lines with words after the process name (the ornaments of Celery's start-up banner repeat by design).
    repeated = [
        line for line, n in Counter(lines).items() if n > 1 and re.search(r"[A-Za-z]{3}", line.partition(" | ")[2])
    ]
    assert not repeated, output
    assert sum("/no-such-page/" in line for line in lines) == 1, output
    assert lines[-1] == "Stopped.", output
