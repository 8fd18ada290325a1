#!/usr/bin/env python3
"""kvgraph quickstart (the Python twin of the C quickstart).

Run after `cargo build --release` and `pip install ./bindings/python`
(or with KVGRAPH_LIB=/path/to/libkvgraph.so):

    python bindings/python/examples/quickstart.py
"""

import kvgraph


def main() -> None:
    with kvgraph.Engine() as db:
        # Key-value: set a key and read it back.
        db.kv.set(b"greeting", b"hello, kvgraph")
        value = db.kv.get(b"greeting")
        assert value == b"hello, kvgraph"
        print(f"greeting = {value.decode()}")

        # Graph: two Person nodes joined by a FRIEND edge.
        john = db.graph.add_node("Person", name=b"John Doe")
        jane = db.graph.add_node("Person", name=b"Jane Doe")
        db.graph.add_edge(john, jane, "FRIEND")

        with db.graph.snapshot() as snap:
            for friend in snap.neighbors(john, direction="out", type="FRIEND"):
                a = db.graph.get_property(john, "name")
                b = db.graph.get_property(friend, "name")
                assert a is not None and b is not None
                print(f"{a.decode()} -[FRIEND]-> {b.decode()}")

        # Labels, typed properties and an index.
        db.graph.add_label(jane, "Admin")
        db.graph.set_property(jane, "age", 37)
        db.graph.create_index("Person", "age")
        assert db.graph.find_nodes("Person", age=37) == [jane]
        print(f"labels {db.graph.labels(jane)}, age {db.graph.get_property(jane, 'age')}")


if __name__ == "__main__":
    main()
