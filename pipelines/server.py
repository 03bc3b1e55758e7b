"""A standing Prefect server for schedules (the temporary one Prefect starts on demand
does not run the scheduler).  Run in the foreground as a child process and restarted if it
dies; its output goes to a log file beside the store."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(api_url.rstrip("/") + "/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


class ServerSupervisor:
    def __init__(self, log_path: Path, port: Optional[int] = None, max_restarts: int = 5,
                 startup_timeout: float = 120.0):
        self.port = port or free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.log_path = Path(log_path)
        self.max_restarts = max_restarts
        self.startup_timeout = startup_timeout
        self.proc: Optional[subprocess.Popen] = None
        self.restarts = 0
        self._stop = threading.Event()
        self._watch: Optional[threading.Thread] = None

    def _command(self) -> list[str]:
        exe = shutil.which("prefect", path=str(Path(sys.executable).parent)) or shutil.which("prefect")
        base = [exe] if exe else [sys.executable, "-m", "prefect"]
        return base + ["server", "start", "--no-ui", "--host", "127.0.0.1", "--port", str(self.port)]

    def _spawn(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)  # the server itself must not point at another API
        env.setdefault("DO_NOT_TRACK", "1")
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        self.proc = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
        log.close()

    def start(self) -> str:
        self._spawn()
        self.wait_healthy()
        self._watch = threading.Thread(target=self._supervise, name="prefect-server-supervisor", daemon=True)
        self._watch.start()
        return self.api_url

    def wait_healthy(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with status {self.proc.returncode}; see {self.log_path}")
            if healthy(self.api_url):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Prefect server was not healthy after {self.startup_timeout:.0f}s; see {self.log_path}")

    def _supervise(self):
        while not self._stop.wait(2.0):
            if self.proc.poll() is None:
                continue
            if self.restarts >= self.max_restarts:
                sys.stderr.write(f"budgetlens: the Prefect server keeps dying; see {self.log_path}\n")
                return
            self.restarts += 1
            sys.stderr.write(f"budgetlens: the Prefect server exited ({self.proc.returncode}); restarting "
                             f"({self.restarts}/{self.max_restarts})\n")
            time.sleep(min(30, 2 ** self.restarts))
            try:
                self._spawn()
                self.wait_healthy()
            except RuntimeError as exc:
                sys.stderr.write(f"budgetlens: {exc}\n")

    def stop(self):
        self._stop.set()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
