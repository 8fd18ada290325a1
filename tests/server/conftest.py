"""Starts kvgraph-server (target/release/kvgraph-server, or $KVG_SERVER_BIN)
on a free port for the tests; tests/server.sh builds it and runs pytest."""

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("KVG_SERVER_BIN", str(ROOT / "target" / "release" / "kvgraph-server"))


class Server:
    """A running kvgraph-server process."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [BIN, "--port", "0", "--bind", "127.0.0.1", *args],
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stderr.readline()
        m = re.search(r"ready to accept connections on 127\.0\.0\.1:(\d+)", line)
        assert m, f"server did not start: {line!r}"
        self.port = int(m.group(1))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM: the server must exit cleanly (status 0) within 5 s."""
        self.proc.terminate()
        try:
            assert self.proc.wait(5) == 0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    assert s.alive(), "the server died during the tests"
    s.stop()


@pytest.fixture(scope="module")
def locked_server():
    """A server with a password, small limits and few clients."""
    s = Server("--requirepass", "s3cret", "--maxclients", "64", "--client-query-buffer-limit", "1mb",
               "--proto-max-bulk-len", "64kb", "--client-output-buffer-limit", "normal", "4mb", "0", "0")
    yield s
    assert s.alive(), "the server died during the tests"
    s.stop()


def wait_until(cond, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False
