#!/usr/bin/env python3
"""Runs the processes of Procfile.dev (the web app, the Celery worker with beat) for `make run`, and stops them
cleanly: Ctrl-C (SIGINT) or SIGTERM asks each one to stop the way it expects (the web server like Ctrl-C, the
worker with a warm shutdown that finishes the task in hand), waits for them, and exits 0.

Each process runs in its own session, so a Ctrl-C in the terminal reaches this script alone and nothing is
stopped twice; with a terminal, this script takes the terminal's foreground so that make does not see the Ctrl-C
either and ends with the script's exit code. Output lines are prefixed with the process name.

Environment: PORT (default 8000) for the web process.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile.dev"
# How each process is asked to stop: runserver like a Ctrl-C, the Celery worker (and its beat) by a warm shutdown.
STOP_SIGNAL = {"web": signal.SIGINT, "worker": signal.SIGTERM}
# runserver's autoreloader and the server it runs both take the Ctrl-C; the Celery worker's main process stops its
# pool itself (a signal to its pool processes would end them mid-task, logged as errors).
SIGNAL_GROUP = {"web"}
STOP_TIMEOUT_SECONDS = 60  # a worker finishes the task in hand; the hard time limit of a task is longer
ROOT_NOTE = (
    "Running as root: fine for this local demo (the worker accepts only JSON messages), so Celery's warning "
    "about superuser privileges is left out."
)


def read_procfile(path: Path = PROCFILE) -> list[tuple[str, list[str]]]:
    processes = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        processes.append((name.strip(), shlex.split(os.path.expandvars(command.strip()))))
    return processes


class Supervisor:
    def __init__(self, processes: list[tuple[str, list[str]]]) -> None:
        self.processes = processes
        self.children: dict[str, subprocess.Popen] = {}
        self.width = max(len(name) for name, _ in processes)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.told_still_stopping = False
        self.readers: list[threading.Thread] = []

    def say(self, text: str) -> None:
        with self.lock:
            print(text, flush=True)

    def _pipe(self, name: str, stream) -> None:
        prefix = f"{name:<{self.width}} | "
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.say(prefix + line)
        stream.close()

    def start(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        for name, command in self.processes:
            child_env = dict(env)
            if name == "worker" and hasattr(os, "geteuid") and os.geteuid() == 0:
                child_env["CELERY_ROOT_WARNING_HARMLESS"] = "true"  # see infusion_center/celery.py
            child = subprocess.Popen(
                command,
                cwd=ROOT,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal's Ctrl-C reaches the supervisor only
            )
            self.children[name] = child
            reader = threading.Thread(target=self._pipe, args=(name, child.stdout), daemon=True)
            reader.start()
            self.readers.append(reader)

    def request_stop(self, signum=None, frame=None) -> None:
        if self.stopping.is_set():
            if not self.told_still_stopping:
                self.told_still_stopping = True
                self.say("Still stopping: the worker finishes the task in hand first.")
            return
        self.stopping.set()

    def _signal_children(self) -> None:
        for name, child in self.children.items():
            if child.poll() is None:
                try:
                    if name in SIGNAL_GROUP:
                        os.killpg(child.pid, STOP_SIGNAL.get(name, signal.SIGTERM))
                    else:
                        child.send_signal(STOP_SIGNAL.get(name, signal.SIGTERM))
                except ProcessLookupError:
                    pass

    def run(self) -> int:
        self.start()
        unexpected = None
        while not self.stopping.is_set():
            for name, child in self.children.items():
                if child.poll() is not None:
                    unexpected = (name, child.returncode)
                    break
            if unexpected:
                break
            self.stopping.wait(0.2)
        if unexpected:
            self.say(f"The {unexpected[0]} process ended (exit code {unexpected[1]}); stopping the others.")
        else:
            self.say("Stopping " + " and ".join(self.children) + " ...")
        self._signal_children()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, child in self.children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"The {name} process did not stop within {STOP_TIMEOUT_SECONDS} s; ending it.")
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        for reader in self.readers:
            reader.join(timeout=2)
        if unexpected:
            return 1
        self.say("Stopped.")
        return 0


def take_terminal_foreground():
    """With a terminal, become its foreground process group (so that make does not receive the Ctrl-C) and
    return a function that gives the foreground back."""
    if not sys.stdin.isatty():
        return lambda: None
    try:
        fd = sys.stdin.fileno()
        previous = os.tcgetpgrp(fd)
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # changing the foreground from the background is allowed
        os.tcsetpgrp(fd, os.getpgrp())
    except OSError:
        return lambda: None

    def give_back():
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, previous)

    return give_back


def main() -> int:
    os.environ.setdefault("PORT", "8000")
    supervisor = Supervisor(read_procfile())
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    give_back = take_terminal_foreground()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        supervisor.say(ROOT_NOTE)
    try:
        return supervisor.run()
    finally:
        give_back()


if __name__ == "__main__":
    sys.exit(main())
