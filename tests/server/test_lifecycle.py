"""Startup options and shutdown: SHUTDOWN and SIGTERM end the process
cleanly; bad options are startup errors; with persistence on, data written
through redis-py survives a restart."""

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


@pytest.mark.parametrize("args", [["--appendonly", "maybe"], ["--save", "60"], ["--appendfsync", "sometimes"],
                                  ["--port", "x"], ["--bogus", "1"]])
def test_bad_options_fail_at_startup(args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and p.stderr.startswith("kvgraph-server: ")


def test_persistence_across_a_restart(tmp_path):
    s = Server("--dir", str(tmp_path), "--appendonly", "yes", "--appendfsync", "always")
    r = redis.Redis(port=s.port)
    assert r.config_get("appendonly") == {"appendonly": "yes"}
    r.set("k", "v")
    r.set("t", "x", ex=1000)
    r.hset("h", mapping={"a": "1"})
    r.execute_command("GRAPH.QUERY", "g", "CREATE (:P {name: 'Ada'})")
    assert r.save() is True
    assert r.lastsave().year >= 2024
    r.set("after", "1")
    s.stop()
    s = Server("--dir", str(tmp_path), "--appendonly", "yes")
    r = redis.Redis(port=s.port)
    assert r.get("k") == b"v" and r.get("after") == b"1" and r.hgetall("h") == {b"a": b"1"}
    assert 0 < r.ttl("t") <= 1000
    assert r.execute_command("GRAPH.RO_QUERY", "g", "MATCH (p:P) RETURN p.name")[1] == [[b"Ada"]]
    assert r.bgsave() is True
    assert r.info("persistence")["aof_enabled"] == 1
    with pytest.raises(redis.ResponseError, match="can't change persistence"):
        r.config_set("appendonly", "no")
    s.stop()
