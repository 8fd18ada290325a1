"""redis-py against kvgraph-server: the seed's snippet, RESP2 and RESP3,
pipelines with and without transactions, WATCH, Lock, expiry, scans."""

import threading
import time

import pytest
import redis


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(server, request):
    client = redis.Redis(host="localhost", port=server.port, db=0, protocol=request.param)
    client.flushall()
    yield client
    client.close()


def test_seed_snippet(server):
    r = redis.Redis(host="localhost", port=server.port, db=0)
    r.set("key", "value")
    assert r.get("key") == b"value"


def test_strings_and_counters(r):
    assert r.set("a", "1", nx=True) is True
    assert r.set("a", "2", nx=True) is None
    assert r.incrby("a", 41) == 42
    assert r.incrbyfloat("a", 0.5) == 42.5
    assert r.append("s", "ab") == 2 and r.append("s", "cd") == 4
    assert r.getrange("s", 1, 2) == b"bc"
    assert r.mset({"x": "1", "y": "2"}) is True
    assert r.mget("x", "y", "nope") == [b"1", b"2", None]
    assert r.getdel("x") == b"1" and r.exists("x") == 0
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.incr("s")


def test_hashes_as_profiles(r):
    assert r.hset("user:1", mapping={"name": "Ada", "visits": "1"}) == 2
    assert r.hincrby("user:1", "visits", 2) == 3
    assert r.hgetall("user:1") == {b"name": b"Ada", b"visits": b"3"}
    assert r.hmget("user:1", "name", "zip") == [b"Ada", None]
    assert sorted(r.hkeys("user:1")) == [b"name", b"visits"]
    assert r.hdel("user:1", "name", "zip") == 1 and r.hlen("user:1") == 1
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.get("user:1")
    assert r.type("user:1") == b"hash"


def test_expiry(r):
    r.set("session", "x", px=80)
    assert 0 < r.pttl("session") <= 80
    r.hset("h", "f", "v")
    assert r.expire("h", 100) is True and r.ttl("h") > 90
    assert r.persist("h") is True and r.ttl("h") == -1
    time.sleep(0.15)
    assert r.get("session") is None and r.ttl("session") == -2


def test_scan_iter_sees_every_key(r):
    with r.pipeline(transaction=False) as p:
        for i in range(500):
            p.set(f"k:{i}", i)
        p.hset("h", mapping={f"f{i}": i for i in range(300)})
        p.execute()
    assert len(set(r.scan_iter(match="k:*", count=37))) == 500
    assert len(dict(r.hscan_iter("h", count=20))) == 300
    assert sorted(r.keys("k:1?")) == sorted(f"k:1{i}".encode() for i in range(10))
    assert r.dbsize() == 501


def test_pipeline_without_transaction(r):
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.incr("n")
    assert p.execute()[-1] == 1000


def test_pipeline_with_transaction_is_atomic(server):
    r = redis.Redis(port=server.port)
    r.delete("counter", "log")

    def worker():
        c = redis.Redis(port=server.port)
        for _ in range(200):
            with c.pipeline() as p:  # MULTI/EXEC
                p.incr("counter")
                p.hincrby("log", "n", 1)
                p.execute()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert int(r.get("counter")) == 800 and r.hget("log", "n") == b"800"


def test_watch_aborts_on_concurrent_change(r, server):
    other = redis.Redis(port=server.port)
    r.set("balance", 10)
    with r.pipeline() as p:
        p.watch("balance")
        other.set("balance", 20)
        p.multi()
        p.set("balance", 30)
        with pytest.raises(redis.WatchError):
            p.execute()
    assert r.get("balance") == b"20"


def test_transaction_helper_retries(server):
    r = redis.Redis(port=server.port)
    r.set("v", 1)

    def double(pipe):
        value = int(pipe.get("v"))
        pipe.multi()
        pipe.set("v", value * 2)

    r.transaction(double, "v")
    assert r.get("v") == b"2"


def test_lock(server):
    r = redis.Redis(port=server.port)
    lock = r.lock("resource", timeout=5, blocking_timeout=0.2)
    assert lock.acquire()
    other = r.lock("resource", timeout=5, blocking_timeout=0.1)
    assert not other.acquire()
    assert lock.extend(5)
    assert 5000 < r.pttl("resource") <= 10000
    assert lock.reacquire() and r.pttl("resource") <= 5000
    lock.release()
    assert r.get("resource") is None
    with r.lock("resource", timeout=1):
        assert r.exists("resource") == 1
    with pytest.raises(redis.ResponseError, match="scripting is not available"):
        r.eval("return 1", 0)


def test_resp3_types(server):
    r = redis.Redis(port=server.port, protocol=3)
    r.hset("h3", mapping={"a": "1"})
    assert r.hgetall("h3") == {b"a": b"1"}
    info = r.execute_command("HELLO", "3")
    assert info[b"proto"] == 3
    assert r.incrbyfloat("f", 1.5) == 1.5


def test_client_commands(server):
    r = redis.Redis(port=server.port, client_name="tester")
    assert r.client_getname() == "tester" or r.client_getname() == b"tester"
    assert isinstance(r.client_id(), int)
    assert any(c["name"] == "tester" for c in r.client_list())
    assert r.ping() and r.echo("hi") == b"hi"
    assert r.config_get("maxclients")["maxclients"] == "10000" or r.config_get("maxclients")
    with pytest.raises(redis.ResponseError, match="immutable"):
        r.config_set("dir", "/tmp")
    with pytest.raises(redis.ResponseError, match="persistence is off"):
        r.save()
    assert r.execute_command("FUNCTION", "FLUSH") in (b"OK", "OK", True)


def test_sets_and_lists(r):
    assert r.sadd("s", "a", "b", "c", "a") == 3
    assert r.smembers("s") == {b"a", b"b", b"c"}
    assert r.sismember("s", "b") and not r.sismember("s", "z")
    assert r.srem("s", "a", "z") == 1 and r.scard("s") == 2
    assert r.spop("s") in (b"b", b"c") and r.scard("s") == 1
    assert r.rpush("l", "b", "c") == 2 and r.lpush("l", "a") == 3
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.lindex("l", -1) == b"c" and r.llen("l") == 3
    assert r.lpop("l") == b"a" and r.rpop("l", 2) == [b"c", b"b"]
    assert r.exists("l") == 0
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.lpush("s", "x")
