"""Hostile clients: malformed and oversized frames, unauthenticated floods,
slow clients and clients that never read. Each gets an error or loses its
connection; the server keeps serving everyone else."""

import socket
import threading
import time

import redis

from conftest import wait_until


def raw(port, data, read=True, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    s.close()
    return out


def healthy(port, password=None):
    r = redis.Redis(port=port, password=password, socket_timeout=5)
    r.set("health", "ok")
    return r.get("health") == b"ok"


def test_malformed_frames_get_protocol_errors(server):
    cases = {
        b"*3000000000\r\n": b"invalid multibulk length",
        b"*1\r\n$2000000000\r\n": b"invalid bulk length",
        b"*1\r\n$-3\r\n": b"invalid bulk length",
        b"*1\r\nfoo\r\n": b"expected '$'",
        b"*1\r\n*1\r\n$1\r\na\r\n": b"expected '$'",
        b"set \"a\"b c\r\n": b"unbalanced",
        b"*1\r\n$3\r\nabcXY": b"CRLF",
        b"x" * (70 * 1024): b"too big inline request",
    }
    for frame, error in cases.items():
        reply = raw(server.port, frame)
        assert reply.startswith(b"-ERR Protocol error") and error in reply, (frame[:40], reply)
    assert healthy(server.port)


def test_random_garbage_never_kills_the_server(server):
    import random

    rng = random.Random(7)
    for _ in range(200):
        junk = bytes(rng.choice(b"*$\r\n0123456789-abc \"'\\") for _ in range(rng.randint(1, 200)))
        raw(server.port, junk, timeout=0.05)
    assert healthy(server.port)


def test_auth_is_enforced_first(locked_server):
    port = locked_server.port
    assert raw(port, b"GET x\r\n").startswith(b"-NOAUTH")
    assert raw(port, b"FLUSHALL\r\n").startswith(b"-NOAUTH")
    assert raw(port, b"AUTH wrong\r\n").startswith(b"-WRONGPASS")
    assert raw(port, b"AUTH s3cret\r\nPING\r\n") == b"+OK\r\n+PONG\r\n"
    assert raw(port, b"HELLO 3 AUTH default s3cret\r\nPING\r\n").endswith(b"+PONG\r\n")


def test_unauthenticated_clients_get_tight_limits(locked_server):
    port = locked_server.port
    assert b"unauthenticated multibulk length" in raw(port, b"*100\r\n")
    assert b"unauthenticated bulk length" in raw(port, b"*2\r\n$4\r\nAUTH\r\n$100000\r\n")


def test_limits_after_auth(locked_server):
    port = locked_server.port
    big = b"x" * (65 * 1024)
    reply = raw(port, b"AUTH s3cret\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % len(big) + big + b"\r\n")
    assert b"invalid bulk length" in reply
    assert healthy(port, "s3cret")


def test_unauthenticated_flood_and_maxclients(locked_server):
    port = locked_server.port
    flood = []
    for _ in range(100):
        try:
            flood.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError:
            break
    time.sleep(0.2)
    # Beyond maxclients (64) connections are refused with an error.
    refused = 0
    for s in flood[64:]:
        s.settimeout(1)
        try:
            if s.recv(100).startswith(b"-ERR max number of clients reached"):
                refused += 1
        except OSError:
            pass
    assert refused > 0
    for s in flood:
        s.close()
    assert wait_until(lambda: _try(healthy, port, "s3cret"))


def _try(f, *args):
    try:
        return f(*args)
    except (redis.ConnectionError, redis.TimeoutError):
        return False


def test_slow_client_does_not_block_others(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$5\r\nab")  # half a request
    assert healthy(server.port)
    time.sleep(0.2)
    s.sendall(b"cde\r\n")
    assert s.recv(100) == b"+OK\r\n"
    s.close()


def test_client_that_never_reads(locked_server):
    port = locked_server.port
    r = redis.Redis(port=port, password="s3cret")
    r.set("big", "v" * 60000)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"AUTH s3cret\r\n")
    stop = threading.Event()

    def pump():
        try:
            while not stop.is_set():
                s.sendall(b"GET big\r\n" * 100)
        except OSError:
            pass

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    time.sleep(1.0)
    assert healthy(port, "s3cret")  # others are served meanwhile
    stop.set()
    s.close()
    t.join(5)


def test_huge_reply_beyond_output_limit_drops_the_client(locked_server):
    port = locked_server.port
    r = redis.Redis(port=port, password="s3cret")
    with r.pipeline(transaction=False) as p:
        for i in range(100):
            p.set(f"o{i}", "v" * 60000)
        p.execute()
    reply = raw(port, b"AUTH s3cret\r\n" + b"MGET " + b" ".join(b"o%d" % i for i in range(100)) + b"\r\n")
    assert len(reply) < 4 * 1024 * 1024 + 100  # cut at the 4 MB limit, not sent whole (6 MB)
    assert healthy(port, "s3cret")


def _local_non_loopback_ip():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        ip = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if ip.startswith("127.") else ip


def test_protected_mode_refuses_non_loopback_clients():
    import subprocess

    import pytest
    from conftest import BIN

    ip = _local_non_loopback_ip()
    if ip is None:
        pytest.skip("no non-loopback address on this machine")
    probe = socket.socket()
    probe.bind((ip, 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.Popen([BIN, "--port", str(port), "--bind", "127.0.0.1", ip], stderr=subprocess.PIPE, text=True)
    try:
        proc.stderr.readline()
        proc.stderr.readline()
        assert raw(port, b"PING\r\n") == b"+PONG\r\n"  # loopback: served
        s2 = socket.create_connection((ip, port), timeout=2)
        reply = s2.recv(1000)
        s2.close()
        assert reply.startswith(b"-DENIED"), reply
    finally:
        proc.terminate()
        assert proc.wait(5) == 0
