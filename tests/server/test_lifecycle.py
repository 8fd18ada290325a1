"""Startup options and shutdown: SHUTDOWN and SIGTERM end the process
cleanly; persistence options this build cannot honour are startup errors."""

import subprocess

import pytest
import redis

from conftest import BIN, Server


def test_shutdown_command_exits_cleanly():
    s = Server()
    r = redis.Redis(port=s.port)
    r.set("k", "v")
    try:
        r.shutdown(nosave=True)  # redis-py treats the closed connection as success
    except redis.ConnectionError:
        pass
    assert s.proc.wait(5) == 0


def test_sigterm_with_clients_connected_exits_cleanly():
    s = Server()
    clients = [redis.Redis(port=s.port) for _ in range(10)]
    for c in clients:
        c.ping()
    s.stop()


@pytest.mark.parametrize("args", [["--appendonly", "yes"], ["--save", "60 1000"], ["--port", "x"], ["--bogus", "1"]])
def test_bad_or_unavailable_options_fail_at_startup(args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    if args[0] in ("--appendonly", "--save"):
        assert "persistence is not available in this build" in p.stderr
